// citygate-dlt645-sim: DL/T 645 electricity meters on a serial line (e.g.
// one end of a socat pty pair). Replies to read-data requests of both editions
// for the configured meter addresses: the total forward active energy and its
// tariffs grow by a fixed step per energy reply, the other quantities of
// dlt645::quantities() get fixed plausible values. A DI without a value gets
// an abnormal reply with the "no requested data" bit (2007) or the "wrong data
// identifier" bit (1997). The read-address request to AA..AA gets a reply when
// exactly one meter is configured. Broadcast time sync frames are logged.
// Other addresses get no reply, as on a shared bus.

#include "gateway/log/log.hpp"
#include "protocols/common/hex.hpp"
#include "scripts/sim/serial_line.hpp"
#include "protocols/dlt645/codec.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace citygate;

struct options {
    std::string device;
    std::vector<std::string> meters;
    double start = 1000.0;
    double step = 0.5;
    unsigned drop_every = 0;
    std::string log_path;
    std::string log_level = "info";
};

struct meter {
    double energy = 0; // total forward active energy, kWh
    unsigned answers = 0;
};

struct simulator {
    options opts;
    std::map<std::string, meter> meters; // keyed by printed address
    std::ofstream log;
    unsigned read_requests = 0;
    dlt645::counters stats;
};

// Value of `metric` for a meter; the energies follow the meter's counter so
// that import = t1 + t2 + t3 + t4 holds.
double value_of(const meter& m, std::string_view metric)
{
    if (metric == "energy_import" || metric == "energy_combined")
        return m.energy;
    if (metric.starts_with("energy_import_t"))
        return m.energy / 4;
    if (metric.starts_with("energy_export"))
        return 0.0;
    if (metric.starts_with("energy_reactive"))
        return m.energy / 10;
    if (metric.starts_with("voltage"))
        return 220.0;
    if (metric.starts_with("current"))
        return 5.0;
    if (metric.starts_with("power_factor"))
        return 0.95;
    if (metric == "power_active" || metric == "power_reactive" || metric == "power_apparent")
        return 3000.0;
    return 1000.0; // one phase of a power quantity
}

std::vector<std::uint8_t> answer_read(simulator& sim, meter& m, const dlt645::request& req, dlt645::data_id di)
{
    const auto* q = dlt645::find_quantity(req.edition, di);
    if (q == nullptr) {
        spdlog::info("{}: meter {}: no value for DI {:X}, sending an abnormal reply", sim.opts.device,
                     dlt645::to_string(req.link.address), di);
        return dlt645::encode_frame(dlt645::make_error_reply(req.edition, req.link.address, 0x02));
    }

    const auto& format = req.edition == dlt645::edition::v2007 ? q->format_2007 : q->format_1997;
    std::vector<std::uint8_t> value;
    dlt645::append_value(value, format, value_of(m, q->metric));
    auto reply = dlt645::make_read_reply(req.edition, req.link.address, di, value);

    if (q->metric == "energy_import") {
        if (sim.log.is_open())
            sim.log << dlt645::to_string(req.link.address) << ' ' << std::fixed << std::setprecision(2) << m.energy
                    << std::endl;
        m.energy += sim.opts.step;
    }
    ++m.answers;
    return dlt645::encode_frame(reply);
}

std::optional<std::vector<std::uint8_t>> answer_read_address(simulator& sim, const dlt645::request& req)
{
    // Every meter replies to the wildcard address, so with several meters the
    // replies would collide on a real bus; the simulator stays silent instead.
    if (sim.meters.size() != 1) {
        spdlog::warn("{}: read-address request ignored: the simulator replies only when exactly one meter "
                     "is configured ({} configured)",
                     sim.opts.device, sim.meters.size());
        return std::nullopt;
    }
    auto addr = dlt645::parse_address(sim.meters.begin()->first).value();
    return dlt645::encode_frame(dlt645::make_read_address_reply(req.edition, addr));
}

std::optional<std::vector<std::uint8_t>> answer(simulator& sim, const dlt645::request& req)
{
    if (const auto* sync = std::get_if<dlt645::time_sync_request>(&req.body)) {
        const auto& t = sync->time;
        spdlog::info("{}: broadcast time sync to {:04}-{:02}-{:02} {:02}:{:02}:{:02}", sim.opts.device, t.year,
                     t.month, t.day, t.hour, t.minute, t.second);
        return std::nullopt;
    }
    if (std::holds_alternative<dlt645::read_address_request>(req.body))
        return answer_read_address(sim, req);

    auto it = sim.meters.find(dlt645::to_string(req.link.address));
    if (it == sim.meters.end())
        return std::nullopt; // another meter's request

    ++sim.read_requests;
    if (sim.opts.drop_every > 0 && sim.read_requests % sim.opts.drop_every == 0) {
        spdlog::info("{}: meter {}: dropping reply to request {}", sim.opts.device, it->first, sim.read_requests);
        return std::nullopt;
    }
    return answer_read(sim, it->second, req, std::get<dlt645::read_request>(req.body).di);
}

// Decodes every complete request in `buffer`, writes the reply, and drops what was used.
bool serve_buffer(simulator& sim, int fd, std::vector<std::uint8_t>& buffer)
{
    for (;;) {
        auto result = dlt645::decode_request(buffer, sim.stats);
        if (result.needs_more())
            return true;

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

void add_options(CLI::App& app, options& opts)
{
    app.add_option("--device", opts.device, "Serial device to serve, e.g. a socat pty end")->required();
    app.add_option("--meter", opts.meters, "Meter address: 12 decimal digits as printed (repeatable)")->required();
    app.add_option("--start", opts.start, "Total active energy of the first reply, kWh")->capture_default_str();
    app.add_option("--step", opts.step, "Energy added after each total active energy reply, kWh")
        ->capture_default_str();
    app.add_option("--drop-every", opts.drop_every, "Leave every Nth read-data request unanswered (0: never)");
    app.add_option("--log", opts.log_path, "Append one line \"ADDRESS ENERGY\" per total active energy reply");
    app.add_option("--log-level", opts.log_level, "spdlog level: trace, debug, info, warn, error")
        ->capture_default_str();
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app{"DL/T 645 electricity meter simulator (1997 and 2007 editions)"};
    simulator sim;
    add_options(app, sim.opts);
    CLI11_PARSE(app, argc, argv);

    if (!log::init("citygate-dlt645-sim", sim.opts.log_level))
        spdlog::warn("unknown --log-level {}: using info", sim.opts.log_level);

    for (const auto& spec : sim.opts.meters) {
        auto addr = dlt645::parse_address(spec);
        if (!addr) {
            spdlog::error("invalid --meter {}: expected 12 decimal digits", spec);
            return 2;
        }
        sim.meters[dlt645::to_string(*addr)] = meter{sim.opts.start, 0};
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
