// citygate bus scan of the real binary against a fake daemon that answers
// "probe" for a few addresses: broadcast, sweeps, progress lines, --json,
// range limits and --append with its confirmation and config check.

#include "cli_runner.hpp"
#include "tests/unit/control/control_fixture.hpp"

#include "gateway/control/protocol.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <spawn.h>
#include <thread>

#include <sys/stat.h>
#include <sys/wait.h>

using citygate::cli::test::run_cli;
using citygate::cli::test::slurp;
using citygate::control::test::running_server;
namespace control = citygate::control;
using nlohmann::json;

namespace {

std::mutex probes_mutex;
std::vector<json> probe_requests; // every probe the fake daemon received

json probe_result(const json& request, bool found, const std::string& address, const std::string& detail) {
    json result{{"bus", request["bus"]}, {"protocol", request["protocol"]}, {"found", found},
                {"address", found ? address : ""}, {"detail", detail}, {"values", json::array()},
                {"options", json::object()}, {"request_hex", "68 AA"}, {"response_hex", found ? "68 93" : ""}};
    if (found && request["protocol"] == "dlt645") {
        result["options"]["edition"] = "2007";
    }
    return result;
}

// Meters 000000000003 and 000000000007 (DL/T 645) and unit 5 (Modbus) on
// bus rs485-1; wm-07 is already configured at 000000000007. On bus rs485-2
// two meters garble every broadcast reply.
void fake_daemon(const json& request, const control::reply_fn& reply) {
    if (request["cmd"] == "devices") {
        reply(control::make_result({{"devices", {{{"id", "wm-07"}, {"driver", "dlt645"}, {"bus", "rs485-1"},
                                                   {"address", "000000000007"}, {"state", "online"}}}}}));
        return;
    }
    {
        const std::lock_guard lock(probes_mutex);
        probe_requests.push_back(request);
    }
    if (request["bus"] == "rs485-2") {
        reply(control::make_result(
            probe_result(request, false, "", "incomplete answer (9 bytes) within 300 ms")));
        return;
    }
    if (request["bus"] != "rs485-1") {
        reply(control::make_error(control::errc::bus_not_found, "no bus with id " + request["bus"].get<std::string>()));
        return;
    }

    const auto& address = request["address"];
    if (address.is_null()) {
        reply(control::make_result(probe_result(request, true, "000000000161", "")));
        return;
    }
    const auto text = address.get<std::string>();
    const bool found = text == "000000000003" || text == "000000000007" || text == "5";
    reply(control::make_result(
        probe_result(request, found, text, found ? "energy_import = 12.5 kWh" : "no answer within 100 ms")));
}

std::vector<std::string> args(running_server& server, std::vector<std::string> words) {
    words.push_back("--socket");
    words.push_back(server.path().string());
    return words;
}

std::size_t count_probes() {
    const std::lock_guard lock(probes_mutex);
    return probe_requests.size();
}

void clear_probes() {
    const std::lock_guard lock(probes_mutex);
    probe_requests.clear();
}

class temp_dir {
public:
    temp_dir() {
        char pattern[] = "/tmp/cg-cli-scan-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        path_ = pattern;
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& leaf) const { return path_ / leaf; }

private:
    std::filesystem::path path_;
};

constexpr const char* valid_config = R"([gateway]
id = "gw-1"
[uplink]
brokers = ["tcp://127.0.0.1:1883"]
[[bus]]
id = "rs485-1"
device = "/dev/ttyS1"
)";

std::filesystem::path write_config(const temp_dir& dir, const std::string& text, mode_t mode) {
    const auto file = dir / "citygate.toml";
    std::ofstream(file) << text;
    REQUIRE(::chmod(file.c_str(), mode) == 0);
    return file;
}

std::size_t files_in(const std::filesystem::path& dir) {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                  std::filesystem::directory_iterator()));
}

