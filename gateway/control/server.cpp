#include "gateway/control/server.hpp"

#include "gateway/control/protocol.hpp"
#include "gateway/control/socket_file.hpp"

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <unordered_set>

namespace citygate::control {
namespace asio = boost::asio;
using local_stream = asio::local::stream_protocol;
using std::chrono::steady_clock;

namespace {

// Lets through at most `burst` WARN lines per minute and reports how many
// were dropped, so a client in a loop cannot flood the journal.
class warn_limiter {
public:
    template <typename... Args>
    void warn(spdlog::format_string_t<Args...> format, Args&&... args) {
        const auto now = steady_clock::now();
        if (now - window_start_ > std::chrono::minutes(1)) {
            if (suppressed_ > 0) {
                spdlog::warn("control: {} further rejected requests were not logged", suppressed_);
            }
            window_start_ = now;
            in_window_ = 0;
            suppressed_ = 0;
        }
        if (++in_window_ > burst) {
            ++suppressed_;
            return;
        }
        spdlog::warn(format, std::forward<Args>(args)...);
    }

private:
    static constexpr unsigned burst = 20;
    steady_clock::time_point window_start_ = steady_clock::now();
    unsigned in_window_ = 0;
    std::uint64_t suppressed_ = 0;
};

// A broadcast probe, or the first probe of an address sweep.
bool starts_scan(const nlohmann::json& request) {
    if (request["cmd"] != "probe") {
        return false;
    }
    const auto scan = request.find("scan");
    return scan == request.end() || (*scan)["index"] == 0;
}

} // namespace

class session;

struct server::state : std::enable_shared_from_this<server::state> {
    state(asio::io_context& context, std::filesystem::path socket_path, control::handler h, server_options opts)
        : io(context), path(std::move(socket_path)), handler(std::move(h)), options(std::move(opts)),
          acceptor(context), retry_timer(context) {}

    void start();
    void accept_next();
    void on_accept(const boost::system::error_code& error, local_stream::socket socket);
    void stop();

    asio::io_context& io;
    std::filesystem::path path;
    control::handler handler;
    server_options options;
    local_stream::acceptor acceptor;
    asio::steady_timer retry_timer; // pause after accept errors such as EMFILE
    server_counters counters;
    warn_limiter rejections;
    std::unordered_set<session*> sessions;
    bool stopped = false;
};

// One client connection. Reads a line, answers it, then reads the next.
class session : public std::enable_shared_from_this<session> {
public:
    session(std::shared_ptr<server::state> owner, local_stream::socket socket)
        : owner_(std::move(owner)), socket_(std::move(socket)), buffer_(owner_->options.max_request_bytes + 1),
          timer_(socket_.get_executor()), peer_(detail::read_peer_credentials(socket_.native_handle())) {
        owner_->sessions.insert(this);
    }

    ~session() { owner_->sessions.erase(this); }

    void start() {
        spdlog::debug("control: connection from {}", detail::describe(peer_));
        read_next();
    }

    // Answers with `response` and closes; used at the connection limit.
    void refuse(nlohmann::json response) { write(std::move(response), true); }

