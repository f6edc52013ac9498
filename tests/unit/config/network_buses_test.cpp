// [[bus]] of type "tcp-client" and "dtu", and the [dtu] listener: parsed
// values, defaults, and errors with their line and key.

#include "gateway/config/config.hpp"
#include "gateway/config/values.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace citygate::config;
using namespace std::chrono_literals;

namespace {

// Lines 1-4 of every case; the case's own text starts at line 5.
const std::string header = R"([gateway]
id = "gw-1"
[uplink]
brokers = ["tcp://[::1]:1883"]
)";

std::string all_issues(const std::vector<config_issue>& issues)
{
    std::string out;
    for (const auto& issue : issues)
        out += to_string(issue) + "\n";
    return out;
}

config parse_valid(const std::string& text)
{
    std::vector<config_issue> issues;
    auto cfg = parse(text, "citygate.toml", issues);
    INFO(all_issues(issues));
    REQUIRE(cfg.has_value());
    CHECK(issues.empty());
    return *cfg;
}

std::vector<std::string> errors_of(const std::string& text)
{
    std::vector<config_issue> issues;
    auto cfg = parse(text, "citygate.toml", issues);
    CHECK_FALSE(cfg.has_value());
    std::vector<std::string> out;
    for (const auto& issue : issues)
        out.push_back(to_string(issue));
    return out;
}

std::string only_error(const std::string& text)
{
    auto errors = errors_of(text);
    INFO(doctest::toString(errors.size()));
    for (const auto& e : errors)
        INFO(e);
    REQUIRE(errors.size() == 1);
    return errors[0];
}

const std::string dtu_listener = R"([dtu]
listen = ["0.0.0.0:9000", "[::]:9000"]
)";

} // namespace

TEST_CASE("bus type defaults to serial")
{
    const auto cfg = parse_valid(header + "[[bus]]\nid = \"a\"\ndevice = \"/dev/ttyS1\"\n");
    CHECK(cfg.buses.at(0).type == bus_type::serial);
}

TEST_CASE("tcp-client bus reads host, port and timeout")
{
    const auto cfg = parse_valid(header + R"([[bus]]
id = "ser-1"
type = "tcp-client"
host = "192.168.1.20"
port = 4001
connect_timeout = "3s"
[[bus]]
id = "ser-2"
type = "tcp-client"
host = "[fd00::20]"
port = 4001
[[bus]]
id = "ser-3"
type = "tcp-client"
host = "fd00::21"
port = 502
[[bus]]
id = "ser-4"
type = "tcp-client"
host = "ser-4.plant.lan"
port = 4001
)");
    REQUIRE(cfg.buses.size() == 4);
    CHECK(cfg.buses[0].type == bus_type::tcp_client);
    CHECK(cfg.buses[0].host == "192.168.1.20");
    CHECK(cfg.buses[0].port == 4001);
    CHECK(cfg.buses[0].connect_timeout == 3s);
    CHECK(cfg.buses[1].host == "fd00::20");
    CHECK(cfg.buses[1].connect_timeout == 5s);
    CHECK(cfg.buses[2].host == "fd00::21");
    CHECK(cfg.buses[3].host == "ser-4.plant.lan");
}

TEST_CASE("tcp-client bus requires host and port")
{
    auto errors = errors_of(header + "[[bus]]\nid = \"ser-1\"\ntype = \"tcp-client\"\n");
    REQUIRE(errors.size() == 2);
    CHECK(errors[0] == "citygate.toml:5: bus[0].host: missing required key");
    CHECK(errors[1] == "citygate.toml:5: bus[0].port: missing; set the TCP port, e.g. port = 4001");
}

TEST_CASE("tcp-client bus rejects invalid host and port")
{
    CHECK(only_error(header + "[[bus]]\nid = \"s\"\ntype = \"tcp-client\"\nhost = \"300.1.1.1\"\nport = 4001\n") ==
          "citygate.toml:8: bus[0].host: \"300.1.1.1\" is not a valid IPv4 address");
    CHECK(only_error(header + "[[bus]]\nid = \"s\"\ntype = \"tcp-client\"\nhost = \"fd00::zz\"\nport = 4001\n") ==
          "citygate.toml:8: bus[0].host: \"fd00::zz\" is not a valid IPv6 address");
    CHECK(only_error(header + "[[bus]]\nid = \"s\"\ntype = \"tcp-client\"\nhost = \"a\"\nport = 70000\n") ==
          "citygate.toml:9: bus[0].port: expected an integer from 1 to 65535, got 70000");
}