// The fake daemon, 50 ms slower per probe, so a sweep is still running
// when the test interrupts it.
void slow_daemon(const json& request, const control::reply_fn& reply) {
    if (request["cmd"] == "probe") {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    fake_daemon(request, reply);
}

// Starts citygate with stdout and stderr in files of `dir`; returns its pid.
pid_t spawn_cli(const std::vector<std::string>& args, const temp_dir& dir) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, (dir / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, (dir / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);

    std::vector<std::string> words{CITYGATE_CLI};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& word : words) {
        argv.push_back(word.data());
    }
    argv.push_back(nullptr);
    std::string lang = "LANG=C";
    char* envp[] = {lang.data(), nullptr};

    pid_t pid = -1;
    const int spawned = ::posix_spawn(&pid, CITYGATE_CLI, &actions, nullptr, argv.data(), envp);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(spawned == 0);
    return pid;
}

} // namespace

TEST_CASE("scan broadcast sends one probe and prints the meter") {
    running_server server(fake_daemon);
    clear_probes();
    const auto result = run_cli(args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645"}));

    CHECK_MESSAGE(result.exit_code == 0, result.err);
    REQUIRE(count_probes() == 1);
    CHECK(probe_requests[0]["address"].is_null());
    CHECK_FALSE(probe_requests[0].contains("scan"));
    CHECK(result.out.find("000000000161  dlt645") != std::string::npos);
    CHECK(result.out.find("Devices found on bus rs485-1: 1.") != std::string::npos);
}

TEST_CASE("scan broadcast without an answer hints at --range") {
    running_server server(fake_daemon);
    const auto result = run_cli(args(server, {"bus", "scan", "rs485-2", "--protocol", "dlt645"}));

    CHECK_MESSAGE(result.exit_code == 0, result.err);
    CHECK(result.out.find("No device answered on bus rs485-2 (1 of 1 addresses probed).") != std::string::npos);
    CHECK(result.out.find("Detail: incomplete answer (9 bytes) within 300 ms") != std::string::npos);
    CHECK(result.out.find("Probe each address with --range FIRST-LAST.") != std::string::npos);

    const auto sweep = run_cli(
        args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645", "--range", "000000000020-000000000021", "-q"}));
    CHECK(sweep.out.find("No device answered") != std::string::npos);
    CHECK(sweep.out.find("--range") == std::string::npos);
}

TEST_CASE("scan sweep probes each address and marks configured ones") {
    running_server server(fake_daemon);
    clear_probes();
    const auto result = run_cli(
        args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645", "--range", "000000000001-000000000010", "-q"}));

    CHECK_MESSAGE(result.exit_code == 0, result.err);
    REQUIRE(count_probes() == 10);
    CHECK(probe_requests[0]["address"] == "000000000001");
    CHECK(probe_requests[9]["address"] == "000000000010");
    CHECK(probe_requests[4]["scan"] == json{{"index", 4}, {"total", 10}});
    CHECK(result.err.empty());
    CHECK(result.out.find("000000000003  dlt645    energy_import = 12.5 kWh  -") != std::string::npos);
    CHECK(result.out.find("000000000007  dlt645    energy_import = 12.5 kWh  wm-07") != std::string::npos);
    CHECK(result.out.find("Devices found on bus rs485-1: 2.") != std::string::npos);
}

TEST_CASE("scan sweep prints progress lines when stderr is no terminal") {
    running_server server(fake_daemon);
    const auto result =
        run_cli(args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645", "--range", "000000000001-000000000010"}));

    CHECK(result.exit_code == 0);
    CHECK(result.err.find("scanned 1 of 10 addresses, 0 found\n") != std::string::npos);
    CHECK(result.err.find("scanned 10 of 10 addresses, 2 found\n") != std::string::npos);
    CHECK(result.err.find('\r') == std::string::npos);
}

TEST_CASE("scan --json lists the found devices") {
    running_server server(fake_daemon);
    const auto result = run_cli(
        args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645", "--range", "000000000001-000000000005", "--json"}));

    CHECK(result.exit_code == 0);
    const auto output = json::parse(result.out);
    CHECK(output["probed"] == 5);
    CHECK(output["total"] == 5);
    CHECK(output["interrupted"] == false);
    REQUIRE(output["found"].size() == 1);
    CHECK(output["found"][0]["address"] == "000000000003");
    CHECK(output["found"][0]["configured_as"].is_null());
}

TEST_CASE("scan modbus sweeps unit ids 1-247 by default") {
    running_server server(fake_daemon);
    clear_probes();
    const auto result = run_cli(args(server, {"bus", "scan", "rs485-1", "--protocol", "modbus", "-q"}));

    CHECK(result.exit_code == 0);
    CHECK(count_probes() == 247);
    CHECK(result.out.find("5        modbus") != std::string::npos);
}

TEST_CASE("scan range above the limit is rejected before any probe") {
    running_server server(fake_daemon);
    clear_probes();
    const auto too_large = run_cli(
        args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645", "--range", "000000000001-000000001001"}));
    const auto reversed = run_cli(
        args(server, {"bus", "scan", "rs485-1", "--protocol", "cjt188", "--range", "78330000000050-78330000000001"}));
    const auto hex_tail = run_cli(
        args(server, {"bus", "scan", "rs485-1", "--protocol", "cjt188", "--range", "7833000000000A-7833000000000F"}));
    const auto unit = run_cli(args(server, {"bus", "scan", "rs485-1", "--protocol", "modbus", "--range", "0-10"}));

    CHECK(too_large.exit_code == 2);
    CHECK(too_large.err.find("has 1001 addresses, more than the 1000 one scan may probe") != std::string::npos);
    CHECK(reversed.exit_code == 2);
    CHECK(hex_tail.exit_code == 2);
    CHECK(unit.exit_code == 2);
    CHECK(unit.err.find("1-247") != std::string::npos);
    CHECK(count_probes() == 0);
}

TEST_CASE("scan of an unknown bus exits 1 with bus_not_found") {
    running_server server(fake_daemon);
    const auto result = run_cli(args(server, {"bus", "scan", "rs485-9", "--protocol", "dlt645"}));

    CHECK(result.exit_code == 1);
    CHECK(result.err.find("bus 'rs485-9' is not configured") != std::string::npos);
    CHECK(result.err.find("[bus_not_found]") != std::string::npos);
}

TEST_CASE("scan append adds new devices after a yes and keeps the mode") {
    running_server server(fake_daemon);
    temp_dir dir;
    // FILE has meter 000000000007 already; the daemon's wm-07 does not count.
    const auto with_meter = std::string(valid_config) +
                            "[[device]]\nid = \"m7\"\ndriver = \"dlt645\"\nbus = \"rs485-1\"\naddress = \"000000000007\"\n";
    const auto file = write_config(dir, with_meter, 0640);
    const auto result = run_cli(args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645", "--range",
                                              "000000000001-000000000010", "-q", "--append", file.string()}),
                                "yes\n");

    CHECK_MESSAGE(result.exit_code == 0, result.err);
    CHECK(result.err.find("Append the devices found (1) to") != std::string::npos);
    const auto text = slurp(file);
    CHECK(text.rfind(with_meter, 0) == 0);
    CHECK(text.find("# Found by 'citygate bus scan' on bus rs485-1: energy_import = 12.5 kWh\n[[device]]\n"
                    "id = \"rs485-1-000000000003\"\ndriver = \"dlt645\"\nbus = \"rs485-1\"\n"
                    "address = \"000000000003\"\n[device.options]\nedition = \"2007\"\n") != std::string::npos);
    CHECK(text.find("rs485-1-000000000007") == std::string::npos);
    CHECK(result.err.find("Skipped 000000000007: " + file.string() + " already has it as device m7.") !=
          std::string::npos);
    struct stat info {};
    REQUIRE(::stat(file.c_str(), &info) == 0);
    CHECK((info.st_mode & 07777) == 0640);
    CHECK(files_in(dir.path()) == 1);
    CHECK(run_cli({"config", "check", file.string()}).exit_code == 0);
}

TEST_CASE("scan append adds a device the daemon has but FILE lacks") {
    running_server server(fake_daemon);
    temp_dir dir;
    const auto file = write_config(dir, valid_config, 0600);
    const auto result = run_cli(args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645", "--range",
                                              "000000000007-000000000007", "-q", "--append", file.string(), "--yes"}));

    CHECK_MESSAGE(result.exit_code == 0, result.err);
    CHECK(slurp(file).find("id = \"rs485-1-000000000007\"") != std::string::npos);
}

TEST_CASE("scan append duplicate id error names FILE") {
    running_server server(fake_daemon);
    temp_dir dir;
    // Same id as the block the scan generates, at another address.
    const auto with_id = std::string(valid_config) + "[[device]]\nid = \"rs485-1-000000000161\"\ndriver = "
                                                     "\"dlt645\"\nbus = \"rs485-1\"\naddress = \"000000000099\"\n";
    const auto file = write_config(dir, with_id, 0600);
    const auto result = run_cli(
        args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645", "--append", file.string(), "--yes"}));

    CHECK(result.exit_code == 1);
    CHECK(result.err.find(file.string() + ":") != std::string::npos);
    CHECK(result.err.find("duplicate device id") != std::string::npos);
    CHECK(result.err.find("/.citygate.toml.") == std::string::npos);
    CHECK(slurp(file) == with_id);
    CHECK(files_in(dir.path()) == 1);
}

TEST_CASE("scan append without a yes leaves the file byte-identical") {
    running_server server(fake_daemon);
    temp_dir dir;
    const auto file = write_config(dir, valid_config, 0600);
    const auto declined = run_cli(args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645", "--append",
                                                file.string()}),
                                  "no\n");
    const auto no_input =
        run_cli(args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645", "--append", file.string()}));

    CHECK(declined.exit_code == 1);
    CHECK(declined.err.find("Not confirmed;") != std::string::npos);
    CHECK(no_input.exit_code == 1);
    CHECK(slurp(file) == valid_config);
    CHECK(files_in(dir.path()) == 1);
}

TEST_CASE("scan append that fails the config check changes nothing") {
    running_server server(fake_daemon);
    temp_dir dir;
    // No [[bus]] rs485-1 in this file, so the new device's bus is unknown.
    const std::string without_bus = "[gateway]\nid = \"gw-1\"\n[uplink]\nbrokers = [\"tcp://127.0.0.1:1883\"]\n";
    const auto file = write_config(dir, without_bus, 0644);
    const auto result = run_cli(
        args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645", "--append", file.string(), "--yes"}));

    CHECK(result.exit_code == 1);
    CHECK(result.err.find("fails the config check") != std::string::npos);
    CHECK(result.err.find("rs485-1") != std::string::npos);
    CHECK(slurp(file) == without_bus);
    CHECK(files_in(dir.path()) == 1);
}

TEST_CASE("scan interrupted by Ctrl-C prints what it found") {
    running_server server(slow_daemon);
    temp_dir dir;
    clear_probes();
    const auto pid = spawn_cli(
        args(server, {"bus", "scan", "rs485-1", "--protocol", "dlt645", "--range", "000000000001-000000000100", "-q"}),
        dir);

    // Probe 3 finds a meter; interrupt once it has been answered.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (count_probes() < 4 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(::kill(pid, SIGINT) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);

    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    const auto out = slurp(dir / "out");
    const auto err = slurp(dir / "err");
    CHECK(err.find("Interrupted after ") != std::string::npos);
    CHECK(err.find(" of 100 addresses.") != std::string::npos);
    CHECK(out.find("000000000003  dlt645") != std::string::npos);
    CHECK(count_probes() < 100);
}

TEST_CASE("scan progress bar on a terminal") {
    running_server server(fake_daemon);
    temp_dir dir;
    // script(1) from util-linux runs the CLI with a pty as stdout and stderr.
    const auto command = std::string("LANG=C script -qec '") + CITYGATE_CLI +
                         " bus scan rs485-1 --protocol dlt645 --range 000000000001-000000000005 --socket " +
                         server.path().string() + "' /dev/null > " + (dir / "tty").string();
    REQUIRE(std::system(command.c_str()) == 0);

    const auto output = slurp(dir / "tty");
    CHECK(output.find("\r[######                        ] 1/5, 0 found") != std::string::npos);
    CHECK(output.find("\r[##############################] 5/5, 1 found") != std::string::npos);
    CHECK(output.find("\r\033[K") != std::string::npos); // the bar is cleared before the table
    CHECK(output.find("scanned ") == std::string::npos);
    CHECK(output.find("000000000003") != std::string::npos);
}
