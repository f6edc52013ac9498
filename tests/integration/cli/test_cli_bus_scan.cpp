// citygate bus scan against a real citygated whose three buses are socat
// pty pairs with the DL/T 645, CJ/T 188 and Modbus simulators on the other
// ends: the broadcast and the sweeps find the simulated addresses, and
// --append writes devices that pass the config check.

#include "tests/support/mosquitto_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/unit/cli/cli_runner.hpp"

#include "gateway/crypto/key_file.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>
#include <sstream>

using citygate::cli::test::run_cli;
using citygate::cli::test::slurp;
using citygate::test::child_process;
using citygate::test::mosquitto_fixture;
using citygate::test::read_text;
using citygate::test::temp_dir;
using citygate::test::wait_until;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A socat pty pair: citygated opens gateway_end(), a simulator the other end.
class pty_pair {
public:
    pty_pair(const fs::path& dir, const std::string& name)
        : gateway_end_(dir / (name + "-gw")), device_end_(dir / (name + "-dev")),
          socat_({CITYGATE_SOCAT, "-d", "-d", "pty,raw,echo=0,link=" + gateway_end_.string(),
                  "pty,raw,echo=0,link=" + device_end_.string()},
                 dir / (name + "-socat.log")) {
        const bool linked = wait_until([&] { return fs::exists(gateway_end_) && fs::exists(device_end_); }, 10s);
        REQUIRE_MESSAGE(linked, "socat did not create its ptys: " << read_text(dir / (name + "-socat.log")));
    }

    const fs::path& gateway_end() const { return gateway_end_; }
    const fs::path& device_end() const { return device_end_; }

private:
    fs::path gateway_end_;
    fs::path device_end_;
    child_process socat_;
};

// Starts a simulator and waits for its "serving" log line.
std::unique_ptr<child_process> start_simulator(std::vector<std::string> args, const fs::path& log) {
    auto sim = std::make_unique<child_process>(args, log);
    const bool serving = wait_until([&] { return read_text(log).find("serving") != std::string::npos; }, 10s);
    REQUIRE_MESSAGE(serving, "simulator did not start: " << read_text(log));
    return sim;
}

std::string bus_block(const std::string& id, const fs::path& device) {
    return "[[bus]]\nid = \"" + id + "\"\ndevice = \"" + device.string() +
           "\"\nbaud = 9600\nresponse_timeout = \"300ms\"\ninter_frame_gap = \"5ms\"\nretries = 0\n\n";
}

std::vector<std::string> addresses(std::vector<std::string> list) {
    return list;
}

std::vector<std::string> found_addresses(const std::string& output) {
    std::vector<std::string> out;
    const auto parsed = json::parse(output);
    for (const auto& probe : parsed.at("found")) {
        out.push_back(probe.at("address").get<std::string>());
    }
    return out;
}

} // namespace

