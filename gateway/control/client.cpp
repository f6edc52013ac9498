#include "gateway/control/client.hpp"

#include "gateway/control/protocol.hpp"

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <string>

namespace citygate::control {
namespace asio = boost::asio;
using local_stream = asio::local::stream_protocol;

namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.control.client"; }

    std::string message(int value) const override {
        switch (static_cast<client_error>(value)) {
        case client_error::not_reachable: return "control socket not reachable";
        case client_error::timed_out: return "timed out waiting for the daemon";
        case client_error::connection_closed: return "the daemon closed the connection";
        case client_error::response_too_large: return "response too large";
        case client_error::malformed_response: return "malformed response";
        case client_error::io_failure: return "control socket I/O failed";
        }
        return "unknown control client error";
    }
};

// One request/response exchange driven by a private io_context.
class exchange {
public:
    exchange(const std::filesystem::path& path, const nlohmann::json& request)
        : path_(path), socket_(io_), buffer_(max_response_bytes + 1),
          outgoing_(request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n") {}

    call_result run(std::chrono::milliseconds timeout) {
        local_stream::endpoint endpoint;
        try {
            endpoint = local_stream::endpoint(path_.string());
        } catch (const boost::system::system_error& e) {
            return fail(client_error::not_reachable, e.code());
        }

        socket_.async_connect(endpoint, [this](const boost::system::error_code& error) { on_connect(error); });
        io_.run_for(timeout);
        if (!done_) {
            return fail(client_error::timed_out, {});
        }
        return result_;
    }

private:
    call_result fail(client_error error, std::error_code cause) {
        done_ = true;
        result_.response.reset();
        result_.error = error;
        result_.cause = cause;
        return result_;
    }

    void on_connect(const boost::system::error_code& error) {
        if (error) {
            fail(client_error::not_reachable, error);
            return;
        }
        asio::async_write(socket_, asio::buffer(outgoing_),
                          [this](const boost::system::error_code& write_error, std::size_t) { on_write(write_error); });
    }

    void on_write(const boost::system::error_code& error) {
        if (error) {
            fail(error == asio::error::broken_pipe ? client_error::connection_closed : client_error::io_failure, error);
            return;
        }
        asio::async_read_until(socket_, buffer_, '\n',
                               [this](const boost::system::error_code& read_error, std::size_t size) {
                                   on_read(read_error, size);
                               });
    }

    void on_read(const boost::system::error_code& error, std::size_t size) {
        if (error == asio::error::not_found) {
            fail(client_error::response_too_large, {});
            return;
        }
        if (error == asio::error::eof || error == asio::error::connection_reset) {
            fail(client_error::connection_closed, error);
            return;
        }
        if (error) {
            fail(client_error::io_failure, error);
            return;
        }

        const std::string line(asio::buffers_begin(buffer_.data()),
                               asio::buffers_begin(buffer_.data()) + static_cast<long>(size));
        auto response = nlohmann::json::parse(line, nullptr, false);
        if (response.is_discarded() || !is_valid_response(response)) {
            fail(client_error::malformed_response, {});
            return;
        }
        done_ = true;
        result_.response = std::move(response);
    }

    const std::filesystem::path& path_;
    asio::io_context io_;
    local_stream::socket socket_;
    asio::streambuf buffer_;
    std::string outgoing_;
    call_result result_;
    bool done_ = false;
};

} // namespace

const std::error_category& client_category() noexcept {
    static const category instance;
    return instance;
}

std::error_code make_error_code(client_error e) noexcept {
    return {static_cast<int>(e), client_category()};
}

client::client(std::filesystem::path socket_path, std::chrono::milliseconds timeout)
    : socket_path_(std::move(socket_path)), timeout_(timeout) {}

call_result client::call(const nlohmann::json& request) const {
    exchange session(socket_path_, request);
    return session.run(timeout_);
}

} // namespace citygate::control
