// citygate-modbus-sim: one Modbus RTU slave on a serial line (e.g. one end
// of a socat pty pair). It serves function codes 01-06, 0F and 10 from four
// tables of --size entries each:
//   coils[i]            = (i % 2 == 0)
//   discrete inputs[i]  = (i % 3 == 0)
//   holding registers[i] = i * 10
//   input registers[i]   = 1000 + i
// Writes change coils and holding registers. A read or write past --size
// gets exception 02 (ILLEGAL DATA ADDRESS). Requests for other unit ids get
// no reply, as on a shared bus, and broadcasts (unit 0) are executed without one.

#include "protocols/common/hex.hpp"
#include "protocols/modbus/rtu.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <termios.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace citygate;
using namespace citygate::modbus;

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int)
{
    stop_requested = 1;
}

struct slave {
    std::uint8_t unit = 1;
    std::vector<bool> coils;
    std::vector<bool> discrete_inputs;
    std::vector<std::uint16_t> holding;
    std::vector<std::uint16_t> input;
    counters stats;

    explicit slave(std::size_t size) : coils(size), discrete_inputs(size), holding(size), input(size)
    {
        for (std::size_t i = 0; i < size; ++i) {
            coils[i] = i % 2 == 0;
            discrete_inputs[i] = i % 3 == 0;
            holding[i] = static_cast<std::uint16_t>(i * 10);
            input[i] = static_cast<std::uint16_t>(1000 + i);
        }
    }
};

bool in_range(std::size_t address, std::size_t count, std::size_t size)
{
    return address + count <= size;
}

template <typename T>
std::vector<T> slice(const std::vector<T>& table, const request& r)
{
    return {table.begin() + r.address, table.begin() + r.address + r.quantity};
}

// Executes a valid request and returns its response PDU.
std::vector<std::uint8_t> execute(slave& s, const request& r)
{
    const auto function = static_cast<std::uint8_t>(r.function);
    const auto size = s.holding.size();
    const bool single = r.function == function_code::write_single_coil || r.function == function_code::write_single_register;
    if (!in_range(r.address, single ? 1 : r.quantity, size))
        return encode_exception_pdu(function, exception_code::illegal_data_address);

    switch (r.function) {
    case function_code::read_coils: return encode_bits_pdu(r.function, slice(s.coils, r));
    case function_code::read_discrete_inputs: return encode_bits_pdu(r.function, slice(s.discrete_inputs, r));
    case function_code::read_holding_registers: return encode_registers_pdu(r.function, slice(s.holding, r));
    case function_code::read_input_registers: return encode_registers_pdu(r.function, slice(s.input, r));
    case function_code::write_single_coil: s.coils[r.address] = r.value == coil_on; break;
    case function_code::write_single_register: s.holding[r.address] = r.value; break;
    case function_code::write_multiple_coils:
        std::copy(r.coils.begin(), r.coils.end(), s.coils.begin() + r.address);
        break;
    case function_code::write_multiple_registers:
        std::copy(r.registers.begin(), r.registers.end(), s.holding.begin() + r.address);
        break;
    }
    return encode_echo_pdu(r);
}

int open_serial(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY);
    if (fd < 0)
        return -1;
    termios tio{};
    if (::tcgetattr(fd, &tio) == 0) {
        ::cfmakeraw(&tio);
        ::tcsetattr(fd, TCSANOW, &tio);
    }
    return fd;
}

bool write_all(int fd, const std::vector<std::uint8_t>& bytes)
{
    std::size_t done = 0;
    while (done < bytes.size()) {
        const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

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
        auto pdu = execute(s, req.request);
        if (req.unit == broadcast_unit)
            continue;
        auto reply = encode_rtu(s.unit, pdu);
        spdlog::debug("unit {}: reply {}", s.unit, proto::to_hex(reply));
        if (!write_all(fd, reply))
            return false;
    }
    rx.erase(rx.begin(), rx.begin() + static_cast<std::ptrdiff_t>(used));
    return true;
}

int serve(slave& s, int fd)
{
    std::vector<std::uint8_t> rx;
    while (!stop_requested) {
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 200) <= 0)
            continue;
        std::uint8_t chunk[256];
        const auto n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            spdlog::error("unit {}: serial read failed: {}", s.unit, n == 0 ? "end of file" : std::strerror(errno));
            return 1;
        }
        rx.insert(rx.end(), chunk, chunk + n);
        if (!serve_buffer(s, fd, rx)) {
            spdlog::error("unit {}: serial write failed: {}", s.unit, std::strerror(errno));
            return 1;
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"Modbus RTU slave simulator for citygate tests"};
    std::string device;
    unsigned unit = 1;
    std::size_t size = 100;
    bool verbose = false;
    app.add_option("--device", device, "serial device or pty path")->required();
    app.add_option("--unit", unit, "unit id (slave address) to answer, 1-247")->check(CLI::Range(1, 247));
    app.add_option("--size", size, "entries in each of the four tables, 1-65536")->check(CLI::Range(1, 65536));
    app.add_flag("--verbose", verbose, "log every reply in hex");
    CLI11_PARSE(app, argc, argv);
    spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);

    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);

    const int fd = open_serial(device);
    if (fd < 0) {
        spdlog::error("cannot open {}: {}", device, std::strerror(errno));
        return 1;
    }
    slave s(size);
    s.unit = static_cast<std::uint8_t>(unit);
    spdlog::info("unit {}: serving {} entries per table on {}", unit, size, device);
    const int rc = serve(s, fd);
    ::close(fd);
    spdlog::info("unit {}: stopped after {} valid requests", unit, s.stats.frames_ok);
    return rc;
}
