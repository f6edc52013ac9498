// Rejected config files: every issue names file, line, key and what is expected.

#include "gateway/config/config.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace citygate::config;

namespace {

// Lines 1-4 of every case; the case's own text starts at line 5.
const std::string header = R"([gateway]
id = "gw-1"
[uplink]
brokers = ["tcp://[::1]:1883"]
)";

std::vector<std::string> errors_of(std::string_view text)
{
    std::vector<config_issue> issues;
    auto cfg = parse(text, "citygate.toml", issues);
    CHECK_FALSE(cfg.has_value());
    CHECK(has_errors(issues));

    std::vector<std::string> out;
    for (const auto& issue : issues)
        out.push_back(to_string(issue));
    return out;
}

std::string only_error(std::string_view text)
{
    auto errors = errors_of(text);
    INFO(doctest::toString(errors.size()));
    REQUIRE(errors.size() == 1);
    return errors[0];
}

} // namespace

TEST_CASE("unknown key at top level")
{
    CHECK(only_error(header + "[devices]\nid = \"x\"\n") ==
          "citygate.toml:5: devices: unknown key; did you mean \"device\"?");
    // Top-level keys come before the first table header; after it they belong to that table.
    CHECK(only_error("colour = 1\n" + header) ==
          "citygate.toml:1: colour: unknown key; expected one of: gateway, uplink, store, dtu, bus, device");
    CHECK(only_error(header + "colour = 1\n").starts_with("citygate.toml:5: uplink.colour: unknown key; "));
}

TEST_CASE("unknown key in a device")
{
    CHECK(only_error(header + R"([[device]]
id = "wm-1"
driver = "cjt188"
address = "1"
[[device]]
id = "wm-2"
driver = "cjt188"
address = "2"
pol_interval = "30s"
)") == "citygate.toml:13: device[1].pol_interval: unknown key; did you mean \"poll_interval\"?");
}

TEST_CASE("unknown key in uplink.tls")
{
    const auto error = only_error(R"([gateway]
id = "gw-1"
[uplink]
brokers = ["ssl://[::1]:8883"]
[uplink.tls]
ca = "/etc/citygate/ca.pem"
)");
    CHECK(error.starts_with("citygate.toml:6: uplink.tls.ca: unknown key; expected one of: "));
    CHECK(error.find("ca_file") != std::string::npos);
}

