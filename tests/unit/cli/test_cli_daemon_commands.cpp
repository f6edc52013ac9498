// status, devices, read and queue of the real citygate binary against a
// control server with a scripted handler on a temporary socket.

#include "cli_runner.hpp"
#include "tests/unit/control/control_fixture.hpp"

#include "gateway/control/protocol.hpp"

#include <doctest/doctest.h>

using citygate::cli::test::run_cli;
using citygate::control::test::running_server;
namespace control = citygate::control;
using nlohmann::json;

namespace {

json status_result() {
    return {{"gateway_id", "cl-gw-01"},
            {"version", "0.1.0"},
            {"uptime_s", 93784},
            {"started_at_ms", 1700000000000},
            {"clock_trusted", false},
            {"uplink", {{"connected", true}, {"broker", "tcp://127.0.0.1:1883"}, {"reconnects", 2}}},
            {"devices_total", 3},
            {"devices_online", 2},
            {"buses",
             {{{"id", "rs485-1"}, {"endpoint", "/dev/ttyS1 2400 8E1"}, {"open", true}, {"exchanges", 120},
               {"timeouts", 4}, {"rejected_frames", 3}, {"late_answers", 5}, {"port_errors", 0}, {"dropped_bytes", 256}}}}};
}

json devices_result() {
    return {{"devices",
             {{{"id", "wm-01"}, {"driver", "cjt188"}, {"bus", "rs485-1"}, {"address", "00000000000001"},
               {"state", "online"}, {"last_reading_ms", 1700000000000}, {"consecutive_failures", 0},
               {"last_error", ""}},
              {{"id", "wm-02"}, {"driver", "cjt188"}, {"bus", "rs485-1"}, {"address", "00000000000002"},
               {"state", "offline"}, {"last_reading_ms", nullptr}, {"consecutive_failures", 5},
               {"last_error", "no answer"}}}}};
}

json read_result(bool raw) {
    return {{"device", "wm-01"},
            {"ts_ms", 1700000000000},
            {"values",
             {{{"metric", "volume"}, {"unit", "m3"}, {"value", 12.5}},
              {{"metric", "valve_open"}, {"unit", ""}, {"value", true}}}},
            {"exchanges", raw ? json::array({{{"request_hex", "fefe6810"}, {"response_hex", "fefe6890"},
                                               {"attempts", 1}, {"error", ""}}})
                              : json::array()}};
}

// Recorded write requests, so tests can tell whether anything was sent.
std::vector<json> write_requests;

json write_result(bool raw) {
    return {{"device", "wm-01"},
            {"ts_ms", 1700000000000},
            {"values", {{{"metric", "valve_open"}, {"unit", ""}, {"value", false}}}},
            {"exchanges", raw ? json::array({{{"request_hex", "6810aa"}, {"response_hex", "6884bb"},
                                               {"attempts", 2}, {"error", ""}}})
                              : json::array()}};
}

json queue_result() {
    return {{"telemetry", {{"pending_rows", 7}, {"sealed_rows", 2}, {"bytes", 4096}}},
            {"event", {{"pending_rows", 1}, {"sealed_rows", 0}, {"bytes", 128}}},
            {"oldest_unsent_ms", 1700000000000},
            {"accepted", 100},
            {"sent", 90},
            {"evicted", 0},
            {"next_sequence", 43},
            {"in_flight", 1}};
}

// A daemon stand-in that replies to each command with the shapes of protocol.hpp;
// "read" of any device other than wm-01 is device_not_found.
void fake_daemon(const json& request, const control::reply_fn& reply) {
    const auto cmd = request["cmd"].get<std::string>();
    if (cmd == "status") {
        reply(control::make_result(status_result()));
    } else if (cmd == "devices") {
        reply(control::make_result(devices_result()));
    } else if (cmd == "queue") {
        reply(control::make_result(queue_result()));
    } else if (request["device"] != "wm-01") {
        reply(control::make_error(control::errc::device_not_found, "no device " + request["device"].get<std::string>()));
    } else if (cmd == "write") {
        write_requests.push_back(request);
        if (request["name"] != "valve") {
            reply(control::make_error(control::errc::command_rejected, "the device has no such command"));
        } else {
            reply(control::make_result(write_result(request.value("raw", false))));
        }
    } else {
        reply(control::make_result(read_result(request.value("raw", false))));
    }
}

std::vector<std::string> args(running_server& server, std::vector<std::string> words) {
    words.push_back("--socket");
    words.push_back(server.path().string());
    return words;
}

} // namespace

