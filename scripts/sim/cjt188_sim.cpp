// citygate-cjt188-sim: CJ/T 188 meters on a serial line (e.g. one end of a
// socat pty pair). Answers read-data (901F) requests for the configured meter
// addresses with volumes that grow by a fixed step per answer, answers the
// read-address broadcast (810A) when exactly one meter is configured, and stays
// silent for other addresses as a meter on a shared bus does. Replies use the
// data identifier byte order (2004 or 2018 edition) of the request.
//
// --decode reads hex replies from stdin and prints "ADDRESS VOLUME" per reply,
// so scripts can check bytes taken off the wire with the project codec.

#include "gateway/log/log.hpp"
#include "protocols/cjt188/codec.hpp"
#include "protocols/cjt188/valve.hpp"
#include "protocols/common/hex.hpp"
#include "scripts/sim/serial_line.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unistd.h>
#include <variant>
#include <vector>

namespace {

using namespace citygate;

struct options {
    std::string device;
    std::vector<std::string> meters;
    unsigned meter_count = 0;
    std::string first_address = "78330000000001";
    double start = 100.0;
    double step = 0.25;
    unsigned drop_every = 0;
    std::string log_path;
    std::string log_level = "info";
    bool decode = false;
};

struct meter {
    std::uint8_t type = 0x10;
    double volume = 0;
    unsigned answers = 0;
    bool valve_closed = false; // set by valve-control commands; shown in ST of every reply
};

struct simulator {
    options opts;
    std::map<std::string, meter> meters; // keyed by printed address
    std::ofstream log;
    unsigned read_requests = 0;
    cjt188::counters stats;
};

// Parses "ADDR" or "ADDR:TYPE" (TYPE two hex digits).
bool add_meter(simulator& sim, const std::string& spec)
{
    const auto colon = spec.find(':');
    auto addr = cjt188::parse_address(spec.substr(0, colon));
    if (!addr)
        return false;

    meter m;
    m.volume = sim.opts.start;
    if (colon != std::string::npos) {
        auto type = proto::from_hex(spec.substr(colon + 1));
        if (!type || type->size() != 1 || cjt188::classify_meter_type(type->front()) == cjt188::meter_family::other)
            return false;
        m.type = type->front();
    }
    sim.meters[cjt188::to_string(*addr)] = m;
    return true;
}

// Generates `count` addresses: the manufacturer code (first 4 digits) of
// `first`, and meter numbers counting up in decimal from its last 10 digits.
bool generate_meters(simulator& sim, unsigned count, const std::string& first)
{
    if (!cjt188::parse_address(first) || first.find_first_not_of("0123456789", 4) != std::string::npos)
        return false;

    const unsigned long long base = std::stoull(first.substr(4));
    for (unsigned i = 0; i < count; ++i) {
        char number[16];
        std::snprintf(number, sizeof number, "%010llu", (base + i) % 10000000000ULL);
        if (!add_meter(sim, first.substr(0, 4) + number))
            return false;
    }
    return true;
}

cjt188::meter_data values_for(const meter& m)
{
    const cjt188::meter_clock clock{2025, 1, 1, 0, 0, static_cast<int>(m.answers % 60)};
    if (cjt188::classify_meter_type(m.type) == cjt188::meter_family::heat) {
        cjt188::heat_meter_data heat;
        heat.settlement_heat = {m.volume * 0.5, 0x05, cjt188::quantity_kind::energy};
        heat.current_heat = {m.volume, 0x05, cjt188::quantity_kind::energy};
        heat.power = {1.5, 0x17, cjt188::quantity_kind::power};
        heat.flow_rate = {0.35, 0x35, cjt188::quantity_kind::flow_rate};
        heat.volume = {m.volume, 0x2C, cjt188::quantity_kind::volume};
        heat.supply_temp = 55.0;
        heat.return_temp = 40.0;
        heat.working_hours = m.answers;
        heat.clock = clock;
        return heat;
    }

    cjt188::flow_meter_data flow;
    flow.current_volume = {m.volume, 0x2C, cjt188::quantity_kind::volume};
    flow.settlement_volume = {m.volume, 0x2C, cjt188::quantity_kind::volume};
    flow.clock = clock;
    flow.status.st1 = m.valve_closed ? 0x01 : 0x00;
    return flow;
}

std::optional<std::vector<std::uint8_t>> answer_valve(simulator& sim, const cjt188::valve_request& req)
{
    const std::string addr = cjt188::to_string(req.link.address);
    auto it = sim.meters.find(addr);
    if (it == sim.meters.end())
        return std::nullopt;

    meter& m = it->second;
    m.valve_closed = req.command == cjt188::valve_command::close;
    spdlog::info("{}: meter {}: valve {}", sim.opts.device, addr, m.valve_closed ? "closed" : "opened");
    if (sim.log.is_open())
        sim.log << addr << " valve " << (m.valve_closed ? "closed" : "open") << std::endl;

    cjt188::meter_status status;
    status.st1 = m.valve_closed ? 0x01 : 0x00;
    return cjt188::encode_frame(cjt188::make_valve_reply(m.type, req.link.address, req.di.order, req.ser, status));
}

std::optional<std::vector<std::uint8_t>> answer_read_data(simulator& sim, const cjt188::request& req)
{
    const std::string addr = cjt188::to_string(req.link.address);
    auto it = sim.meters.find(addr);
    if (it == sim.meters.end())
        return std::nullopt; // another meter's request

    ++sim.read_requests;
    if (sim.opts.drop_every > 0 && sim.read_requests % sim.opts.drop_every == 0) {
        spdlog::info("{}: meter {}: dropping reply to request {}", sim.opts.device, addr, sim.read_requests);
        return std::nullopt;
    }

    meter& m = it->second;
    auto reply = cjt188::make_read_data_reply(m.type, req.link.address, req.di.order, req.ser, values_for(m));
    if (sim.log.is_open())
        sim.log << addr << ' ' << std::fixed << std::setprecision(2) << m.volume << std::endl;

    ++m.answers;
    m.volume += sim.opts.step;
    return cjt188::encode_frame(reply);
}

std::optional<std::vector<std::uint8_t>> answer_read_address(simulator& sim, const cjt188::request& req)
{
    // Every meter answers the broadcast, so with several meters the replies
    // would collide on a real bus; the simulator stays silent instead.
    if (req.link.address != cjt188::broadcast_address || sim.meters.size() != 1) {
        spdlog::warn("{}: read-address request to {} ignored: only the broadcast address with exactly one meter "
                     "configured is answered ({} configured)",
                     sim.opts.device, cjt188::to_string(req.link.address), sim.meters.size());
        return std::nullopt;
    }
    const auto& [printed, m] = *sim.meters.begin();
    auto reply = cjt188::make_read_address_reply(m.type, *cjt188::parse_address(printed), req.di.order, req.ser);
    return cjt188::encode_frame(reply);
}

std::optional<std::vector<std::uint8_t>> answer(simulator& sim, const cjt188::request& req)
{
    if (req.di.value == cjt188::di_read_data)
        return answer_read_data(sim, req);
    return answer_read_address(sim, req);
}

// Decodes every complete request in `buffer`, writes the reply, and drops what was used.
bool serve_buffer(simulator& sim, int fd, std::vector<std::uint8_t>& buffer)
{
    for (;;) {
        auto result = cjt188::decode_request(buffer, sim.stats);
        if (result.needs_more())
            return true;

        // Read requests are the common case; a write-data frame is tried
        // as a valve command before it is dropped.
        if (result.failed() && result.error() == cjt188::error::unexpected_control) {
            auto valve = cjt188::decode_valve_request(buffer, sim.stats);
            if (valve.has_frame()) {
                auto reply = answer_valve(sim, valve.frame());
                if (reply && !sim_serial::write_all(fd, *reply))
                    return false;
                buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(valve.consumed()));
                continue;
            }
        }

        if (result.has_frame()) {
            spdlog::debug("{}: request {}", sim.opts.device, proto::to_hex(std::span(buffer).first(result.consumed())));
            auto reply = answer(sim, result.frame());
            if (reply && !sim_serial::write_all(fd, *reply))
                return false;
        } else {
            spdlog::warn("{}: dropped {} bytes: {}", sim.opts.device, result.consumed(), result.error().message());
        }
        buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(result.consumed()));
    }
}

