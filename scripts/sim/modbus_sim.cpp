// citygate-modbus-sim: Modbus slaves for tests, demos and benchmarks, serving
// function codes 01-06, 0F and 10 from the register model in
// modbus/slave.hpp (--size entries per table).
//   --device PATH             one RTU slave on a serial line (e.g. one end of
//                             a socat pty pair). Requests for other unit ids
//                             get no reply, as on a shared bus, and broadcasts
//                             (unit 0) are executed without one.
//   --tcp-listen HOST:PORT    one Modbus TCP server (modbus/tcp_server.hpp)
//   --tcp-ports FIRST-LAST    one Modbus TCP server per port on --tcp-host,
//                             each with its own registers, in one process

#include "protocols/common/hex.hpp"
#include "protocols/modbus/rtu.hpp"
#include "scripts/sim/modbus/slave.hpp"
#include "scripts/sim/modbus/tcp_server.hpp"
#include "scripts/sim/serial_line.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <charconv>
#include <sstream>
#include <csignal>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace citygate;
using namespace citygate::modbus;
using citygate::modbus_sim::slave;

// Decodes every complete request in `rx`, replies to those for this unit and
// drops the bytes it used. Returns false when the reply cannot be written.
bool serve_buffer(slave& s, int fd, std::vector<std::uint8_t>& rx)
{
    std::size_t used = 0;
    while (used < rx.size()) {
        auto decoded = decode_rtu_request(std::span(rx).subspan(used), s.stats);
        if (decoded.needs_more())
            break;
        used += decoded.consumed();
        if (decoded.failed()) {
            spdlog::warn("unit {}: rejected request ({})", s.unit, decoded.error().message());
            continue;
        }
        const auto& req = decoded.frame();
        if (req.unit != s.unit && req.unit != broadcast_unit)
            continue;
        auto pdu = modbus_sim::execute(s, req.request);
        if (req.unit == broadcast_unit)
            continue;
        auto reply = encode_rtu(s.unit, pdu);
        spdlog::debug("unit {}: reply {}", s.unit, proto::to_hex(reply));
        if (!sim_serial::write_all(fd, reply))
            return false;
    }
    rx.erase(rx.begin(), rx.begin() + static_cast<std::ptrdiff_t>(used));
    return true;
}

// Splits "HOST:PORT" or "[IPv6]:PORT" into host and port.
bool parse_host_port(const std::string& text, std::string& host, std::uint16_t& port)
{
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0)
        return false;
    host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    const auto port_text = text.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || value > 65535)
        return false;
    port = static_cast<std::uint16_t>(value);
    return true;
}

bool parse_port_range(const std::string& text, std::uint16_t& first, std::uint16_t& last)
{
    unsigned a = 0;
    unsigned b = 0;
    char dash = 0;
    std::istringstream in(text);
    if (!(in >> a >> dash >> b) || dash != '-' || !in.eof() || a < 1 || b > 65535 || a > b)
        return false;
    first = static_cast<std::uint16_t>(a);
    last = static_cast<std::uint16_t>(b);
    return true;
}

int run_tcp(modbus_sim::tcp_options options)
{
    boost::asio::io_context io;
    if (modbus_sim::start_tcp_servers(io, options))
        return 1;
    spdlog::info("unit {}: serving {} entries per table on {} ports {}-{}", options.unit, options.size, options.host,
                 options.first_port, options.last_port);

    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
    io.run();
    spdlog::info("stopped");
    return 0;
}

int run_rtu(const std::string& device, unsigned unit, std::size_t size)
{
    sim_serial::stop_on_signals();

    const int fd = sim_serial::open_serial(device);
    if (fd < 0) {
        spdlog::error("cannot open {}: {}", device, std::strerror(errno));
        return 1;
    }
    slave s(size);
    s.unit = static_cast<std::uint8_t>(unit);
    spdlog::info("unit {}: serving {} entries per table on {}", unit, size, device);
    const auto serve_one = [&s](int out, std::vector<std::uint8_t>& rx) { return serve_buffer(s, out, rx); };
    const int rc = sim_serial::serve_serial_line(fd, "unit " + std::to_string(unit), serve_one);
    ::close(fd);
    spdlog::info("unit {}: stopped after {} valid requests", unit, s.stats.frames_ok);
    return rc;
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Modbus RTU and TCP slave simulator for citygate tests and benchmarks"};
    std::string device;
    std::string listen;
    std::string ports;
    std::string host = "127.0.0.1";
    unsigned unit = 1;
    std::size_t size = 100;
    bool verbose = false;
    auto* device_option = app.add_option("--device", device, "serial device or pty path (RTU mode)");
    auto* listen_option = app.add_option("--tcp-listen", listen, "serve one Modbus TCP device on HOST:PORT ([::1]:PORT for IPv6)");
    auto* ports_option = app.add_option("--tcp-ports", ports, "serve one Modbus TCP device per port FIRST-LAST on --tcp-host");
    app.add_option("--tcp-host", host, "address of the --tcp-ports listeners (default 127.0.0.1)");
    device_option->excludes(listen_option, ports_option);
    listen_option->excludes(ports_option);
    app.add_option("--unit", unit, "unit id (slave address) to answer: 1-247 for RTU, 1-255 for TCP")
        ->check(CLI::Range(1, 255));
    app.add_option("--size", size, "entries in each of the four tables, 1-65536")->check(CLI::Range(1, 65536));
    app.add_flag("--verbose", verbose, "log every reply in hex");
    CLI11_PARSE(app, argc, argv);
    spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);

    if (!device.empty()) {
        if (unit > 247) {
            spdlog::error("invalid --unit {}: an RTU unit id is 1-247", unit);
            return 2;
        }
        return run_rtu(device, unit, size);
    }

    modbus_sim::tcp_options options;
    options.host = host;
    options.unit = static_cast<std::uint8_t>(unit);
    options.size = size;
    if (!listen.empty()) {
        if (!parse_host_port(listen, options.host, options.first_port)) {
            spdlog::error("invalid --tcp-listen {}: expected HOST:PORT, e.g. 127.0.0.1:1502 or [::1]:1502", listen);
            return 2;
        }
        options.last_port = options.first_port;
        return run_tcp(options);
    }
    if (!ports.empty()) {
        if (!parse_port_range(ports, options.first_port, options.last_port)) {
            spdlog::error("invalid --tcp-ports {}: expected FIRST-LAST with 1 <= FIRST <= LAST <= 65535", ports);
            return 2;
        }
        return run_tcp(options);
    }
    spdlog::error("one of --device, --tcp-listen or --tcp-ports is required");
    return 2;
}
