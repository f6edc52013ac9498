// Loading valid config files: defaults and parsed values.

#include "gateway/config/config.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <unistd.h>

using namespace citygate::config;
using namespace std::chrono_literals;

namespace {

const char* const minimal = R"(
[gateway]
id = "gw-1"

[uplink]
brokers = ["tcp://127.0.0.1:1883"]
)";

std::string all_issues(const std::vector<config_issue>& issues)
{
    std::string out;
    for (const auto& issue : issues)
        out += to_string(issue) + "\n";
    return out;
}

config parse_valid(std::string_view text)
{
    std::vector<config_issue> issues;
    auto cfg = parse(text, "citygate.toml", issues);
    INFO(all_issues(issues));
    REQUIRE(cfg.has_value());
    CHECK(issues.empty());
    return *cfg;
}

} // namespace

TEST_CASE("defaults applied to minimal config")
{
    const auto cfg = parse_valid(minimal);

    CHECK(cfg.gateway.id == "gw-1");
    CHECK(cfg.gateway.data_dir == "/var/lib/citygate");
    CHECK(cfg.gateway.log_level == "info");
    CHECK(cfg.uplink.client_id == "gw-1");
    CHECK(cfg.uplink.topic_prefix == "citygate/v1/gw-1");
    CHECK(cfg.uplink.mqtt_version == 5);
    CHECK(cfg.uplink.keepalive == 30s);
    CHECK(cfg.uplink.max_in_flight == 2);
    CHECK(cfg.uplink.content_type == pack_encoding::senml_cbor);
    CHECK(cfg.uplink.tls.verify);
    CHECK(cfg.store.max_bytes == 256ull << 20);
    CHECK(cfg.store.max_age == std::chrono::hours(720));
    CHECK(cfg.store.batch_max_readings == 500);
    CHECK(cfg.store.batch_max_bytes == 64 * 1024);
    CHECK(cfg.buses.empty());
    CHECK(cfg.devices.empty());
}

TEST_CASE("default topic prefix and client id")
{
    gateway_config gateway;
    gateway.id = "changle-gw-0007";
    CHECK(default_topic_prefix(gateway) == "citygate/v1/changle-gw-0007");
    CHECK(default_client_id(gateway) == "changle-gw-0007");

    const auto cfg = parse_valid(std::string(minimal) + "client_id = \"box-7\"\ntopic_prefix = \"dc/changle/gw-1\"\n");
    CHECK(cfg.uplink.client_id == "box-7");
    CHECK(cfg.uplink.topic_prefix == "dc/changle/gw-1");
}

TEST_CASE("IPv4 and IPv6 brokers accepted")
{
    const auto cfg = parse_valid(R"(
[gateway]
id = "gw-1"
[uplink]
brokers = ["tcp://192.0.2.10:1883", "mqtt://[2001:db8::10]:1883", "tcp://[::1]:1883", "mqtt://broker.example:1883"]
)");
    CHECK(cfg.uplink.brokers.size() == 4);
    CHECK(cfg.uplink.brokers[2] == "tcp://[::1]:1883");
}