TEST_CASE("tcp-client bus rejects serial keys")
{
    CHECK(only_error(header + R"([[bus]]
id = "ser-1"
type = "tcp-client"
host = "10.0.0.2"
port = 4001
baud = 9600
)") == "citygate.toml:10: bus[0].baud: not used by a bus of type \"tcp-client\"; remove it or change the bus type");
}

TEST_CASE("serial bus rejects tcp-client and dtu keys")
{
    auto errors = errors_of(header + R"([[bus]]
id = "rs485-1"
device = "/dev/ttyS1"
host = "10.0.0.2"
heartbeat = "text:HB"
)");
    REQUIRE(errors.size() == 2);
    CHECK(errors[0] == "citygate.toml:8: bus[0].host: not used by a bus of type \"serial\"; remove it or change the bus type");
    CHECK(errors[1] == "citygate.toml:9: bus[0].heartbeat: not used by a bus of type \"serial\"; remove it or change the bus type");
}

TEST_CASE("two tcp-client buses on one endpoint")
{
    CHECK(only_error(header + R"([[bus]]
id = "a"
type = "tcp-client"
host = "10.0.0.2"
port = 4001
[[bus]]
id = "b"
type = "tcp-client"
host = "10.0.0.2"
port = 4001
)") == "citygate.toml:13: bus[1].host: 10.0.0.2 port 4001 is already used by bus \"a\"; a serial server port carries one bus");
}

TEST_CASE("unknown bus type")
{
    CHECK(only_error(header + "[[bus]]\nid = \"a\"\ntype = \"udp\"\nhost = \"x\"\n") ==
          "citygate.toml:7: bus[0].type: expected one of \"serial\", \"tcp-client\", \"dtu\", got \"udp\"");
}

TEST_CASE("dtu bus reads registration and heartbeat")
{
    const auto cfg = parse_valid(header + dtu_listener + R"(registration_timeout = "5s"
max_connections = 8
[[bus]]
id = "dtu-1"
type = "dtu"
registration = "text:CL-0001"
heartbeat = "hex:FE FE 00"
[[bus]]
id = "dtu-2"
type = "dtu"
registration = "pattern:CL-1[0-9]{3}"
heartbeat = "text:HB"
heartbeat_interval = "30s"
[[bus]]
id = "dtu-3"
type = "dtu"
registration = "hex:0102"
)");
    CHECK(cfg.dtu.listen == std::vector<std::string>{"0.0.0.0:9000", "[::]:9000"});
    CHECK(cfg.dtu.registration_timeout == 5s);
    CHECK(cfg.dtu.max_connections == 8);
    REQUIRE(cfg.buses.size() == 3);
    CHECK(cfg.buses[0].type == bus_type::dtu);
    CHECK(cfg.buses[0].registration == "text:CL-0001");
    CHECK(cfg.buses[0].heartbeat == "hex:FE FE 00");
    CHECK(cfg.buses[0].heartbeat_interval == 60s);
    CHECK(cfg.buses[1].heartbeat_interval == 30s);
    CHECK(cfg.buses[2].heartbeat.empty());
    CHECK(cfg.buses[2].heartbeat_interval == 0s);
}

TEST_CASE("dtu listener defaults")
{
    const auto cfg = parse_valid(header + dtu_listener);
    CHECK(cfg.dtu.registration_timeout == 10s);
    CHECK(cfg.dtu.max_connections == 64);
}

TEST_CASE("dtu bus requires a registration and a listener")
{
    CHECK(only_error(header + dtu_listener + "[[bus]]\nid = \"d\"\ntype = \"dtu\"\n") ==
          "citygate.toml:7: bus[0].registration: missing required key");
    CHECK(only_error(header + "[[bus]]\nid = \"d\"\ntype = \"dtu\"\nregistration = \"text:X\"\n") ==
          "citygate.toml:5: bus[0].type: bus \"d\" has type \"dtu\", but no listen address is set; add [dtu] listen = "
          "[\"0.0.0.0:9000\", \"[::]:9000\"]");
}

