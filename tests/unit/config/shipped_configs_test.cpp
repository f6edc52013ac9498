// The config files the project ships: the commented reference installed
// as /etc/citygate/citygate.toml and the template scripts/demo.sh fills in.
// Both must load without issues, so a key renamed or a limit tightened in
// the loader but not in these files fails here, not on a box or in the demo.

#include "drivers/registry.hpp"
#include "gateway/config/check_drivers.hpp"
#include "gateway/config/config.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

using namespace citygate::config;

namespace {

const std::filesystem::path source_dir = CITYGATE_SOURCE_DIR;
const std::filesystem::path reference_file = source_dir / "rootfs/etc/citygate/citygate.toml";
const std::filesystem::path demo_template = source_dir / "scripts/demo/citygate-demo.toml.in";

std::string all_issues(const std::vector<config_issue>& issues)
{
    std::string out;
    for (const auto& issue : issues)
        out += to_string(issue) + "\n";
    return out;
}

std::string read_text(const std::filesystem::path& file)
{
    std::ifstream in(file, std::ios::binary);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to)
{
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// Turns every commented-out key ("# poll_interval = ...") and table header
// ("# [[device]]") of the reference into a live line. Prose comments stay.
std::string enable_commented_examples(const std::string& text)
{
    static const std::regex commented_line(R"(^# ((\[\[?[a-z_.]+\]\]?)|([a-z_]+ = .*))$)");
    std::istringstream in(text);
    std::string out;
    std::string line;
    while (std::getline(in, line)) {
        std::smatch match;
        out += std::regex_match(line, match, commented_line) ? match[1].str() : line;
        out += "\n";
    }
    return out;
}

std::vector<config_issue> check_builtin_drivers(const config& cfg)
{
    citygate::drivers::registry registry;
    citygate::drivers::register_builtin_drivers(registry);
    return check_drivers(cfg, registry);
}

} // namespace

TEST_CASE("reference config loads cleanly")
{
    const std::filesystem::path file = CITYGATE_SOURCE_DIR "/rootfs/etc/citygate/citygate.toml";
    std::vector<config_issue> issues;
    auto cfg = load(file, issues);

    INFO(all_issues(issues));
    REQUIRE(cfg.has_value());
    CHECK(issues.empty());
    CHECK(cfg->source == file);
    CHECK(cfg->gateway.id == "changle-gw-0001");
    CHECK(cfg->uplink.brokers == std::vector<std::string>{"ssl://mqtt.changle.example:8883"});

    // Every value the reference sets is the struct default.
    const config defaults;
    CHECK(cfg->gateway.data_dir == defaults.gateway.data_dir);
    CHECK(cfg->gateway.key_file == defaults.gateway.key_file);
    CHECK(cfg->gateway.control_socket == defaults.gateway.control_socket);
    CHECK(cfg->gateway.log_level == defaults.gateway.log_level);
    CHECK(cfg->uplink.mqtt_version == defaults.uplink.mqtt_version);
    CHECK(cfg->uplink.keepalive == defaults.uplink.keepalive);
    CHECK(cfg->uplink.health_interval == defaults.uplink.health_interval);
    CHECK(cfg->uplink.max_in_flight == defaults.uplink.max_in_flight);
    CHECK(cfg->uplink.reconnect_min == defaults.uplink.reconnect_min);
    CHECK(cfg->uplink.reconnect_max == defaults.uplink.reconnect_max);
    CHECK(cfg->uplink.tls.verify == defaults.uplink.tls.verify);
    CHECK(cfg->store.max_bytes == defaults.store.max_bytes);
    CHECK(cfg->store.max_age == defaults.store.max_age);
    CHECK(cfg->store.batch_max_readings == defaults.store.batch_max_readings);
    CHECK(cfg->store.flush_interval == defaults.store.flush_interval);
}

TEST_CASE("reference config examples all valid")
{
    const auto text = enable_commented_examples(read_text(reference_file));
    std::vector<config_issue> issues;
    auto cfg = parse(text, reference_file, issues);

    INFO(all_issues(issues));
    REQUIRE(cfg.has_value());
    CHECK(issues.empty());

    // Every example was enabled: the optional keys are set, and one bus of
    // each type and one device exist.
    CHECK(cfg->gateway.location == "Wuhang Road 3, street cabinet 2");
    CHECK(cfg->uplink.client_id == "changle-gw-0001");
    CHECK_FALSE(cfg->uplink.username.empty());
    CHECK_FALSE(cfg->uplink.password_file.empty());
    CHECK_FALSE(cfg->uplink.tls.ca_file.empty());
    CHECK_FALSE(cfg->uplink.tls.cert_file.empty());
    CHECK_FALSE(cfg->uplink.tls.key_file.empty());
    REQUIRE(cfg->buses.size() == 3);
    CHECK(cfg->buses[0].type == bus_type::serial);
    CHECK(cfg->buses[1].type == bus_type::tcp_client);
    CHECK(cfg->buses[1].connect_timeout == bus_config{}.connect_timeout);
    CHECK(cfg->buses[2].type == bus_type::dtu);
    CHECK(cfg->buses[2].heartbeat_interval == std::chrono::seconds(60));
    CHECK(cfg->dtu.listen.size() == 2);
    CHECK(cfg->dtu.registration_timeout == dtu_config{}.registration_timeout);
    CHECK(cfg->dtu.max_connections == dtu_config{}.max_connections);
    REQUIRE(cfg->devices.size() == 1);
    CHECK(cfg->devices[0].bus == cfg->buses[0].id);
    CHECK_FALSE(cfg->devices[0].component_code.empty());
    CHECK_FALSE(cfg->devices[0].options.empty());

    // The bus example shows the defaults.
    const bus_config default_bus;
    CHECK(cfg->buses[0].baud == default_bus.baud);
    CHECK(cfg->buses[0].data_bits == default_bus.data_bits);
    CHECK(cfg->buses[0].parity == default_bus.parity);
    CHECK(cfg->buses[0].stop_bits == default_bus.stop_bits);
    CHECK(cfg->buses[0].response_timeout == default_bus.response_timeout);
    CHECK(cfg->buses[0].inter_frame_gap == default_bus.inter_frame_gap);
    CHECK(cfg->buses[0].retries == default_bus.retries);
    const device_config default_device;
    CHECK(cfg->devices[0].poll_interval == default_device.poll_interval);
    CHECK(cfg->devices[0].offline_after == default_device.offline_after);

    const auto driver_issues = check_builtin_drivers(*cfg);
    INFO(all_issues(driver_issues));
    CHECK(driver_issues.empty());
}

TEST_CASE("demo config template loads cleanly")
{
    // scripts/demo.sh substitutes these two variables with sed.
    const std::filesystem::path demo_dir = "/tmp/citygate-demo-sample";
    auto text = read_text(demo_template);
    text = replace_all(text, "@DEMO_DIR@", demo_dir.string());
    text = replace_all(text, "@PORT@", "18831");
    INFO("variables left in the template: a new @VAR@ needs a sample value here");
    REQUIRE(text.find('@') == std::string::npos);

    std::vector<config_issue> issues;
    auto cfg = parse(text, demo_dir / "citygate.toml", issues);
    INFO(all_issues(issues));
    REQUIRE(cfg.has_value());
    CHECK(issues.empty());
    CHECK(cfg->uplink.brokers == std::vector<std::string>{"tcp://127.0.0.1:18831"});
    CHECK(cfg->gateway.key_file == demo_dir / "keys.toml");
    REQUIRE(cfg->buses.size() == 1);
    CHECK(cfg->buses[0].device == demo_dir / "bus-gateway");
    CHECK(cfg->devices.size() == 3);

    const auto driver_issues = check_builtin_drivers(*cfg);
    INFO(all_issues(driver_issues));
    CHECK(driver_issues.empty());
}