int serve(simulator& sim)
{
    const int fd = sim_serial::open_serial(sim.opts.device);
    if (fd < 0) {
        spdlog::error("cannot open serial device {}: {}", sim.opts.device, std::strerror(errno));
        return 1;
    }
    spdlog::info("serving {} meters on {}", sim.meters.size(), sim.opts.device);

    const auto serve_one = [&sim](int out, std::vector<std::uint8_t>& buffer) { return serve_buffer(sim, out, buffer); };
    const int rc = sim_serial::serve_serial_line(fd, sim.opts.device, serve_one);
    ::close(fd);
    spdlog::info("{}: stopped after {} read-data requests", sim.opts.device, sim.read_requests);
    return rc;
}

// Prints "ADDRESS VOLUME" for every read-data reply in the hex on stdin.
int decode_stdin()
{
    std::string text(std::istreambuf_iterator<char>(std::cin), {});
    auto bytes = proto::from_hex(text);
    if (!bytes) {
        std::cerr << "invalid hex on standard input\n";
        return 2;
    }

    cjt188::counters stats;
    std::span<const std::uint8_t> rest(*bytes);
    int replies = 0;
    while (!rest.empty()) {
        auto result = cjt188::decode_reply(rest, stats);
        if (result.needs_more())
            break;
        if (result.has_frame()) {
            if (const auto* body = std::get_if<cjt188::read_data_reply>(&result.frame().body)) {
                double volume = std::visit(
                    [](const auto& d) -> double {
                        if constexpr (requires { d.current_volume; })
                            return d.current_volume.canonical();
                        else
                            return d.volume.canonical();
                    },
                    body->values);
                std::printf("%s %.2f\n", cjt188::to_string(result.frame().link.address).c_str(), volume);
                ++replies;
            }
        } else {
            std::cerr << "rejected " << result.consumed() << " bytes: " << result.error().message() << '\n';
        }
        rest = rest.subspan(result.consumed());
    }
    return replies > 0 ? 0 : 1;
}