TEST_CASE("durations as strings and integers")
{
    const auto cfg = parse_valid(R"(
[gateway]
id = "gw-1"
[uplink]
brokers = ["tcp://[::1]:1883"]
keepalive = 45
health_interval = "5m"
reconnect_min = 250
reconnect_max = "2m"
[store]
max_age = 12
flush_interval = "2s"
max_bytes = 2097152
[[bus]]
id = "rs485-1"
device = "/dev/ttyS1"
response_timeout = "1500ms"
inter_frame_gap = 20
time_sync_interval = "1d"
[[device]]
id = "wm-1"
driver = "cjt188"
bus = "rs485-1"
address = "00000000000001"
poll_interval = "1h"
[[device]]
id = "wm-2"
driver = "cjt188"
bus = "rs485-1"
address = "00000000000002"
poll_interval = 90
)");
    CHECK(cfg.uplink.keepalive == 45s);
    CHECK(cfg.uplink.health_interval == 300s);
    CHECK(cfg.uplink.reconnect_min == 250ms);
    CHECK(cfg.uplink.reconnect_max == 120'000ms);
    CHECK(cfg.store.max_age == std::chrono::hours(12));
    CHECK(cfg.store.flush_interval == 2000ms);
    CHECK(cfg.store.max_bytes == 2097152u);
    CHECK(cfg.buses.at(0).response_timeout == 1500ms);
    CHECK(cfg.buses.at(0).inter_frame_gap == 20ms);
    CHECK(cfg.buses.at(0).time_sync_interval == 86400s);
    CHECK(cfg.devices.at(0).poll_interval == 3600s);
    CHECK(cfg.devices.at(1).poll_interval == 90s);
}

TEST_CASE("buses and devices read with lines")
{
    const auto cfg = parse_valid(R"([gateway]
id = "gw-1"
[uplink]
brokers = ["tcp://[::1]:1883"]

[[bus]]
id = "rs485-1"
device = "/dev/ttyS1"
baud = 9600
data_bits = 7
parity = "odd"
stop_bits = 2
retries = 10

[[device]]
id = "gas-1"
driver = "modbus"
bus = "rs485-1"
address = "17"
offline_after = 5
component_code = "350105060100001"
location = "Wuhang Road 3"
[device.options]
register = "0x0010"
count = "2"

[[device]]
id = "nb-1"
driver = "nbiot"
address = "861234567890123"
)");
    REQUIRE(cfg.buses.size() == 1);
    const auto& bus = cfg.buses[0];
    CHECK(bus.line == 6);
    CHECK(bus.baud == 9600);
    CHECK(bus.data_bits == 7);
    CHECK(bus.parity == parity::odd);
    CHECK(bus.stop_bits == 2);
    CHECK(bus.retries == 10);
    CHECK(bus.response_timeout == 1000ms);

    REQUIRE(cfg.devices.size() == 2);
    const auto& gas = cfg.devices[0];
    CHECK(gas.line == 15);
    CHECK(gas.bus == "rs485-1");
    CHECK(gas.offline_after == 5);
    CHECK(gas.component_code == "350105060100001");
    CHECK(gas.location == "Wuhang Road 3");
    CHECK(gas.options == std::map<std::string, std::string>{{"count", "2"}, {"register", "0x0010"}});
    CHECK(gas.poll_interval == 60s);
    CHECK(cfg.devices[1].line == 27);
    CHECK(cfg.devices[1].bus.empty());
}

TEST_CASE("TLS settings and size units")
{
    const auto cfg = parse_valid(R"(
[gateway]
id = "gw-1"
[uplink]
brokers = ["mqtts://[2001:db8::10]:8883", "ssl://mqtt.changle.example:8883"]
username = "gw-1"
password_file = "/etc/citygate/mqtt-password"
mqtt_version = "3.1.1"
[uplink.tls]
ca_file = "/etc/citygate/ca.pem"
cert_file = "/etc/citygate/client.pem"
key_file = "/etc/citygate/client.key"
[store]
max_bytes = "1GiB"
batch_max_bytes = "256KiB"
)");
    CHECK(cfg.uplink.mqtt_version == 4);
    CHECK(cfg.uplink.tls.ca_file == "/etc/citygate/ca.pem");
    CHECK(cfg.uplink.tls.cert_file == "/etc/citygate/client.pem");
    CHECK(cfg.uplink.tls.key_file == "/etc/citygate/client.key");
    CHECK(cfg.uplink.tls.verify);
    CHECK(cfg.store.max_bytes == 1ull << 30);
    CHECK(cfg.store.batch_max_bytes == 256 * 1024);
}

TEST_CASE("relative paths resolved against config directory")
{
    std::vector<config_issue> issues;
    auto cfg = parse(R"(
[gateway]
id = "gw-1"
data_dir = "state"
key_file = "../keys.toml"
control_socket = "/run/citygate/control.sock"
[uplink]
brokers = ["ssl://[::1]:8883"]
[uplink.tls]
ca_file = "ca.pem"
)", "/opt/citygate/etc/citygate.toml", issues);

    INFO(all_issues(issues));
    REQUIRE(cfg.has_value());
    CHECK(cfg->gateway.data_dir == "/opt/citygate/etc/state");
    CHECK(cfg->gateway.key_file == "/opt/citygate/keys.toml");
    CHECK(cfg->gateway.control_socket == "/run/citygate/control.sock");
    CHECK(cfg->uplink.tls.ca_file == "/opt/citygate/etc/ca.pem");
}

TEST_CASE("verify false loads with warning")
{
    std::vector<config_issue> issues;
    auto cfg = parse(R"([gateway]
id = "gw-1"
[uplink]
brokers = ["ssl://[::1]:8883"]
[uplink.tls]
verify = false
)", "citygate.toml", issues);

    REQUIRE(cfg.has_value());
    CHECK_FALSE(cfg->uplink.tls.verify);
    CHECK_FALSE(has_errors(issues));
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].severity == severity::warning);
    CHECK(issues[0].key == "uplink.tls.verify");
    CHECK(to_string(issues[0]).starts_with("citygate.toml:5: warning: uplink.tls.verify: "));
}