TEST_CASE("wrong type names expected type")
{
    CHECK(only_error(header + "max_in_flight = \"16\"\n") ==
          "citygate.toml:5: uplink.max_in_flight: expected an integer from 1 to 1024, got \"16\"");
    CHECK(only_error(R"([gateway]
id = 7
[uplink]
brokers = ["tcp://[::1]:1883"]
)") == "citygate.toml:2: gateway.id: expected a string, got 7");
    CHECK(only_error(header + "content_type = \"cbor\"\n") ==
          "citygate.toml:5: uplink.content_type: expected one of \"senml-cbor\", \"senml-json\", got \"cbor\"");
    CHECK(only_error(header + "[uplink.tls]\nverify = \"no\"\n") ==
          "citygate.toml:6: uplink.tls.verify: expected true or false, got \"no\"");
    CHECK(only_error(header + "[store]\nmax_bytes = 1.5\n") ==
          "citygate.toml:6: store.max_bytes: expected a size such as \"256MiB\" or an integer number of bytes, "
          "got the floating-point number 1.5");
    CHECK(only_error(header + "[[bus]]\nid = \"b\"\ndevice = \"/dev/ttyS1\"\nparity = \"mark\"\n") ==
          "citygate.toml:8: bus[0].parity: expected one of \"none\", \"even\", \"odd\", got \"mark\"");
    CHECK(only_error(header + "[store]\nbatch_max_readings = 20000\n") ==
          "citygate.toml:6: store.batch_max_readings: expected an integer from 1 to 10000, got 20000");
    CHECK(only_error(header + "[store]\nbatch_max_bytes = \"8MiB\"\n") ==
          "citygate.toml:6: store.batch_max_bytes: expected a size from 1024 to 4194304 bytes, got \"8MiB\"");
}

TEST_CASE("array of tables written as a table")
{
    CHECK(only_error(header + "[device]\nid = \"wm-1\"\n") ==
          "citygate.toml:5: device: expected an array of tables ([[device]]), got a table");
}

TEST_CASE("bad duration")
{
    const std::string device = R"([[device]]
id = "wm-1"
driver = "cjt188"
address = "1"
)";
    CHECK(only_error(header + device + "poll_interval = \"fast\"\n") ==
          "citygate.toml:9: device[0].poll_interval: expected a duration such as \"30s\" or an integer number of "
          "seconds, got \"fast\"");
    CHECK(only_error(header + device + "poll_interval = \"1500ms\"\n") ==
          "citygate.toml:9: device[0].poll_interval: expected a whole number of seconds, got \"1500ms\"");
    CHECK(only_error(header + device + "poll_interval = 0\n") ==
          "citygate.toml:9: device[0].poll_interval: expected a duration from 1s to 7d, got 0");
    CHECK(only_error(header + device + "poll_interval = \"8d\"\n") ==
          "citygate.toml:9: device[0].poll_interval: expected a duration from 1s to 7d, got \"8d\"");
    CHECK(only_error(header + device + "poll_interval = -5\n") ==
          "citygate.toml:9: device[0].poll_interval: expected a duration from 1s to 7d, got -5");
    CHECK(only_error(header + "keepalive = \"0s\"\n") ==
          "citygate.toml:5: uplink.keepalive: expected a duration from 1s to 65535s, got \"0s\"");
    CHECK(only_error(header + "[[bus]]\nid = \"b\"\ndevice = \"/dev/ttyS1\"\nresponse_timeout = true\n") ==
          "citygate.toml:8: bus[0].response_timeout: expected a duration such as \"500ms\" or an integer number "
          "of milliseconds, got true");
    CHECK(only_error(header + "[store]\nmax_age = \"90m\"\n") ==
          "citygate.toml:6: store.max_age: expected a whole number of hours, got \"90m\"");
}

TEST_CASE("bad IPv6 broker URI")
{
    CHECK(only_error(R"([gateway]
id = "gw-1"
[uplink]
brokers = [
  "tcp://[::1]:1883",
  "tcp://::1:1883",
]
)") == "citygate.toml:6: uplink.brokers[1]: invalid broker URI \"tcp://::1:1883\": an IPv6 address must be "
       "written in brackets, e.g. tcp://[::1]:1883");
}

TEST_CASE("missing or empty broker list")
{
    CHECK(only_error("[gateway]\nid = \"gw-1\"\n[uplink]\nbrokers = []\n") ==
          "citygate.toml:4: uplink.brokers: expected at least one broker URI, e.g. [\"ssl://mqtt.example.cn:8883\"]");
    CHECK(only_error("[gateway]\nid = \"gw-1\"\n[uplink]\nkeepalive = 30\n").starts_with(
        "citygate.toml:3: uplink.brokers: missing required key"));
    CHECK(only_error("[gateway]\nid = \"gw-1\"\n").starts_with("citygate.toml:1: uplink.brokers: missing required key"));
}

TEST_CASE("duplicate device id")
{
    CHECK(only_error(header + R"([[device]]
id = "wm-1"
driver = "cjt188"
address = "1"
[[device]]
id = "wm-1"
driver = "cjt188"
address = "2"
)") == "citygate.toml:10: device[1].id: duplicate device id \"wm-1\"; first defined at line 6");
}