TEST_CASE("status renders gateway, uptime, clock warning and uplink") {
    running_server server(fake_daemon);
    const auto result = run_cli(args(server, {"status"}));

    CHECK(result.exit_code == 0);
    CHECK(result.out.find("cl-gw-01") != std::string::npos);
    CHECK(result.out.find("1d 02:03:04 (since 2023-11-14 22:13:20)") != std::string::npos);
    CHECK(result.out.find("NOT synchronised") != std::string::npos);
    CHECK(result.out.find("connected to tcp://127.0.0.1:1883 (reconnects: 2)") != std::string::npos);
    CHECK(result.out.find("2 of 3 online") != std::string::npos);
}

TEST_CASE("status --json prints the daemon's result unchanged") {
    running_server server(fake_daemon);
    const auto result = run_cli(args(server, {"status", "--json"}));

    CHECK(result.exit_code == 0);
    CHECK(json::parse(result.out) == status_result());
}

TEST_CASE("devices renders one aligned row per device") {
    running_server server(fake_daemon);
    const auto result = run_cli(args(server, {"devices"}));

    CHECK(result.exit_code == 0);
    std::istringstream lines(result.out);
    std::string header, first, second;
    std::getline(lines, header);
    std::getline(lines, first);
    std::getline(lines, second);
    CHECK(header.rfind("DEVICE  DRIVER  BUS      ADDRESS         STATE", 0) == 0);
    CHECK(first.rfind("wm-01   cjt188  rs485-1  00000000000001  online   2023-11-14 22:13:20", 0) == 0);
    CHECK(second.find("offline") != std::string::npos);
    CHECK(second.find("never") != std::string::npos);
    CHECK(second.find("no answer") != std::string::npos);
}

TEST_CASE("devices --json keeps nulls for scripts") {
    running_server server(fake_daemon);
    const auto result = run_cli(args(server, {"devices", "--json"}));

    CHECK(result.exit_code == 0);
    CHECK(json::parse(result.out) == devices_result());
}

TEST_CASE("read shows values and the raw frames only with --raw") {
    running_server server(fake_daemon);
    const auto plain = run_cli(args(server, {"read", "wm-01"}));
    const auto raw = run_cli(args(server, {"read", "wm-01", "--raw"}));

    CHECK(plain.exit_code == 0);
    CHECK(plain.out.find("Device wm-01, read at 2023-11-14 22:13:20") != std::string::npos);
    CHECK(plain.out.find("volume      12.5   m3") != std::string::npos);
    CHECK(plain.out.find("valve_open  true") != std::string::npos);
    CHECK(plain.out.find("Request frame") == std::string::npos);
    CHECK(raw.exit_code == 0);
    CHECK(raw.out.find("Request frame:  fefe6810") != std::string::npos);
    CHECK(raw.out.find("Response frame: fefe6890") != std::string::npos);
}

TEST_CASE("status lists the bus counters") {
    running_server server(fake_daemon);
    const auto result = run_cli(args(server, {"status"}));

    CHECK(result.exit_code == 0);
    CHECK(result.out.find("REJECTED FRAMES") != std::string::npos);
    CHECK(result.out.find("LATE ANSWERS") != std::string::npos);
    CHECK(result.out.find("DROPPED BYTES") != std::string::npos);
    CHECK(result.out.find("rs485-1  up    /dev/ttyS1 2400 8E1  120        4         3                5") !=
          std::string::npos);
}