TEST_CASE("mixed TLS and plain brokers warn")
{
    std::vector<config_issue> issues;
    auto cfg = parse(R"([gateway]
id = "gw-1"
[uplink]
brokers = ["ssl://[::1]:8883", "tcp://127.0.0.1:1883"]
)", "citygate.toml", issues);

    REQUIRE(cfg.has_value());
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].severity == severity::warning);
    CHECK(issues[0].key == "uplink.brokers");
    CHECK(issues[0].line == 4);
}

TEST_CASE("load reads a file from disk")
{
    const auto dir = std::filesystem::temp_directory_path() / ("citygate-config-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const auto file = dir / "citygate.toml";
    std::ofstream(file) << minimal;

    std::vector<config_issue> issues;
    auto cfg = load(file, issues);
    CHECK(cfg.has_value());
    CHECK(issues.empty());

    std::filesystem::remove_all(dir);
}

TEST_CASE("load reports missing file")
{
    std::vector<config_issue> issues;
    auto cfg = load("/nonexistent/citygate.toml", issues);
    CHECK_FALSE(cfg.has_value());
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].file == "/nonexistent/citygate.toml");
    CHECK(to_string(issues[0]).starts_with("/nonexistent/citygate.toml: cannot read the config file: "));
}

TEST_CASE("mqtt_version names and numbers")
{
    struct version_case {
        const char* value;
        int expected;
    };
    const version_case cases[] = {{"\"3.1.1\"", 4}, {"4", 4}, {"5", 5}, {"\"5\"", 5}, {"\"5.0\"", 5}};
    for (const auto& c : cases) {
        CAPTURE(c.value);
        const auto cfg = parse_valid(std::string(minimal) + "mqtt_version = " + c.value + "\n");
        CHECK(cfg.uplink.mqtt_version == c.expected);
    }
}

TEST_CASE("content type names")
{
    CHECK(parse_valid(std::string(minimal) + "content_type = \"senml-json\"\n").uplink.content_type ==
          pack_encoding::senml_json);
    CHECK(parse_valid(std::string(minimal) + "content_type = \"senml-cbor\"\n").uplink.content_type ==
          pack_encoding::senml_cbor);
}

TEST_CASE("tls verify alone with plain broker")
{
    const auto cfg = parse_valid(std::string(minimal) + "[uplink.tls]\nverify = true\n");
    CHECK(cfg.uplink.tls.verify);
}
