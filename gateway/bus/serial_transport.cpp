#include "gateway/bus/serial_transport.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <termios.h>

#include <utility>

namespace citygate::bus {

namespace asio = boost::asio;
using serial = asio::serial_port_base;

namespace {

serial::parity::type to_asio(config::parity p)
{
    switch (p) {
    case config::parity::even:
        return serial::parity::even;
    case config::parity::odd:
        return serial::parity::odd;
    case config::parity::none:
        break;
    }
    return serial::parity::none;
}

char parity_letter(config::parity p)
{
    switch (p) {
    case config::parity::even:
        return 'E';
    case config::parity::odd:
        return 'O';
    case config::parity::none:
        break;
    }
    return 'N';
}

} // namespace

std::string describe_line(const config::bus_config& bus)
{
    return std::to_string(bus.baud) + ' ' + std::to_string(bus.data_bits) + parity_letter(bus.parity) +
           std::to_string(bus.stop_bits);
}

serial_transport::serial_transport(asio::io_context& io, config::bus_config bus)
    : io_(io), port_(io), bus_(std::move(bus))
{
}

void serial_transport::async_open(open_handler handler)
{
    asio::post(io_, [handler = std::move(handler), error = open()] { handler(error); });
}

std::error_code serial_transport::open()
{
    boost::system::error_code ec;
    if (port_.is_open())
        port_.close(ec);

    port_.open(bus_.device, ec);
    if (ec)
        return ec;

    const auto stop_bits = bus_.stop_bits == 2 ? serial::stop_bits::two : serial::stop_bits::one;
    port_.set_option(serial::baud_rate(bus_.baud), ec);
    if (!ec)
        port_.set_option(serial::character_size(bus_.data_bits), ec);
    if (!ec)
        port_.set_option(serial::parity(to_asio(bus_.parity)), ec);
    if (!ec)
        port_.set_option(serial::stop_bits(stop_bits), ec);
    if (!ec)
        port_.set_option(serial::flow_control(serial::flow_control::none), ec);

    if (ec) {
        boost::system::error_code ignored;
        port_.close(ignored);
    }
    return ec;
}

void serial_transport::close()
{
    boost::system::error_code ignored;
    port_.close(ignored);
}

bool serial_transport::is_open() const
{
    return port_.is_open();
}

void serial_transport::async_write(std::span<const std::uint8_t> bytes, write_handler handler)
{
    asio::async_write(port_, asio::buffer(bytes.data(), bytes.size()),
                      [handler = std::move(handler)](const boost::system::error_code& ec, std::size_t) {
                          handler(ec);
                      });
}

void serial_transport::async_read_some(std::span<std::uint8_t> buffer, read_handler handler)
{
    port_.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                          [handler = std::move(handler)](const boost::system::error_code& ec, std::size_t n) {
                              handler(ec, n);
                          });
}

void serial_transport::cancel()
{
    boost::system::error_code ignored;
    port_.cancel(ignored);
}

void serial_transport::discard_input()
{
    if (port_.is_open())
        ::tcflush(port_.native_handle(), TCIFLUSH);
}

std::string serial_transport::describe() const
{
    return bus_.device + ' ' + describe_line(bus_);
}

std::chrono::microseconds serial_transport::transmit_time(std::size_t bytes) const
{
    // Start bit, data bits, parity bit and stop bits per character.
    const unsigned parity_bits = bus_.parity == config::parity::none ? 0 : 1;
    const unsigned bits_per_char = 1 + bus_.data_bits + parity_bits + bus_.stop_bits;
    const unsigned baud = bus_.baud == 0 ? 1 : bus_.baud;
    return std::chrono::microseconds{bytes * bits_per_char * 1000000ull / baud};
}

} // namespace citygate::bus