TEST_CASE("status lists the dtu listener counters") {
    running_server server([](const json& request, control::reply_fn reply) {
        auto result = status_result();
        result["dtu"] = {{"listening", {"0.0.0.0:9000", "[::]:9000"}},
                         {"accepted", 30},
                         {"registered", 5},
                         {"replaced", 1},
                         {"rejected", 17},
                         {"timed_out", 3},
                         {"over_limit", 0},
                         {"pending", 0},
                         {"attached", 2}};
        if (request.at("cmd") == "status")
            reply(control::make_result(result));
    });
    const auto result = run_cli(args(server, {"status"}));

    CHECK(result.exit_code == 0);
    CHECK(result.out.find("DTU listener  0.0.0.0:9000, [::]:9000\n") != std::string::npos);
    CHECK(result.out.find("DTUs          2 attached, 5 registered, 1 replaced, 17 unknown registrations, 3 timed out, "
                          "0 over the connection limit\n") != std::string::npos);
}

TEST_CASE("status dtu endpoints in Chinese") {
    running_server server([](const json& request, control::reply_fn reply) {
        auto result = status_result();
        result["buses"] = {{{"id", "dtu-1"}, {"endpoint", "dtu id:DTU0001 from 10.0.0.7:50312"}, {"open", true}},
                           {{"id", "dtu-2"}, {"endpoint", "dtu id:DTU0002 (not registered)"}, {"open", false}}};
        if (request.at("cmd") == "status")
            reply(control::make_result(result));
    });
    const std::vector<std::string> zh{"LANG=zh_CN.UTF-8", "LC_ALL=zh_CN.UTF-8", "LANGUAGE=zh_CN", "TZ=UTC0",
                                      "PATH=/usr/bin:/bin"};
    const auto result = run_cli(args(server, {"status"}), "", zh);

    CHECK(result.exit_code == 0);
    CHECK(result.out.find("dtu id:DTU0001，来自 10.0.0.7:50312") != std::string::npos);
    CHECK(result.out.find("dtu id:DTU0002（未注册）") != std::string::npos);
    CHECK(result.out.find(" from ") == std::string::npos);

    const auto english = run_cli(args(server, {"status"}));
    CHECK(english.out.find("dtu id:DTU0001 from 10.0.0.7:50312") != std::string::npos);
}

TEST_CASE("command line errors in Chinese") {
    const std::vector<std::string> zh{"LANG=zh_CN.UTF-8", "LC_ALL=zh_CN.UTF-8", "LANGUAGE=zh_CN", "TZ=UTC0",
                                      "PATH=/usr/bin:/bin"};
    const auto no_command = run_cli({}, "", zh);
    CHECK(no_command.exit_code == 2);
    CHECK(no_command.err.find("需要指定一个命令") != std::string::npos);

    CHECK(run_cli({"bus", "scan"}, "", zh).err.find("缺少 bus") != std::string::npos);
    CHECK(run_cli({"status", "--bogus"}, "", zh).err.find("无法识别的参数：--bogus") != std::string::npos);
    CHECK(run_cli({"decode", "--protocol", "x", "68"}, "", zh).err.find("--protocol：取值 'x' 无效") !=
          std::string::npos);
    CHECK(run_cli({"decode", "--protocol"}, "", zh).err.find("--protocol 需要一个取值") != std::string::npos);

    CHECK(run_cli({}).err.find("error: a command is required") != std::string::npos);
}

TEST_CASE("status without a dtu listener prints no dtu lines") {
    running_server server(fake_daemon);
    const auto result = run_cli(args(server, {"status"}));

    CHECK(result.out.find("DTU") == std::string::npos);
}

TEST_CASE("write sends the command after a yes on stdin") {
    running_server server(fake_daemon);
    write_requests.clear();
    const auto result = run_cli(args(server, {"write", "wm-01", "valve=close", "--raw"}), "yes\n");

    CHECK(result.exit_code == 0);
    CHECK(result.err.find("Send valve=close to device wm-01?") != std::string::npos);
    CHECK(result.out.find("Device wm-01 confirmed the command.") != std::string::npos);
    CHECK(result.out.find("Request frame:  6810aa") != std::string::npos);
    REQUIRE(write_requests.size() == 1);
    CHECK(write_requests[0]["name"] == "valve");
    CHECK(write_requests[0]["value"] == "close");
}

