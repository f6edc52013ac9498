// The modbus-tcp driver against an independent Modbus TCP slave: ServerTCP
// of the npm package modbus-serial (slave.js, pinned by package-lock.json),
// polled and written through device_manager, bus_poller and the tcp-client
// transport on loopback.

#include "drivers/registry.hpp"
#include "gateway/bus/device_manager.hpp"
#include "tests/support/mosquitto_fixture.hpp"
#include "tests/support/process.hpp"

#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace citygate;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

// node running slave.js on a free loopback port as unit 1.
class npm_slave {
public:
    npm_slave() : port_(test::free_port())
    {
        REQUIRE_MESSAGE(fs::exists(fs::path(CITYGATE_NPM_DIR) / "node_modules/modbus-serial/package.json"),
                        CITYGATE_NPM_DIR << "/node_modules is missing; run scripts/setup.sh or 'npm ci' there");
        node_.emplace(std::vector<std::string>{CITYGATE_NODE, std::string(CITYGATE_NPM_DIR) + "/slave.js",
                                               std::to_string(port_), "1"},
                      log());
        const bool listening = test::wait_until([&] { return test::read_text(log()).find("listening") != std::string::npos; }, 10s);
        REQUIRE_MESSAGE(listening, "modbus-serial slave did not start: " << test::read_text(log()));
    }

    std::uint16_t port() const { return port_; }
    fs::path log() const { return dir_.path() / "slave.log"; }
    std::string output() const { return test::read_text(log()); }

private:
    test::temp_dir dir_;
    std::uint16_t port_;
    std::optional<test::child_process> node_;
};

config::device_config device(const std::string& id, std::map<std::string, std::string> options)
{
    config::device_config d;
    d.id = id;
    d.driver = "modbus-tcp";
    d.bus = "plc-lan";
    d.address = "1";
    d.poll_interval = std::chrono::seconds{1};
    d.offline_after = 1;
    d.options = std::move(options);
    return d;
}

// One tcp-client bus with two devices behind the same connection: plc-1
// reads every table, far-1 reads a register the slave does not have.
config::config slave_config(std::uint16_t port)
{
    config::config cfg;
    config::bus_config bus;
    bus.id = "plc-lan";
    bus.type = config::bus_type::tcp_client;
    bus.host = "127.0.0.1";
    bus.port = port;
    bus.response_timeout = 1000ms;
    bus.inter_frame_gap = 5ms;
    bus.retries = 0;
    cfg.buses.push_back(bus);

    cfg.devices.push_back(device("plc-1", {{"point.level", "holding 0 u16 unit=m"},
                                           {"point.total", "holding 2 u32"},
                                           {"point.setpoint", "holding 5 i16 scale=0.1 unit=Cel"},
                                           {"point.lamp", "coil 0 bool"},
                                           {"point.pump", "coil 1 bool"},
                                           {"point.flow", "input 4 u16"},
                                           {"point.door", "discrete 3 bool"}}));
    cfg.devices.push_back(device("far-1", {{"point.far", "holding 150 u16"}}));
    return cfg;
}

bus::poller_options quick_start()
{
    bus::poller_options options;
    options.first_poll_stagger = 50ms;
    options.reopen_min = 100ms;
    options.reopen_max = 400ms;
    return options;
}

struct gateway {
    explicit gateway(const config::config& cfg) : manager(io, drivers, bus::standard_transport_factory(), quick_start())
    {
        drivers::register_builtin_drivers(drivers);
        manager.on_reading([this](reading r) { readings.push_back(std::move(r)); });
        const auto summary = manager.apply(cfg);
        REQUIRE_MESSAGE(summary.errors.empty(), summary.to_string());
    }

    bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit)
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

    // The value of `metric` in the latest reading of `id`, if any.
    std::optional<metric_data> latest(const std::string& id, const std::string& metric) const
    {
        for (auto r = readings.rbegin(); r != readings.rend(); ++r) {
            if (r->device_id != id)
                continue;
            for (const auto& v : r->values)
                if (v.metric == metric)
                    return v.value;
        }
        return std::nullopt;
    }

    // Runs a command and waits for its result.
    std::pair<std::error_code, bus::poll_result> command(const std::string& name, const std::string& value)
    {
        std::optional<std::pair<std::error_code, bus::poll_result>> result;
        manager.command_now("plc-1", name, value,
                            [&](std::error_code ec, bus::poll_result r) { result.emplace(ec, std::move(r)); });
        REQUIRE(run_until([&] { return result.has_value(); }, 10s));
        return *result;
    }

    boost::asio::io_context io;
    drivers::registry drivers;
    bus::device_manager manager;
    std::vector<reading> readings;
};

