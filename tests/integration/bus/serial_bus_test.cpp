// device_manager with the real serial_transport and the cjt188 driver,
// polling three simulated meters (citygate-cjt188-sim) across a socat pty
// pair: readings with growing totals, the simulator killed and restarted
// (offline and online events), and the pty itself deleted and recreated
// (the port is reopened with backoff, as after unplugging a USB adapter).

#include "drivers/registry.hpp"
#include "gateway/bus/device_manager.hpp"

#include <boost/asio/io_context.hpp>
#include "tests/support/mosquitto_fixture.hpp"
#include "tests/support/process.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

using namespace citygate;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

// Printed addresses, A6 first, as on the meters' labels.
const std::vector<std::string> meters = {"78330011220001", "78330011220002", "78330011220003"};

using test::child_process;
using test::read_text;
using test::temp_dir;
using test::wait_until;

// The pty bus: socat between end "gw" (the gateway's serial device) and
// end "sim" (the simulator's).
class pty_bus {
public:
    fs::path gateway_end() const { return dir_.path() / "gw"; }
    fs::path sim_end() const { return dir_.path() / "sim"; }
    fs::path log(const std::string& name) const { return dir_.path() / (name + ".log"); }

    void start_socat()
    {
        socat_.emplace(std::vector<std::string>{CITYGATE_SOCAT, "-d", "-d",
                                                "pty,raw,echo=0,link=" + gateway_end().string(),
                                                "pty,raw,echo=0,link=" + sim_end().string()},
                       log("socat"));
        const bool linked =
            wait_until([&] { return fs::exists(gateway_end()) && fs::exists(sim_end()); }, 10s);
        REQUIRE_MESSAGE(linked, "socat did not create its ptys: " << read_text(log("socat")));
    }

    // SIGTERM: socat removes its links, so the device path disappears as
    // when a USB adapter is unplugged.
    void stop_socat()
    {
        socat_.reset();
        REQUIRE(wait_until([&] { return !fs::exists(gateway_end()); }, 5s));
    }

    void start_sim(double start_volume)
    {
        std::vector<std::string> args{CITYGATE_CJT188_SIM, "--device", sim_end().string(), "--start",
                                      std::to_string(start_volume)};
        for (const auto& m : meters) {
            args.push_back("--meter");
            args.push_back(m);
        }
        const auto serving_before = count_serving();
        sim_.emplace(args, log("sim"));
        REQUIRE_MESSAGE(wait_until([&] { return count_serving() > serving_before; }, 10s),
                        "simulator did not start: " << read_text(log("sim")));
    }

    // SIGKILL: the meters go silent without a word.
    void kill_sim()
    {
        if (sim_)
            sim_->stop(SIGKILL);
        sim_.reset();
    }

    // After stop_socat the simulator exits on its own (its pty is gone).
    void reap_sim() { sim_.reset(); }

private:
    std::size_t count_serving() const
    {
        const auto text = read_text(log("sim"));
        std::size_t n = 0;
        for (auto pos = text.find("serving"); pos != std::string::npos; pos = text.find("serving", pos + 1))
            ++n;
        return n;
    }

    temp_dir dir_;
    std::optional<child_process> socat_;
    std::optional<child_process> sim_;
};

config::config bus_config(const fs::path& device)
{
    config::config cfg;
    config::bus_config bus;
    bus.id = "rs485-pty";
    bus.device = device.string();
    bus.baud = 9600;
    bus.response_timeout = 250ms;
    bus.inter_frame_gap = 20ms;
    bus.retries = 0;
    cfg.buses.push_back(bus);

    for (std::size_t i = 0; i < meters.size(); ++i) {
        config::device_config d;
        d.id = "meter-" + std::to_string(i + 1);
        d.driver = "cjt188";
        d.bus = bus.id;
        d.address = meters[i];
        d.poll_interval = std::chrono::seconds{1};
        d.offline_after = 2;
        cfg.devices.push_back(d);
    }
    return cfg;
}

bus::poller_options quick_recovery()
{
    bus::poller_options options;
    options.first_poll_stagger = 100ms;
    options.offline_backoff_max = 2000ms;
    options.reopen_min = 100ms;
    options.reopen_max = 400ms;
    return options;
}

