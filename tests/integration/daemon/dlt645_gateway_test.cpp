// Whole-gateway test of a DL/T 645 meter: citygated polls several
// quantities from citygate-dlt645-sim on a socat pty pair, and the
// independent subscriber receives them together in one reading.

#include "tests/integration/daemon/harness.hpp"
#include "tests/support/mosquitto_fixture.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <set>

namespace citygate::itest {
namespace {

constexpr const char* meter_address = "000000000161";

// Metric names of the first telemetry reading of `device`, grouped by time.
std::map<double, std::set<std::string>> metrics_by_time(const collector& c, const std::string& device)
{
    std::map<double, std::set<std::string>> out;
    for (const auto& envelope : c.envelopes()) {
        if (envelope.event_lane)
            continue;
        for (const auto& record : envelope.records) {
            const auto metric_at = record.name.rfind(':');
            const auto device_at = record.name.rfind(':', metric_at - 1);
            if (record.name.substr(device_at + 1, metric_at - device_at - 1) == device)
                out[record.time_s].insert(record.name.substr(metric_at + 1));
        }
    }
    return out;
}

} // namespace

TEST_CASE("dlt645 meter: several quantities arrive in one reading")
{
    test::temp_dir dir;
    test::mosquitto_fixture broker;
    pty_bus bus(dir.path());

    gateway_options options;
    options.broker_port = broker.port();
    options.extra_devices = std::string("\n[[device]]\nid = \"em-1\"\ndriver = \"dlt645\"\nbus = \"rs485-1\"\n") +
                            "address = \"" + meter_address + "\"\npoll_interval = \"1s\"\n" +
                            "[device.options]\nread = \"energy_import, voltage_a, current_a, power_active\"\n";
    gateway_files files(dir.path(), options, bus.gateway_end());

    child simulator({dlt645_simulator_path(), "--device", bus.device_end().string(), "--meter", meter_address},
                    dir.path() / "sim.log");
    collector subscriber(broker.port(), "citygate/v1/" + options.gateway_id, files.keys);
    child gateway({citygated_path(), "--config", files.config.string()}, dir.path() / "citygated.log");

    const std::set<std::string> expected{"energy_import", "voltage_a", "current_a", "power_active"};
    const bool complete = subscriber.wait_until(
        [&](const collector& c) {
            for (const auto& [time, metrics] : metrics_by_time(c, "em-1"))
                if (metrics == expected)
                    return true;
            return false;
        },
        20s);
    CHECK(complete);

    gateway.signal(SIGTERM);
    CHECK(gateway.wait(15s) == 0);
}

} // namespace citygate::itest