    void close() {
        if (closed_) {
            return;
        }
        closed_ = true;
        ++timer_generation_;
        timer_.cancel();
        boost::system::error_code ignored;
        socket_.shutdown(local_stream::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

private:
    void read_next();
    void on_line(const boost::system::error_code& error, std::size_t size);
    void handle_line(const std::string& line);
    void reject(errc code, const nlohmann::json& response, const std::string& line, bool close_after);
    void dispatch(const nlohmann::json& request);
    void finish(std::uint64_t request_id, nlohmann::json response);
    void write(nlohmann::json response, bool close_after);

    template <typename Callback>
    void arm_timer(std::chrono::milliseconds timeout, Callback on_expiry);

    std::shared_ptr<server::state> owner_;
    local_stream::socket socket_;
    asio::streambuf buffer_;
    asio::steady_timer timer_;
    detail::peer_credentials peer_;
    std::string outgoing_;
    std::uint64_t timer_generation_ = 0; // tells a stale timer completion from the current one
    std::uint64_t request_id_ = 0;       // tells a late reply from the current request's reply
    bool awaiting_reply_ = false;
    bool closed_ = false;
};

template <typename Callback>
void session::arm_timer(std::chrono::milliseconds timeout, Callback on_expiry) {
    const auto generation = ++timer_generation_;
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this(), generation, on_expiry](const boost::system::error_code& error) {
        if (error || self->closed_ || generation != self->timer_generation_) {
            return;
        }
        on_expiry(*self);
    });
}

void session::read_next() {
    if (closed_) {
        return;
    }

    arm_timer(owner_->options.idle_timeout, [](session& self) {
        ++self.owner_->counters.idle_timeouts;
        spdlog::info("control: closing idle connection from {}", detail::describe(self.peer_));
        self.close();
    });

    asio::async_read_until(socket_, buffer_, '\n',
                           [self = shared_from_this()](const boost::system::error_code& error, std::size_t size) {
                               self->on_line(error, size);
                           });
}

void session::on_line(const boost::system::error_code& error, std::size_t size) {
    if (closed_) {
        return;
    }
    ++timer_generation_;
    timer_.cancel();

    if (error == asio::error::not_found) {
        const std::string head(asio::buffers_begin(buffer_.data()), asio::buffers_end(buffer_.data()));
        reject(errc::request_too_large,
               make_error(errc::request_too_large,
                          "request line exceeds " + std::to_string(owner_->options.max_request_bytes) + " bytes"),
               head, true);
        return;
    }
    if (error) {
        if (error != asio::error::eof && error != asio::error::operation_aborted) {
            spdlog::info("control: connection from {} failed: {}", detail::describe(peer_), error.message());
        }
        close();
        return;
    }

    std::string line(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + static_cast<long>(size));
    buffer_.consume(size);
    line.pop_back(); // the '\n'
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    handle_line(line);
}

void session::handle_line(const std::string& line) {
    if (line.find_first_not_of(" \t") == std::string::npos) {
        read_next(); // blank lines between requests are harmless
        return;
    }
    ++owner_->counters.requests;

    const auto request = nlohmann::json::parse(line, nullptr, false);
    if (request.is_discarded()) {
        reject(errc::malformed_json, make_error(errc::malformed_json, "request is not valid JSON"), line, false);
        return;
    }
    if (auto invalid = check_request(request)) {
        reject(errc::bad_request, *invalid, line, false);
        return;
    }

    // A write moves a valve or switches a lamp, and a scan puts frames for
    // unconfigured addresses on a bus. Who requested them is worth an INFO
    // line. Reads and the later probes of a sweep are logged at debug level.
    if (request["cmd"] == "write" || starts_scan(request)) {
        spdlog::info("control: {} request from {}: {}", request["cmd"].get<std::string>(), detail::describe(peer_),
                     detail::log_excerpt(line));
    } else {
        spdlog::debug("control: request from {}: {}", detail::describe(peer_), detail::log_excerpt(line));
    }
    dispatch(request);
}

void session::reject(errc code, const nlohmann::json& response, const std::string& line, bool close_after) {
    auto& counters = owner_->counters;
    if (code == errc::request_too_large) {
        ++counters.oversize;
    } else if (code == errc::malformed_json) {
        ++counters.malformed_json;
    } else {
        ++counters.bad_requests;
    }

    owner_->rejections.warn("control: rejected request from {}: {}: {}", detail::describe(peer_),
                            response["error"]["code"].get<std::string>(), detail::log_excerpt(line));
    write(response, close_after);
}

void session::dispatch(const nlohmann::json& request) {
    const auto request_id = ++request_id_;
    awaiting_reply_ = true;

    arm_timer(owner_->options.handler_timeout, [request_id, cmd = request["cmd"].get<std::string>()](session& self) {
        ++self.owner_->counters.handler_timeouts;
        spdlog::warn("control: command '{}' from {} got no reply in {} ms", cmd, detail::describe(self.peer_),
                     self.owner_->options.handler_timeout.count());
        self.finish(request_id, make_error(errc::timed_out, "the daemon did not answer '" + cmd + "' in time"));
    });

    // The handler may reply from another thread; the post brings the reply
    // back onto this connection's executor.
    auto replied = std::make_shared<std::atomic<bool>>(false);
    reply_fn reply = [weak = weak_from_this(), executor = socket_.get_executor(), request_id,
                      replied](nlohmann::json response) {
        if (replied->exchange(true)) {
            return;
        }
        asio::post(executor, [weak, request_id, response = std::move(response)]() mutable {
            if (auto self = weak.lock()) {
                self->finish(request_id, std::move(response));
            }
        });
    };

    try {
        owner_->handler(request, reply);
    } catch (const std::exception& e) {
        spdlog::error("control: handler for '{}' from {} threw: {}", request["cmd"].get<std::string>(),
                      detail::describe(peer_), e.what());
        reply(make_error(errc::internal_error, "the daemon failed to handle the request; see its log"));
    }
}

void session::finish(std::uint64_t request_id, nlohmann::json response) {
    if (closed_ || !awaiting_reply_ || request_id != request_id_) {
        return; // a late reply after a timeout, or the connection is gone
    }
    awaiting_reply_ = false;

    if (!is_valid_response(response)) {
        spdlog::error("control: handler produced an invalid response for {}", detail::describe(peer_));
        response = make_error(errc::internal_error, "the daemon produced an invalid response; see its log");
    }
    write(std::move(response), false);
}

void session::write(nlohmann::json response, bool close_after) {
    if (closed_) {
        return;
    }
    outgoing_ = response.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    outgoing_.push_back('\n');

    // A client that stops reading must not pin the connection forever.
    arm_timer(owner_->options.idle_timeout, [](session& self) {
        ++self.owner_->counters.idle_timeouts;
        spdlog::info("control: closing connection from {}: response not read in time", detail::describe(self.peer_));
        self.close();
    });

    asio::async_write(socket_, asio::buffer(outgoing_),
                      [self = shared_from_this(), close_after](const boost::system::error_code& error, std::size_t) {
                          if (error || close_after) {
                              self->close();
                              return;
                          }
                          self->read_next();
                      });
}

void server::state::start() {
    detail::prepare_socket_path(path);

    local_stream::endpoint endpoint(path.string());
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    detail::apply_socket_permissions(path, options.socket_group);

    spdlog::info("control: listening on {}", path.string());
    accept_next();
}

void server::state::accept_next() {
    acceptor.async_accept([self = shared_from_this()](const boost::system::error_code& error,
                                                      local_stream::socket socket) {
        self->on_accept(error, std::move(socket));
    });
}

void server::state::on_accept(const boost::system::error_code& error, local_stream::socket socket) {
    if (stopped || error == asio::error::operation_aborted) {
        return;
    }
    if (error) {
        spdlog::warn("control: accept on {} failed: {}; retrying in 100 ms", path.string(), error.message());
        retry_timer.expires_after(std::chrono::milliseconds(100));
        retry_timer.async_wait([self = shared_from_this()](const boost::system::error_code& wait_error) {
            if (!wait_error && !self->stopped) {
                self->accept_next();
            }
        });
        return;
    }

    ++counters.connections;
    auto connection = std::make_shared<session>(shared_from_this(), std::move(socket));
    if (sessions.size() > options.max_connections) {
        ++counters.refused_connections;
        rejections.warn("control: refused a connection on {}: {} connections open", path.string(),
                        options.max_connections);
        connection->refuse(make_error(errc::too_many_connections, "too many control connections; retry later"));
    } else {
        connection->start();
    }
    accept_next();
}

void server::state::stop() {
    if (stopped) {
        return;
    }
    stopped = true;

    boost::system::error_code ignored;
    acceptor.close(ignored);
    retry_timer.cancel();

    // close() does not destroy a session, so iterating over a copy is safe.
    const auto open_sessions = sessions;
    for (auto* connection : open_sessions) {
        connection->close();
    }
    detail::remove_socket_file(path);
    spdlog::info("control: stopped listening on {}", path.string());
}

server::server(asio::io_context& io, std::filesystem::path socket_path, control::handler h, server_options options)
    : state_(std::make_shared<state>(io, std::move(socket_path), std::move(h), std::move(options))) {
    state_->start();
}

server::~server() {
    stop();
}

void server::stop() {
    state_->stop();
}

const std::filesystem::path& server::socket_path() const {
    return state_->path;
}

server_counters server::counters() const {
    return state_->counters;
}

} // namespace citygate::control
