#pragma once
// transport over a local serial port (RS-485 adapter, on-board UART).

#include "gateway/bus/transport.hpp"
#include "gateway/config/config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/serial_port.hpp>

namespace citygate::bus {

class serial_transport final : public transport {
public:
    // Does not open the port; call async_open().
    serial_transport(boost::asio::io_context& io, config::bus_config bus);

    // Opens the device and applies baud, data bits, parity and stop bits,
    // with flow control off. Closes the port again if any setting fails.
    // Opening a tty does not block, so this runs at once and posts the result.
    void async_open(open_handler handler) override;

    void close() override;
    bool is_open() const override;
    void async_write(std::span<const std::uint8_t> bytes, write_handler handler) override;
    void async_read_some(std::span<std::uint8_t> buffer, read_handler handler) override;
    void cancel() override;
    void discard_input() override;
    std::string describe() const override;
    std::chrono::microseconds transmit_time(std::size_t bytes) const override;

private:
    std::error_code open();

    boost::asio::io_context& io_;
    boost::asio::serial_port port_;
    config::bus_config bus_;
};

// Line settings in the usual short form, e.g. "2400 8E1".
std::string describe_line(const config::bus_config& bus);

} // namespace citygate::bus