TEST_CASE("write sends nothing without confirmation") {
    running_server server(fake_daemon);
    write_requests.clear();
    const auto declined = run_cli(args(server, {"write", "wm-01", "valve=close"}), "no\n");
    const auto no_input = run_cli(args(server, {"write", "wm-01", "valve=close"}));

    CHECK(declined.exit_code == 1);
    CHECK(declined.err.find("Not confirmed; nothing was sent") != std::string::npos);
    CHECK(no_input.exit_code == 1);
    CHECK(write_requests.empty());
}

TEST_CASE("write --yes skips the question and reports a rejected command") {
    running_server server(fake_daemon);
    write_requests.clear();
    const auto result = run_cli(args(server, {"write", "wm-01", "lamp=on", "--yes"}));

    CHECK(result.exit_code == 1);
    CHECK(result.err.find("Send") == std::string::npos);
    CHECK(result.err.find("the device has no such command") != std::string::npos);
    CHECK(write_requests.size() == 1);
}

TEST_CASE("write rejects an argument without NAME=VALUE") {
    running_server server(fake_daemon);
    write_requests.clear();
    for (const auto* bad : {"valve", "=close", "valve="}) {
        const auto result = run_cli(args(server, {"write", "wm-01", bad, "--yes"}));
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("expected NAME=VALUE") != std::string::npos);
    }
    CHECK(write_requests.empty());
}

TEST_CASE("read of an unknown device exits 1 with the daemon's error code") {
    running_server server(fake_daemon);
    const auto text = run_cli(args(server, {"read", "wm-99"}));
    const auto as_json = run_cli(args(server, {"read", "wm-99", "--json"}));

    CHECK(text.exit_code == 1);
    CHECK(text.err.find("device 'wm-99' is not configured") != std::string::npos);
    CHECK(text.err.find("[device_not_found]") != std::string::npos);
    CHECK(as_json.exit_code == 1);
    CHECK(json::parse(as_json.out)["error"]["code"] == "device_not_found");
}

TEST_CASE("queue renders both lanes and the counters") {
    running_server server(fake_daemon);
    const auto text = run_cli(args(server, {"queue"}));
    const auto as_json = run_cli(args(server, {"queue", "--json"}));

    CHECK(text.exit_code == 0);
    CHECK(text.out.find("event      1             0            128") != std::string::npos);
    CHECK(text.out.find("telemetry  7             2            4096") != std::string::npos);
    CHECK(text.out.find("Oldest unsent reading  2023-11-14 22:13:20") != std::string::npos);
    CHECK(text.out.find("Next sequence          43") != std::string::npos);
    CHECK(json::parse(as_json.out) == queue_result());
}

TEST_CASE("a missing socket exits 3 and says the file does not exist") {
    const auto text = run_cli({"status", "--socket", "/tmp/cg-no-such-dir/control.sock"});
    const auto as_json = run_cli({"queue", "--json", "--socket", "/tmp/cg-no-such-dir/control.sock"});

    CHECK(text.exit_code == 3);
    CHECK(text.err.find("the socket file does not exist") != std::string::npos);
    CHECK(as_json.exit_code == 3);
    CHECK(json::parse(as_json.out)["error"]["code"] == "not_reachable");
}

TEST_CASE("a daemon that never answers exits 3 after --timeout") {
    running_server server([](const json&, const control::reply_fn&) {});
    const auto result = run_cli(args(server, {"status", "--timeout", "0.3"}));

    CHECK(result.exit_code == 3);
    CHECK(result.err.find("did not answer within 0.3 s") != std::string::npos);
}

TEST_CASE("an unknown subcommand or missing argument exits 2") {
    CHECK(run_cli({"read"}).exit_code == 2);
    CHECK(run_cli({"frobnicate"}).exit_code == 2);
}