TEST_CASE("duplicate bus id and serial device")
{
    auto errors = errors_of(header + R"([[bus]]
id = "rs485-1"
device = "/dev/ttyS1"
[[bus]]
id = "rs485-1"
device = "/dev/ttyS1"
)");
    REQUIRE(errors.size() == 2);
    CHECK(errors[0] == "citygate.toml:9: bus[1].id: duplicate bus id \"rs485-1\"; first defined at line 6");
    CHECK(errors[1] == "citygate.toml:10: bus[1].device: \"/dev/ttyS1\" is already used by bus \"rs485-1\"; each "
                       "serial port belongs to one bus");
}

TEST_CASE("device names unknown bus")
{
    CHECK(only_error(header + R"([[bus]]
id = "rs485-1"
device = "/dev/ttyS1"
[[device]]
id = "wm-1"
driver = "cjt188"
bus = "rs485-9"
address = "1"
)") == "citygate.toml:11: device[0].bus: no [[bus]] has id \"rs485-9\"; configured buses: \"rs485-1\"");
}

TEST_CASE("bad gateway id")
{
    for (const char* id : {"gw 1", "gw/1", "", "网关"}) {
        CAPTURE(id);
        const auto error = only_error(std::string("[gateway]\nid = \"") + id + "\"\n[uplink]\nbrokers = [\"tcp://[::1]:1883\"]\n");
        CHECK(error.starts_with("citygate.toml:2: gateway.id: "));
    }
    CHECK(only_error("[gateway]\nid = \"gw/1\"\n[uplink]\nbrokers = [\"tcp://[::1]:1883\"]\n") ==
          "citygate.toml:2: gateway.id: expected 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-', got \"gw/1\"");
    CHECK(only_error("[uplink]\nbrokers = [\"tcp://[::1]:1883\"]\n").starts_with(
        "citygate.toml:1: gateway.id: missing required key"));
}

TEST_CASE("several errors reported together")
{
    const auto errors = errors_of(R"([gateway]
id = "gw 1"
log_level = "verbose"
[uplink]
brokers = ["tcp://[::1]:1883", "http://x:1"]
max_in_flight = 0
[[bus]]
id = "rs485-1"
device = "/dev/ttyS1"
baud = 9601
retries = 11
[[device]]
id = "wm-1"
driver = "cjt188"
bus = "nope"
address = "1"
poll_interval = "fast"
[device.options]
meter_type = 16
[[device]]
id = "wm-1"
address = "2"
)");
    const std::vector<std::string> expected{
        "citygate.toml:2: gateway.id: expected 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-', got \"gw 1\"",
        "citygate.toml:3: gateway.log_level: expected one of \"trace\", \"debug\", \"info\", \"warn\", \"error\", "
        "\"critical\", \"off\", got \"verbose\"",
        "citygate.toml:5: uplink.brokers[1]: invalid broker URI \"http://x:1\": the scheme must be tcp, ssl, mqtt or "
        "mqtts, got \"http\"",
        "citygate.toml:6: uplink.max_in_flight: expected an integer from 1 to 1024, got 0",
        "citygate.toml:10: bus[0].baud: expected a standard baud rate (300, 600, 1200, 2400, 4800, 9600, 19200, "
        "38400, 57600, 115200, 230400, 460800, 921600), got 9601",
        "citygate.toml:11: bus[0].retries: expected an integer from 0 to 10, got 11",
        "citygate.toml:15: device[0].bus: no [[bus]] has id \"nope\"; configured buses: \"rs485-1\"",
        "citygate.toml:17: device[0].poll_interval: expected a duration such as \"30s\" or an integer number of "
        "seconds, got \"fast\"",
        "citygate.toml:19: device[0].options.meter_type: expected a string (driver options are text, e.g. \"16\"), "
        "got 16",
        "citygate.toml:20: device[1].driver: missing required key",
        "citygate.toml:21: device[1].id: duplicate device id \"wm-1\"; first defined at line 13",
    };
    CHECK(errors == expected);
}

