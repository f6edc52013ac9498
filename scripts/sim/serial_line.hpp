#pragma once
// The serial side shared by the meter and Modbus RTU simulators: raw mode,
// complete writes, and the read loop that hands received bytes to the
// simulator's decoder until SIGINT or SIGTERM.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace citygate::sim_serial {

// Makes SIGINT and SIGTERM end serve_serial_line() within 200 ms.
void stop_on_signals();

// Opens a tty or a socat pty end in raw mode. Returns -1 and sets errno on failure.
int open_serial(const std::string& path);

// Writes all of `bytes`, retrying after EINTR. Returns false on a write error.
bool write_all(int fd, std::span<const std::uint8_t> bytes);

// Handler that decodes the complete requests at the start of `buffer`,
// writes a reply to each, and erases them. It returns false when a reply
// cannot be written.
using buffer_server = std::function<bool(int fd, std::vector<std::uint8_t>& buffer)>;

// Reads `fd` and passes the bytes to `serve` until a stop signal. A quiet
// line for 200 ms discards a partial request, as a meter or an RTU slave
// would. Returns 0 after a stop and 1 after a read or write error, which it
// logs under `name` (the device path or the unit).
int serve_serial_line(int fd, const std::string& name, const buffer_server& serve);

} // namespace citygate::sim_serial