void add_options(CLI::App& app, options& opts)
{
    app.add_option("--device", opts.device, "Serial device to serve, e.g. a socat pty end");
    app.add_option("--meter", opts.meters, "Meter ADDR[:TYPE]: 14 hex digits as printed, TYPE two hex digits (default 10)");
    app.add_option("--meters", opts.meter_count, "Generate this many consecutive meter addresses");
    app.add_option("--first-address", opts.first_address, "First generated address (last 10 digits decimal)")
        ->capture_default_str();
    app.add_option("--start", opts.start, "Volume of the first answer, m3")->capture_default_str();
    app.add_option("--step", opts.step, "Volume added after each answer, m3")->capture_default_str();
    app.add_option("--drop-every", opts.drop_every, "Leave every Nth read-data request unanswered (0: never)");
    app.add_option("--log", opts.log_path, "Append one line \"ADDRESS VOLUME\" per read-data reply to this file");
    app.add_option("--log-level", opts.log_level, "spdlog level: trace, debug, info, warn, error")
        ->capture_default_str();
    app.add_flag("--decode", opts.decode, "Decode hex replies from stdin and print \"ADDRESS VOLUME\" lines");
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"CJ/T 188 water, heat and gas meter simulator"};
    simulator sim;
    add_options(app, sim.opts);
    CLI11_PARSE(app, argc, argv);

    if (sim.opts.decode)
        return decode_stdin();

    if (!log::init("citygate-cjt188-sim", sim.opts.log_level))
        spdlog::warn("unknown --log-level {}: using info", sim.opts.log_level);

    for (const auto& spec : sim.opts.meters) {
        if (!add_meter(sim, spec)) {
            spdlog::error("invalid --meter {}: expected 14 hex digits and an optional :TYPE in 10-39", spec);
            return 2;
        }
    }
    if (!generate_meters(sim, sim.opts.meter_count, sim.opts.first_address)) {
        spdlog::error("invalid --first-address {}: expected 4 hex digits then 10 decimal digits", sim.opts.first_address);
        return 2;
    }
    if (sim.opts.device.empty() || sim.meters.empty()) {
        spdlog::error("--device and at least one --meter or --meters are required");
        return 2;
    }
    if (!sim.opts.log_path.empty()) {
        sim.log.open(sim.opts.log_path, std::ios::app);
        if (!sim.log) {
            spdlog::error("cannot open --log file {}: {}", sim.opts.log_path, std::strerror(errno));
            return 2;
        }
    }

    sim_serial::stop_on_signals();
    return serve(sim);
}
