#pragma once
// transport over the connection of a 4G DTU that registered for this bus at
// the gateway's dtu_listener. The DTU relays the bytes to and from its
// serial port; heartbeats and repeated registrations are removed from the
// stream before the poller reads it.

#include "gateway/bus/dtu_packets.hpp"
#include "gateway/bus/transport.hpp"
#include "gateway/config/config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <memory>

namespace citygate::bus {

class dtu_listener;

class dtu_transport final : public transport {
public:
    // Registers with `listener`, which must outlive this transport and hands
    // it the connections whose registration matches bus.registration.
    dtu_transport(boost::asio::io_context& io, config::bus_config bus, dtu_listener& listener);
    ~dtu_transport() override;

    dtu_transport(const dtu_transport&) = delete;
    dtu_transport& operator=(const dtu_transport&) = delete;

    const std::string& bus_id() const { return bus_.id; }
    const registration_matcher& matcher() const { return matcher_; }

    // Takes over a connection whose registration matched. A connection
    // already attached is closed: the DTU reconnected and the old one is
    // stale. `rest` are bytes that followed the registration.
    void adopt(boost::asio::ip::tcp::socket socket, std::string peer, std::vector<std::uint8_t> registration,
               std::span<const std::uint8_t> rest);

    // True while a DTU is attached.
    bool attached() const { return link_ != nullptr; }

    // Heartbeats and repeated registrations removed from the stream.
    std::uint64_t packets_stripped() const { return stripped_before_ + stripper_.stripped(); }

    // Received bytes dropped because more than max_unread_bytes waited unread.
    std::uint64_t bytes_dropped() const override { return bytes_dropped_; }

    // Bytes kept for the poller between reads. A DTU has no reason to send
    // more unasked; beyond this the oldest bytes go, as discard_input()
    // would drop them before the next request anyway.
    static constexpr std::size_t max_unread_bytes = 4096;

    // Completes when a DTU is attached: at once if one is, otherwise when
    // one registers. The poller fails jobs fast meanwhile.
    void async_open(open_handler handler) override;

    // Drops the DTU's connection. The DTU has to reconnect and register again.
    void close() override;

    bool is_open() const override { return attached(); }
    void async_write(std::span<const std::uint8_t> bytes, write_handler handler) override;
    void async_read_some(std::span<std::uint8_t> buffer, read_handler handler) override;
    void cancel() override;
    void discard_input() override;

    // dtu "CL-0001" from 10.20.30.40:51234, or dtu "CL-0001" (not registered).
    std::string describe() const override;

    // Zero: the DTU buffers the request and paces its own serial line.
    std::chrono::microseconds transmit_time(std::size_t bytes) const override;

private:
    struct link;

    void start_read(const std::shared_ptr<link>& connection);
    void on_received(const std::shared_ptr<link>& connection, std::size_t bytes);
    void append_data(std::vector<std::uint8_t> data);
    void deliver();
    void drop_link(std::error_code reason);
    void arm_stale_check(const std::shared_ptr<link>& connection);
    void arm_hold_timer();
    void fail_read(std::error_code error);
    void complete_open(std::error_code error);

    boost::asio::io_context& io_;
    config::bus_config bus_;
    dtu_listener& listener_;
    registration_matcher matcher_;
    std::vector<std::uint8_t> heartbeat_;
    packet_stripper stripper_;
    std::uint64_t stripped_before_ = 0; // by the strippers of earlier connections
    std::uint64_t bytes_dropped_ = 0;
    boost::asio::steady_timer hold_timer_;

    std::shared_ptr<link> link_;
    std::deque<std::uint8_t> data_; // received, stripped, not yet read
    std::span<std::uint8_t> read_buffer_;
    read_handler read_handler_;
    open_handler open_handler_;
};

} // namespace citygate::bus
