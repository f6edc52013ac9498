#pragma once
// transport over a TCP connection that the gateway opens to a serial server
// (a transparent RS-485-to-Ethernet converter) or a Modbus TCP device.

#include "gateway/bus/transport.hpp"
#include "gateway/config/config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

namespace citygate::bus {

class tcp_client_transport final : public transport {
public:
    // Does not connect; call async_open(). Uses bus.host, bus.port and
    // bus.connect_timeout.
    tcp_client_transport(boost::asio::io_context& io, config::bus_config bus);

    // Resolves the host (a name, or an IPv4 or IPv6 literal), connects to the
    // first address that accepts within connect_timeout, and turns on TCP
    // keepalive. Fails with "timed out" when connect_timeout passes first.
    void async_open(open_handler handler) override;

    void close() override;
    bool is_open() const override;
    void async_write(std::span<const std::uint8_t> bytes, write_handler handler) override;
    void async_read_some(std::span<std::uint8_t> buffer, read_handler handler) override;
    void cancel() override;
    void discard_input() override;

    // "tcp 192.168.1.20:4001", "tcp [fd00::20]:4001" or "tcp ser-1.lan:4001".
    std::string describe() const override;

    // Zero: the serial server paces the bytes on its own line.
    std::chrono::microseconds transmit_time(std::size_t bytes) const override;

private:
    struct open_attempt;

    void on_resolved(const std::shared_ptr<open_attempt>& attempt,
                     const boost::asio::ip::tcp::resolver::results_type& endpoints);
    void finish_open(const std::shared_ptr<open_attempt>& attempt, std::error_code error);
    void abort_open();

    boost::asio::io_context& io_;
    // Connect settings only, not the whole bus config, because a gateway
    // may have hundreds of transports.
    std::string host_;
    std::uint16_t port_;
    std::chrono::milliseconds connect_timeout_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::ip::tcp::socket socket_;
    std::shared_ptr<open_attempt> opening_;
    bool connected_ = false;
};

// Turns on TCP keepalive with probes after 60 s idle, every 10 s, 3 times,
// so a peer that vanished (a 4G link gone) is noticed in about 90 s rather
// than the kernel's default two hours. Errors are ignored: keepalive only
// speeds up detection.
void enable_keepalive(boost::asio::ip::tcp::socket& socket);

// "host:port" with an IPv6 literal in brackets.
std::string format_endpoint(const std::string& host, std::uint16_t port);

} // namespace citygate::bus