TEST_CASE("bus scan finds the simulated meters on three buses") {
    temp_dir dir;
    mosquitto_fixture broker;
    pty_pair dlt_bus(dir.path(), "dlt");
    pty_pair cjt_bus(dir.path(), "cjt");
    pty_pair modbus_bus(dir.path(), "modbus");
    const auto dlt_sim = start_simulator(
        {CITYGATE_DLT645_SIM, "--device", dlt_bus.device_end().string(), "--meter", "000000000161"},
        dir.path() / "dlt-sim.log");
    const auto cjt_sim = start_simulator({CITYGATE_CJT188_SIM, "--device", cjt_bus.device_end().string(), "--meter",
                                          "78330000000002", "--meter", "78330000000004"},
                                         dir.path() / "cjt-sim.log");
    const auto modbus_sim = start_simulator(
        {CITYGATE_MODBUS_SIM, "--device", modbus_bus.device_end().string(), "--unit", "5"}, dir.path() / "modbus-sim.log");

    const auto key_file = dir.path() / "keys.toml";
    REQUIRE_FALSE(citygate::crypto::generate_key_file(key_file, 1));
    const auto socket = dir.path() / "control.sock";
    const auto config = dir.path() / "citygate.toml";
    std::ofstream(config) << "[gateway]\nid = \"scan-gw\"\ndata_dir = \"" << (dir.path() / "data").string()
                          << "\"\nkey_file = \"" << key_file.string() << "\"\ncontrol_socket = \"" << socket.string()
                          << "\"\nlog_level = \"debug\"\n\n[uplink]\nbrokers = [\"tcp://127.0.0.1:" << broker.port()
                          << "\"]\n\n"
                          << bus_block("rs485-dlt", dlt_bus.gateway_end()) << bus_block("rs485-cjt", cjt_bus.gateway_end())
                          << bus_block("rs485-mb", modbus_bus.gateway_end());
    const auto original_config = slurp(config);

    const auto daemon_log = dir.path() / "citygated.log";
    child_process daemon({CITYGATED, "--config", config.string()}, daemon_log);
    REQUIRE_MESSAGE(wait_until([&] { return fs::exists(socket); }, 10s), read_text(daemon_log));
    const auto scan = [&](std::vector<std::string> words) {
        words.insert(words.begin(), {"bus", "scan"});
        words.insert(words.end(), {"--socket", socket.string(), "--json", "-q"});
        return run_cli(words);
    };

    SUBCASE("dlt645 broadcast and sweep") {
        const auto broadcast = scan({"rs485-dlt", "--protocol", "dlt645"});
        REQUIRE_MESSAGE(broadcast.exit_code == 0, broadcast.err);
        CHECK_MESSAGE(found_addresses(broadcast.out) == addresses({"000000000161"}), broadcast.out);

        const auto sweep = scan({"rs485-dlt", "--protocol", "dlt645", "--range", "000000000159-000000000163"});
        REQUIRE_MESSAGE(sweep.exit_code == 0, sweep.err);
        CHECK_MESSAGE(found_addresses(sweep.out) == addresses({"000000000161"}), sweep.out);
        const auto energy = json::parse(sweep.out)["found"][0]["detail"].get<std::string>();
        CHECK(energy.find("energy_import = ") != std::string::npos);
        CHECK(wait_until([&] {
            return read_text(daemon_log).find("address scan (dlt645) finished: 1 of 5 addresses answered") !=
                   std::string::npos;
        }, 5s));
    }

    SUBCASE("cjt188 sweep finds both meters, the broadcast none") {
        const auto sweep = scan({"rs485-cjt", "--protocol", "cjt188", "--range", "78330000000001-78330000000005"});
        REQUIRE_MESSAGE(sweep.exit_code == 0, sweep.err);
        CHECK_MESSAGE(found_addresses(sweep.out) == addresses({"78330000000002", "78330000000004"}), sweep.out);

        // The simulator stays silent when two meters would collide.
        const auto broadcast = scan({"rs485-cjt", "--protocol", "cjt188"});
        REQUIRE_MESSAGE(broadcast.exit_code == 0, broadcast.err);
        CHECK(found_addresses(broadcast.out).empty());

        // Without --json the silence comes with the hint to sweep.
        const auto text = run_cli({"bus", "scan", "rs485-cjt", "--protocol", "cjt188", "--socket", socket.string()});
        REQUIRE_MESSAGE(text.exit_code == 0, text.err);
        CHECK_MESSAGE(text.out.find("Probe each address with --range FIRST-LAST.") != std::string::npos, text.out);
    }

    SUBCASE("modbus sweep finds the unit id") {
        const auto sweep = scan({"rs485-mb", "--protocol", "modbus", "--range", "1-8"});
        REQUIRE_MESSAGE(sweep.exit_code == 0, sweep.err);
        CHECK_MESSAGE(found_addresses(sweep.out) == addresses({"5"}), sweep.out);
    }

    SUBCASE("append writes devices that pass the config check") {
        const auto appended = scan({"rs485-cjt", "--protocol", "cjt188", "--range", "78330000000001-78330000000005",
                                    "--append", config.string(), "--yes"});
        REQUIRE_MESSAGE(appended.exit_code == 0, appended.err);

        const auto text = slurp(config);
        CHECK(text.rfind(original_config, 0) == 0);
        CHECK(text.find("id = \"rs485-cjt-78330000000002\"") != std::string::npos);
        CHECK(text.find("id = \"rs485-cjt-78330000000004\"") != std::string::npos);
        CHECK(text.find("meter_type = \"10\"") != std::string::npos);
        const auto check = run_cli({"config", "check", config.string()});
        CHECK_MESSAGE(check.exit_code == 0, check.err);
    }
}
