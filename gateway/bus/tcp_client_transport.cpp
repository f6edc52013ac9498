#include "gateway/bus/tcp_client_transport.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <utility>

namespace citygate::bus {

namespace asio = boost::asio;
using asio::ip::tcp;

// One async_open: the resolve and connect share it with the timeout timer,
// and `done` makes whichever finishes last a no-op. It holds the caller's
// handler, which keeps the owner of this transport alive until then.
struct tcp_client_transport::open_attempt {
    explicit open_attempt(asio::io_context& io) : timer(io) {}

    open_handler handler;
    asio::steady_timer timer;
    bool done = false;
    bool timed_out = false;
};

void enable_keepalive(tcp::socket& socket)
{
    boost::system::error_code ignored;
    socket.set_option(tcp::socket::keep_alive(true), ignored);

    const int idle_s = 60;
    const int interval_s = 10;
    const int probes = 3;
    const auto fd = socket.native_handle();
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s, sizeof interval_s);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
}

std::string format_endpoint(const std::string& host, std::uint16_t port)
{
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

tcp_client_transport::tcp_client_transport(asio::io_context& io, config::bus_config bus)
    : io_(io), host_(std::move(bus.host)), port_(bus.port), connect_timeout_(bus.connect_timeout), resolver_(io),
      socket_(io)
{
}

void tcp_client_transport::async_open(open_handler handler)
{
    close();

    auto attempt = std::make_shared<open_attempt>(io_);
    attempt->handler = std::move(handler);
    opening_ = attempt;

    attempt->timer.expires_after(connect_timeout_);
    attempt->timer.async_wait([this, attempt](const boost::system::error_code& ec) {
        if (ec || attempt->done)
            return;
        // Cancelling makes the pending resolve or connect complete, and
        // its handler reports the timeout.
        attempt->timed_out = true;
        resolver_.cancel();
        boost::system::error_code ignored;
        socket_.close(ignored);
    });

    resolver_.async_resolve(host_, std::to_string(port_), tcp::resolver::numeric_service,
                            [this, attempt](const boost::system::error_code& ec, tcp::resolver::results_type endpoints) {
                                if (attempt->done)
                                    return;
                                if (ec) {
                                    finish_open(attempt, ec);
                                    return;
                                }
                                on_resolved(attempt, endpoints);
                            });
}

void tcp_client_transport::on_resolved(const std::shared_ptr<open_attempt>& attempt,
                                       const tcp::resolver::results_type& endpoints)
{
    asio::async_connect(socket_, endpoints,
                        [this, attempt](const boost::system::error_code& ec, const tcp::endpoint&) {
                            if (attempt->done)
                                return;
                            if (ec) {
                                finish_open(attempt, ec);
                                return;
                            }
                            connected_ = true;
                            enable_keepalive(socket_);
                            boost::system::error_code ignored;
                            socket_.set_option(tcp::no_delay(true), ignored);
                            finish_open(attempt, {});
                        });
}

void tcp_client_transport::finish_open(const std::shared_ptr<open_attempt>& attempt, std::error_code error)
{
    attempt->done = true;
    attempt->timer.cancel();
    if (opening_ == attempt)
        opening_.reset();
    if (error && attempt->timed_out)
        error = std::make_error_code(std::errc::timed_out);

    // Posted, because an abort from close() runs inside the caller.
    asio::post(io_, [handler = std::move(attempt->handler), error] { handler(error); });
}

void tcp_client_transport::abort_open()
{
    if (!opening_)
        return;
    resolver_.cancel();
    const auto attempt = opening_; // finish_open() resets opening_
    finish_open(attempt, std::make_error_code(std::errc::operation_canceled));
}

void tcp_client_transport::close()
{
    abort_open();
    connected_ = false;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
}

bool tcp_client_transport::is_open() const
{
    return connected_ && socket_.is_open();
}

void tcp_client_transport::async_write(std::span<const std::uint8_t> bytes, write_handler handler)
{
    asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                      [handler = std::move(handler)](const boost::system::error_code& ec, std::size_t) {
                          handler(ec);
                      });
}

void tcp_client_transport::async_read_some(std::span<std::uint8_t> buffer, read_handler handler)
{
    socket_.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                            [handler = std::move(handler)](const boost::system::error_code& ec, std::size_t n) {
                                handler(ec, n);
                            });
}

void tcp_client_transport::cancel()
{
    boost::system::error_code ignored;
    socket_.cancel(ignored);
}

void tcp_client_transport::discard_input()
{
    if (!is_open())
        return;

    // Reads only the bytes available() reports, so the read does not block.
    std::array<std::uint8_t, 512> sink{};
    boost::system::error_code ec;
    for (auto n = socket_.available(ec); !ec && n > 0; n = socket_.available(ec))
        socket_.read_some(asio::buffer(sink.data(), std::min(n, sink.size())), ec);
}

std::string tcp_client_transport::describe() const
{
    return "tcp " + format_endpoint(host_, port_);
}

std::chrono::microseconds tcp_client_transport::transmit_time(std::size_t) const
{
    return std::chrono::microseconds{0};
}

} // namespace citygate::bus
