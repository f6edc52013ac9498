#include "scripts/sim/modbus/tcp_server.hpp"

#include "protocols/common/hex.hpp"
#include "protocols/modbus/tcp.hpp"
#include "scripts/sim/modbus/slave.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <memory>

namespace citygate::modbus_sim {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr std::uint8_t any_unit = 255;

class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket socket, std::shared_ptr<slave> device, std::uint16_t port)
        : socket_(std::move(socket)), device_(std::move(device)), port_(port)
    {
    }

    void start() { read(); }

private:
    void read()
    {
        socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](boost::system::error_code ec,
                                                                                  std::size_t n) {
            if (ec) {
                spdlog::debug("port {}: connection closed: {}", self->port_, ec.message());
                return;
            }
            self->rx_.insert(self->rx_.end(), self->chunk_.begin(), self->chunk_.begin() + static_cast<std::ptrdiff_t>(n));
            self->serve();
        });
    }

    // Replies to every complete request in rx_, then reads again once the replies are written.
    void serve()
    {
        std::vector<std::uint8_t> replies;
        std::size_t used = 0;
        while (used < rx_.size()) {
            auto decoded = decode_tcp_request(std::span(rx_).subspan(used), device_->stats);
            if (decoded.needs_more())
                break;
            used += decoded.consumed();
            if (decoded.failed()) {
                spdlog::warn("port {}: rejected request ({})", port_, decoded.error().message());
                continue;
            }
            auto reply = answer(decoded.frame());
            replies.insert(replies.end(), reply.begin(), reply.end());
        }
        rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(used));
        if (replies.empty()) {
            read();
            return;
        }

        tx_ = std::move(replies);
        asio::async_write(socket_, asio::buffer(tx_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (ec) {
                spdlog::warn("port {}: write failed: {}", self->port_, ec.message());
                return;
            }
            self->read();
        });
    }

    std::vector<std::uint8_t> answer(const tcp_request& req) const
    {
        std::vector<std::uint8_t> pdu;
        if (req.unit == device_->unit || req.unit == any_unit)
            pdu = execute(*device_, req.request);
        else
            pdu = encode_exception_pdu(static_cast<std::uint8_t>(req.request.function),
                                       exception_code::gateway_target_failed_to_respond);
        auto reply = encode_tcp(req.transaction, req.unit, pdu);
        spdlog::debug("port {}: reply {}", port_, proto::to_hex(reply));
        return reply;
    }

    tcp::socket socket_;
    std::shared_ptr<slave> device_;
    std::uint16_t port_;
    std::array<std::uint8_t, 512> chunk_{};
    std::vector<std::uint8_t> rx_;
    std::vector<std::uint8_t> tx_;
};

class listener : public std::enable_shared_from_this<listener> {
public:
    listener(asio::io_context& io, tcp::endpoint endpoint, std::shared_ptr<slave> device)
        : acceptor_(io), retry_(io), device_(std::move(device)), port_(endpoint.port())
    {
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen();
    }

    void accept()
    {
        acceptor_.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted)
                return;
            if (ec) {
                // Out of file descriptors, typically: try again shortly rather than spin.
                spdlog::warn("port {}: accept failed: {}", self->port_, ec.message());
                self->retry_.expires_after(std::chrono::milliseconds(100));
                self->retry_.async_wait([self](boost::system::error_code) { self->accept(); });
                return;
            }
            socket.set_option(tcp::no_delay(true));
            std::make_shared<session>(std::move(socket), self->device_, self->port_)->start();
            self->accept();
        });
    }

private:
    tcp::acceptor acceptor_;
    asio::steady_timer retry_;
    std::shared_ptr<slave> device_;
    std::uint16_t port_;
};

} // namespace

std::error_code start_tcp_servers(asio::io_context& io, const tcp_options& options)
{
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.host, ec);
    if (ec)
        return ec;

    for (unsigned port = options.first_port; port <= options.last_port; ++port) {
        auto device = std::make_shared<slave>(options.size);
        device->unit = options.unit;
        try {
            auto l = std::make_shared<listener>(io, tcp::endpoint(address, static_cast<std::uint16_t>(port)), device);
            l->accept();
        } catch (const boost::system::system_error& e) {
            spdlog::error("cannot listen on {} port {}: {}", options.host, port, e.code().message());
            return e.code();
        }
    }
    return {};
}

} // namespace citygate::modbus_sim