struct gateway {
    explicit gateway(const config::config& cfg) : manager(io, drivers, bus::serial_transport_factory(), quick_recovery())
    {
        drivers::register_builtin_drivers(drivers);
        manager.on_reading([this](reading r) { readings.push_back(std::move(r)); });
        manager.on_event([this](reading r) {
            if (r.values.at(0).metric == "state")
                states[r.device_id].push_back(std::get<interned_string>(r.values.at(0).value));
        });
        const auto summary = manager.apply(cfg);
        REQUIRE(summary.errors.empty());
        REQUIRE(summary.devices_added.size() == meters.size());
    }

    // Runs the io_context until `done` holds or `limit` passes.
    bool run_until(const std::function<bool()>& done, milliseconds limit)
    {
        const auto deadline = steady::now() + limit;
        while (!done()) {
            if (steady::now() >= deadline)
                return false;
            io.run_one_for(20ms);
            if (io.stopped())
                io.restart();
        }
        return true;
    }

    std::vector<double> volumes_of(const std::string& id) const
    {
        std::vector<double> out;
        for (const auto& r : readings)
            if (r.device_id == id)
                for (const auto& v : r.values)
                    if (v.metric == "volume")
                        out.push_back(std::get<double>(v.value));
        return out;
    }

    std::string last_state(const std::string& id) const
    {
        auto it = states.find(id);
        return it == states.end() || it->second.empty() ? std::string{} : it->second.back();
    }

    bool all_in_state(const std::string& state) const
    {
        for (const auto& d : manager.device_states())
            if (last_state(d.id) != state)
                return false;
        return true;
    }

    std::size_t fewest_readings() const
    {
        std::size_t fewest = SIZE_MAX;
        for (const auto& d : manager.device_states())
            fewest = std::min(fewest, volumes_of(d.id).size());
        return fewest;
    }

    boost::asio::io_context io;
    drivers::registry drivers;
    bus::device_manager manager;
    std::vector<reading> readings;
    std::map<std::string, std::vector<std::string>> states;
};

} // namespace

TEST_CASE("bus on a pty: readings, simulator restart and pty recreated")
{
    pty_bus wire;
    wire.start_socat();
    wire.start_sim(100.0);
    gateway gw(bus_config(wire.gateway_end()));

    INFO("simulator log: " << read_text(wire.log("sim")));

    // Three meters answer, each with a growing total.
    REQUIRE(gw.run_until([&] { return gw.fewest_readings() >= 2; }, 15s));
    CHECK(gw.all_in_state("online"));

    // The simulator dies: every meter goes offline after two failed polls.
    wire.kill_sim();
    REQUIRE(gw.run_until([&] { return gw.all_in_state("offline"); }, 15s));
    for (const auto& d : gw.manager.device_states()) {
        CAPTURE(d.id);
        CHECK(d.state == bus::device_state::offline);
        CHECK(d.consecutive_failures >= 2);
        CHECK(d.last_error.find("no answer") != std::string::npos);
    }

    // It comes back (counting on from 1000 m3): online again despite the
    // offline backoff.
    const auto before_restart = gw.fewest_readings();
    wire.start_sim(1000.0);
    REQUIRE(gw.run_until([&] { return gw.all_in_state("online") && gw.fewest_readings() > before_restart; }, 15s));

    // The pty disappears (socat gone, as an unplugged adapter) and comes
    // back at the same path: the port is reopened and polling resumes.
    wire.stop_socat();
    wire.reap_sim();
    REQUIRE(gw.run_until([&] { return gw.all_in_state("offline"); }, 15s));
    CHECK(gw.manager.device_states().front().last_error.find("bus port") != std::string::npos);

    const auto before_replug = gw.fewest_readings();
    wire.start_socat();
    wire.start_sim(2000.0);
    REQUIRE(gw.run_until([&] { return gw.all_in_state("online") && gw.fewest_readings() > before_replug; }, 20s));

    for (const auto& d : gw.manager.device_states()) {
        CAPTURE(d.id);
        const auto volumes = gw.volumes_of(d.id);
        for (std::size_t i = 1; i < volumes.size(); ++i) {
            CAPTURE(i);
            CHECK(volumes[i] > volumes[i - 1]);
        }
        CHECK(volumes.front() >= 100.0);
        CHECK(volumes.back() >= 2000.0);
        // Each transition is one event: online, offline, online, offline, online.
        CHECK(gw.states.at(d.id) == std::vector<std::string>{"online", "offline", "online", "offline", "online"});
        CHECK(d.rejected_frames == 0);
    }
}
