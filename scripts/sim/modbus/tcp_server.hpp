#pragma once
// Modbus TCP mode of citygate-modbus-sim: one simulated device per listening
// port, all served by one thread with Boost.Asio. A device answers requests
// for its unit id and for 255 (the unit id of a server that is not a
// gateway); other unit ids get exception 0B (GATEWAY TARGET DEVICE FAILED TO
// RESPOND), as a gateway with no such slave would send.

#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>

namespace citygate::modbus_sim {

struct tcp_options {
    std::string host = "127.0.0.1";
    std::uint16_t first_port = 0;
    std::uint16_t last_port = 0;
    std::uint8_t unit = 1;
    std::size_t size = 100; // entries per table
};

// Opens every listening port and starts accepting; the caller runs `io`.
// Fails with the first port that cannot be opened.
std::error_code start_tcp_servers(boost::asio::io_context& io, const tcp_options& options);

} // namespace citygate::modbus_sim