TEST_CASE("dtu bus rejects invalid packets")
{
    const auto bus = header + dtu_listener + "[[bus]]\nid = \"d\"\ntype = \"dtu\"\n";
    CHECK(only_error(bus + "registration = \"CL-0001\"\n") ==
          "citygate.toml:10: bus[0].registration: expected \"text:...\", \"hex:...\" or \"pattern:...\", got \"CL-0001\"");
    CHECK(only_error(bus + "registration = \"hex:F\"\n") ==
          "citygate.toml:10: bus[0].registration: expected pairs of hex digits after \"hex:\", e.g. \"hex:FE 01 A0\", got "
          "\"hex:F\"");
    CHECK(only_error(bus + "registration = \"text:\"\n") ==
          "citygate.toml:10: bus[0].registration: the packet must have 1 to 256 bytes, got \"text:\"");
    CHECK(only_error(bus + "registration = \"text:" + std::string(257, 'x') + "\"\n").find(
              "the packet must have 1 to 256 bytes") != std::string::npos);
    CHECK(only_error(bus + "registration = \"pattern:CL-[0-9\"\n").starts_with(
        "citygate.toml:10: bus[0].registration: invalid regular expression: "));
    CHECK(only_error(bus + "registration = \"text:A\"\nheartbeat = \"pattern:HB.*\"\n") ==
          "citygate.toml:11: bus[0].heartbeat: expected \"text:...\" or \"hex:...\", got \"pattern:HB.*\"");
    CHECK(only_error(bus + "registration = \"text:A\"\nheartbeat_interval = \"500ms\"\n") ==
          "citygate.toml:11: bus[0].heartbeat_interval: expected 0 (never drop a silent DTU) or at least 1s, got 500ms");
}

TEST_CASE("dtu buses with the same registration")
{
    CHECK(only_error(header + dtu_listener + R"([[bus]]
id = "a"
type = "dtu"
registration = "text:CL-1"
[[bus]]
id = "b"
type = "dtu"
registration = "text:CL-1"
)") == "citygate.toml:14: bus[1].registration: the same registration is already used by bus \"a\"; each DTU "
       "registration maps to one bus");
}

TEST_CASE("dtu listen addresses must be IP literals with a port")
{
    auto errors = errors_of(header + R"([dtu]
listen = ["0.0.0.0", "gw.lan:9000", "::1:9000", "[::1]:9000", "[::1]:9000"]
)");
    REQUIRE(errors.size() == 4);
    CHECK(errors[0] == "citygate.toml:6: dtu.listen[0]: invalid listen address \"0.0.0.0\": expected an IP address and a "
                       "port, e.g. \"0.0.0.0:9000\" or \"[::]:9000\"");
    CHECK(errors[1] == "citygate.toml:6: dtu.listen[1]: invalid listen address \"gw.lan:9000\": expected an IP address "
                       "to listen on, got the host name \"gw.lan\"");
    CHECK(errors[2] == "citygate.toml:6: dtu.listen[2]: invalid listen address \"::1:9000\": expected an IP address and "
                       "a port, e.g. \"0.0.0.0:9000\" or \"[::]:9000\"");
    CHECK(errors[3] == "citygate.toml:6: dtu.listen[4]: \"[::1]:9000\" is listed twice");
}

TEST_CASE("parse_dtu_packet forms")
{
    std::string error;
    auto text = parse_dtu_packet("text:HB\r\n", false, error);
    REQUIRE(text);
    CHECK(text->bytes == std::vector<std::uint8_t>{'H', 'B', '\r', '\n'});

    auto hex = parse_dtu_packet("hex:fe 01A0", false, error);
    REQUIRE(hex);
    CHECK(hex->bytes == std::vector<std::uint8_t>{0xfe, 0x01, 0xa0});

    auto pattern = parse_dtu_packet("pattern:CL-[0-9]{4}", true, error);
    REQUIRE(pattern);
    CHECK(pattern->is_pattern());
    CHECK(pattern->pattern == "CL-[0-9]{4}");

    CHECK_FALSE(parse_dtu_packet("pattern:CL", false, error));
    CHECK_FALSE(parse_dtu_packet("hex:zz", false, error));
}