TEST_CASE("TOML syntax error has line and column")
{
    const auto error = only_error("[gateway]\nid = \"gw-1\"\n[uplink]\nbrokers = [\"tcp://[::1]:1883\"\n");
    // toml++ 3.3 places an unterminated array at the end of its last line.
    CHECK(error.starts_with("citygate.toml:4:"));
    CHECK(error.find(": invalid TOML: Error while parsing array") != std::string::npos);

    const auto duplicate = only_error(header + "[gateway]\n");
    CHECK(duplicate.starts_with("citygate.toml:5:"));
    CHECK(duplicate.find("invalid TOML") != std::string::npos);
}

TEST_CASE("TLS files without TLS broker")
{
    CHECK(only_error(header + "[uplink.tls]\nca_file = \"/etc/citygate/ca.pem\"\n") ==
          "citygate.toml:5: uplink.tls: TLS files are given but no broker in uplink.brokers uses ssl:// or mqtts://");
}

TEST_CASE("client certificate without key")
{
    CHECK(only_error(R"([gateway]
id = "gw-1"
[uplink]
brokers = ["ssl://[::1]:8883"]
[uplink.tls]
cert_file = "/etc/citygate/client.pem"
)") == "citygate.toml:5: uplink.tls.key_file: missing; a client certificate needs both cert_file and key_file");
}

TEST_CASE("password without user name on MQTT 3.1.1")
{
    CHECK(only_error(header + "mqtt_version = \"3.1.1\"\npassword_file = \"/etc/citygate/pw\"\n") ==
          "citygate.toml:6: uplink.password_file: MQTT 3.1.1 does not allow a password without a user name; set "
          "uplink.username");
}

TEST_CASE("reconnect_max below reconnect_min")
{
    CHECK(only_error(header + "reconnect_min = \"10s\"\nreconnect_max = \"5s\"\n") ==
          "citygate.toml:6: uplink.reconnect_max: expected a duration of at least reconnect_min (10s), got 5s");
}

TEST_CASE("topic prefix with wildcard or empty level")
{
    CHECK(only_error(header + "topic_prefix = \"citygate/+/gw-1\"\n") ==
          "citygate.toml:5: uplink.topic_prefix: expected a topic without the wildcards '+' and '#', got "
          "\"citygate/+/gw-1\"");
    CHECK(only_error(header + "topic_prefix = \"citygate/v1/\"\n").starts_with(
        "citygate.toml:5: uplink.topic_prefix: expected topic levels without empty levels"));
}

TEST_CASE("store size below minimum and malformed")
{
    CHECK(only_error(header + "[store]\nmax_bytes = \"512KiB\"\n") ==
          "citygate.toml:6: store.max_bytes: expected a size of at least 1048576 bytes, got \"512KiB\"");
    CHECK(only_error(header + "[store]\nmax_bytes = \"lots\"\n") ==
          "citygate.toml:6: store.max_bytes: expected a size such as \"256MiB\" or an integer number of bytes, got "
          "\"lots\"");
}

TEST_CASE("component code character set")
{
    CHECK(only_error(header + R"([[device]]
id = "wm-1"
driver = "cjt188"
address = "1"
component_code = "35-01"
)") == "citygate.toml:9: device[0].component_code: expected a GB/T 30428.2 component code of 1 to 64 letters and "
       "digits, got \"35-01\"");
}

TEST_CASE("mqtt_version other than 3.1.1 or 5")
{
    const char* expected = "expected \"3.1.1\" (or 4) for MQTT 3.1.1, or 5 (or \"5.0\") for MQTT 5.0, got ";
    CHECK(only_error(header + "mqtt_version = 3\n") == std::string("citygate.toml:5: uplink.mqtt_version: ") + expected + "3");
    CHECK(only_error(header + "mqtt_version = \"3.1\"\n") ==
          std::string("citygate.toml:5: uplink.mqtt_version: ") + expected + "\"3.1\"");
    CHECK(only_error(header + "mqtt_version = 5.0\n") ==
          std::string("citygate.toml:5: uplink.mqtt_version: ") + expected + "the floating-point number 5.0");
}