double number(const std::optional<metric_data>& value)
{
    REQUIRE(value.has_value());
    return std::get<double>(*value);
}

bool flag(const std::optional<metric_data>& value)
{
    REQUIRE(value.has_value());
    return std::get<bool>(*value);
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("modbus-tcp polls modbus-serial slave")
{
    npm_slave slave;
    gateway gw(slave_config(slave.port()));
    INFO("slave output: " << slave.output());

    REQUIRE(gw.run_until([&] { return gw.latest("plc-1", "level").has_value(); }, 10s));
    CHECK(number(gw.latest("plc-1", "level")) == 500);
    CHECK(number(gw.latest("plc-1", "total")) == 502.0 * 65536 + 503);
    CHECK(number(gw.latest("plc-1", "setpoint")) == doctest::Approx(50.5));
    CHECK(flag(gw.latest("plc-1", "lamp")));
    CHECK_FALSE(flag(gw.latest("plc-1", "pump")));
    CHECK(number(gw.latest("plc-1", "flow")) == 2004);
    CHECK(flag(gw.latest("plc-1", "door")));

    // far-1 shares the connection; the slave's exception reaches it by name,
    // and a device that answers with an exception stays online.
    REQUIRE(gw.run_until(
        [&] {
            for (const auto& d : gw.manager.device_states())
                if (d.id == "far-1" && d.failures > 0)
                    return true;
            return false;
        },
        10s));
    for (const auto& d : gw.manager.device_states()) {
        if (d.id != "far-1")
            continue;
        CHECK(d.state == bus::device_state::online);
        CHECK(d.consecutive_failures == 0);
        CHECK(d.rejected_frames == 0);
        CHECK(contains(d.last_error, "Modbus exception 02 ILLEGAL DATA ADDRESS"));
    }
}

TEST_CASE("modbus-tcp writes reach modbus-serial slave")
{
    npm_slave slave;
    gateway gw(slave_config(slave.port()));
    REQUIRE(gw.run_until([&] { return gw.latest("plc-1", "level").has_value(); }, 10s));

    // 06: setpoint 12.3 Cel is raw 123 in register 5.
    auto [setpoint_error, setpoint] = gw.command("setpoint", "12.3");
    INFO("slave output: " << slave.output() << " detail: " << setpoint.error_detail);
    CHECK_FALSE(setpoint_error);
    REQUIRE(setpoint.answer.values.size() == 1);
    CHECK(std::get<double>(setpoint.answer.values[0].value) == doctest::Approx(12.3));

    // 05: pump (coil 1) on.
    auto [pump_error, pump] = gw.command("pump", "on");
    CHECK_FALSE(pump_error);

    REQUIRE(test::wait_until([&] { return contains(slave.output(), "\"write\":\"coil\""); }, 5s));
    const auto written = slave.output();
    CHECK(contains(written, R"({"write":"register","address":5,"value":123,"unit":1})"));
    CHECK(contains(written, R"({"write":"coil","address":1,"value":true,"unit":1})"));

    // The next poll reads the written values back.
    gw.readings.clear();
    REQUIRE(gw.run_until([&] { return gw.latest("plc-1", "pump").has_value(); }, 10s));
    CHECK(number(gw.latest("plc-1", "setpoint")) == doctest::Approx(12.3));
    CHECK(flag(gw.latest("plc-1", "pump")));

    // Rejected before anything is sent: out of range for i16, and a read-only point.
    auto [range_error, range] = gw.command("setpoint", "4000");
    CHECK(range_error == bus::bus_error::command_rejected);
    auto [read_only_error, read_only] = gw.command("flow", "1");
    CHECK(read_only_error == bus::bus_error::command_rejected);
    CHECK_FALSE(contains(slave.output(), "\"value\":40000"));
    CHECK_FALSE(contains(slave.output(), "\"address\":4,"));
}
