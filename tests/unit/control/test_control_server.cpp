// Control socket server and client over real Unix sockets in a temp dir.

#include "control_fixture.hpp"

#include "gateway/control/client.hpp"
#include "gateway/control/protocol.hpp"

#include <boost/asio/steady_timer.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <sys/stat.h>
#include <vector>

using namespace citygate::control;
using citygate::control::test::raw_connection;
using citygate::control::test::running_server;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json sample_status() {
    return {{"gateway_id", "cl-gw-01"},   {"version", "0.1.0"},    {"uptime_s", 12},
            {"started_at_ms", 1700000000000}, {"clock_trusted", true},
            {"uplink", {{"connected", true}, {"broker", "tcp://127.0.0.1:1883"}, {"reconnects", 0}}},
            {"devices_total", 3},         {"devices_online", 2}};
}

// Answers status at once and echoes every other request back as its result.
void echo_handler(const json& request, const reply_fn& reply) {
    if (request["cmd"] == "status") {
        reply(make_result(sample_status()));
        return;
    }
    reply(make_result({{"echo", request}}));
}

std::string error_code_of(const json& response) {
    return response.at("error").at("code").get<std::string>();
}

} // namespace

TEST_CASE("control round trip returns the handler's result") {
    running_server server(echo_handler);
    const client c(server.path(), 5s);

    const auto result = c.call({{"cmd", "status"}});

    REQUIRE(result.response);
    CHECK_FALSE(result.error);
    CHECK((*result.response)["ok"] == true);
    CHECK((*result.response)["result"] == sample_status());
    CHECK(server.counters().requests == 1);
}

TEST_CASE("control read request carries device and raw flag") {
    running_server server(echo_handler);
    const client c(server.path(), 5s);

    const auto result = c.call({{"cmd", "read"}, {"device", "wm-01"}, {"raw", true}});

    REQUIRE(result.response);
    const auto& echoed = (*result.response)["result"]["echo"];
    CHECK(echoed["device"] == "wm-01");
    CHECK(echoed["raw"] == true);
}

TEST_CASE("control malformed JSON is answered and connection stays usable") {
    running_server server(echo_handler);
    raw_connection connection(server.path());

    REQUIRE(connection.send("{\"cmd\": \"status\"\n"));
    const auto first = connection.read_line();
    REQUIRE(first);
    const auto error = json::parse(*first);
    CHECK(error["ok"] == false);
    CHECK(error_code_of(error) == "malformed_json");

    REQUIRE(connection.send("{\"cmd\":\"status\"}\n"));
    const auto second = connection.read_line();
    REQUIRE(second);
    CHECK(json::parse(*second)["ok"] == true);

    CHECK(server.counters().malformed_json == 1);
}

TEST_CASE("control binary garbage is rejected without a crash") {
    running_server server(echo_handler);
    raw_connection connection(server.path());

    REQUIRE(connection.send(std::string("\x00\xff\xfe{[\"\x1b[31m\n", 12)));
    const auto line = connection.read_line();

    REQUIRE(line);
    CHECK(error_code_of(json::parse(*line)) == "malformed_json");
}

TEST_CASE("control request that is not a command object") {
    running_server server(echo_handler);
    const client c(server.path(), 5s);

    const std::vector<std::pair<json, std::string>> cases{
        {json::array({1, 2}), "bad_request"},
        {json{{"command", "status"}}, "bad_request"},
        {json{{"cmd", 7}}, "bad_request"},
        {json{{"cmd", "reboot"}}, "unknown_command"},
        {json{{"cmd", "read"}}, "bad_request"},
        {json{{"cmd", "read"}, {"device", ""}}, "bad_request"},
        {json{{"cmd", "read"}, {"device", "wm-01"}, {"raw", "yes"}}, "bad_request"},
    };
    for (const auto& [request, expected] : cases) {
        CAPTURE(request.dump());
        const auto result = c.call(request);
        REQUIRE(result.response);
        CHECK((*result.response)["ok"] == false);
        CHECK(error_code_of(*result.response) == expected);
    }
    CHECK(server.counters().bad_requests == cases.size());
}

TEST_CASE("control oversize line is rejected and the connection closed") {
    server_options options;
    options.max_request_bytes = 1024;
    running_server server(echo_handler, options);
    raw_connection connection(server.path());

    REQUIRE(connection.send(std::string(1500, 'x')));
    const auto line = connection.read_line();

    REQUIRE(line);
    CHECK(error_code_of(json::parse(*line)) == "request_too_large");
    CHECK(connection.closed_by_peer());
    CHECK(server.counters().oversize == 1);
}

TEST_CASE("control line at the size limit is accepted") {
    server_options options;
    options.max_request_bytes = 1024;
    running_server server(echo_handler, options);
    raw_connection connection(server.path());

    // {"cmd":"read","device":"<name>"} plus '\n' fills exactly max_request_bytes + 1.
    const std::string prefix = R"({"cmd":"read","device":")";
    const std::string suffix = R"("})";
    const std::string request = prefix + std::string(1024 - prefix.size() - suffix.size(), 'd') + suffix;
    REQUIRE(request.size() == 1024);

    REQUIRE(connection.send(request + "\n"));
    const auto line = connection.read_line();
    REQUIRE(line);
    CHECK(json::parse(*line)["ok"] == true);
}

TEST_CASE("control pipelined requests are answered in order") {
    running_server server(echo_handler);
    raw_connection connection(server.path());

    REQUIRE(connection.send("{\"cmd\":\"read\",\"device\":\"a\"}\n\n{\"cmd\":\"read\",\"device\":\"b\"}\r\n"));
    const auto first = connection.read_line();
    const auto second = connection.read_line();

    REQUIRE(first);
    REQUIRE(second);
    CHECK(json::parse(*first)["result"]["echo"]["device"] == "a");
    CHECK(json::parse(*second)["result"]["echo"]["device"] == "b");
}

TEST_CASE("control concurrent clients each get their own answer") {
    running_server server(echo_handler);
    constexpr int client_count = 8;
    constexpr int calls_per_client = 25;
    std::atomic<int> mismatches{0};
    std::atomic<int> failures{0};

    std::vector<std::thread> threads;
    for (int t = 0; t < client_count; ++t) {
        threads.emplace_back([&, t] {
            const client c(server.path(), 5s);
            for (int i = 0; i < calls_per_client; ++i) {
                const std::string device = "dev-" + std::to_string(t) + "-" + std::to_string(i);
                const auto result = c.call({{"cmd", "read"}, {"device", device}});
                if (!result.response) {
                    ++failures;
                } else if ((*result.response)["result"]["echo"]["device"] != device) {
                    ++mismatches;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }

    CHECK(failures == 0);
    CHECK(mismatches == 0);
    CHECK(server.counters().requests == client_count * calls_per_client);
}

TEST_CASE("control handler replying later from a timer") {
    std::shared_ptr<boost::asio::steady_timer> pending;
    running_server* server_ptr = nullptr;
    running_server server([&](const json& request, reply_fn reply) {
        if (request["cmd"] != "read") {
            reply(make_result(sample_status()));
            return;
        }
        pending = std::make_shared<boost::asio::steady_timer>(server_ptr->io(), 200ms);
        pending->async_wait([reply](const boost::system::error_code&) {
            reply(make_result({{"device", "wm-01"}, {"ts_ms", 1}, {"values", json::array()}}));
        });
    });
    server_ptr = &server;

    std::optional<call_result> slow;
    std::thread reader([&] { slow = client(server.path(), 5s).call({{"cmd", "read"}, {"device", "wm-01"}}); });

    // Another client is served while the read waits for its poll.
    std::this_thread::sleep_for(50ms);
    const auto fast = client(server.path(), 5s).call({{"cmd", "status"}});
    CHECK(fast.response);
    CHECK_FALSE(slow.has_value());
    reader.join();

    REQUIRE(slow);
    REQUIRE(slow->response);
    CHECK((*slow->response)["result"]["device"] == "wm-01");
}

TEST_CASE("control handler replying from another thread, only first reply counts") {
    std::vector<std::thread> workers;
    running_server server([&](const json&, reply_fn reply) {
        workers.emplace_back([reply] {
            std::this_thread::sleep_for(20ms);
            reply(make_result({{"n", 1}}));
            reply(make_result({{"n", 2}}));
        });
    });
    raw_connection connection(server.path());

    REQUIRE(connection.send("{\"cmd\":\"queue\"}\n{\"cmd\":\"queue\"}\n"));
    const auto first = connection.read_line();
    const auto second = connection.read_line();

    REQUIRE(first);
    REQUIRE(second);
    CHECK(json::parse(*first)["result"]["n"] == 1);
    CHECK(json::parse(*second)["result"]["n"] == 1);
    server.run_on_io([&] {
        for (auto& worker : workers) {
            worker.join();
        }
        return 0;
    });
}

TEST_CASE("control handler that never replies times out") {
    std::vector<reply_fn> kept; // held so the reply is neither called nor destroyed
    server_options options;
    options.handler_timeout = 150ms;
    running_server server([&](const json&, reply_fn reply) { kept.push_back(std::move(reply)); }, options);

    const auto result = client(server.path(), 5s).call({{"cmd", "devices"}});

    REQUIRE(result.response);
    CHECK(error_code_of(*result.response) == "timed_out");
    CHECK(server.counters().handler_timeouts == 1);

    // A reply after the timeout is dropped without a crash.
    server.run_on_io([&] {
        kept.front()(make_result({{"late", true}}));
        return 0;
    });
}

TEST_CASE("control handler exception becomes internal_error") {
    running_server server([](const json&, reply_fn) { throw std::runtime_error("bug"); });

    const auto result = client(server.path(), 5s).call({{"cmd", "status"}});

    REQUIRE(result.response);
    CHECK(error_code_of(*result.response) == "internal_error");
}

TEST_CASE("control handler invalid response becomes internal_error") {
    running_server server([](const json&, reply_fn reply) { reply(json{{"status", "fine"}}); });

    const auto result = client(server.path(), 5s).call({{"cmd", "status"}});

    REQUIRE(result.response);
    CHECK(error_code_of(*result.response) == "internal_error");
}

TEST_CASE("control idle connection is closed") {
    server_options options;
    options.idle_timeout = 150ms;
    running_server server(echo_handler, options);
    raw_connection connection(server.path());

    CHECK(connection.closed_by_peer());
    CHECK(server.counters().idle_timeouts == 1);
}

TEST_CASE("control connection limit refuses extra clients") {
    server_options options;
    options.max_connections = 1;
    running_server server(echo_handler, options);
    raw_connection holder(server.path());
    REQUIRE(holder.send("{\"cmd\":\"status\"}\n"));
    REQUIRE(holder.read_line());

    raw_connection extra(server.path());
    const auto line = extra.read_line();

    REQUIRE(line);
    CHECK(error_code_of(json::parse(*line)) == "too_many_connections");
    CHECK(server.counters().refused_connections == 1);
}

TEST_CASE("control client timeout when the daemon does not answer") {
    std::vector<reply_fn> kept;
    running_server server([&](const json&, reply_fn reply) { kept.push_back(std::move(reply)); });

    const auto result = client(server.path(), 150ms).call({{"cmd", "status"}});

    CHECK_FALSE(result.response);
    CHECK(result.error == client_error::timed_out);
}

TEST_CASE("control client reports a missing socket as not reachable") {
    const auto result = client("/tmp/cg-ctl-does-not-exist/control.sock", 1s).call({{"cmd", "status"}});

    CHECK_FALSE(result.response);
    CHECK(result.error == client_error::not_reachable);
    CHECK(result.cause == std::errc::no_such_file_or_directory);
}

TEST_CASE("control socket file has mode 0660 and parent 0750") {
    running_server server(echo_handler, {}, "run/citygate/control.sock");

    struct stat socket_stat {};
    struct stat dir_stat {};
    REQUIRE(::stat(server.path().c_str(), &socket_stat) == 0);
    REQUIRE(::stat(server.path().parent_path().c_str(), &dir_stat) == 0);

    CHECK(S_ISSOCK(socket_stat.st_mode));
    CHECK((socket_stat.st_mode & 0777) == 0660);
    CHECK((dir_stat.st_mode & 0777) == 0750);
}

TEST_CASE("control socket file removed when the server stops") {
    std::filesystem::path path;
    {
        running_server server(echo_handler);
        path = server.path();
        CHECK(std::filesystem::exists(path));
    }
    CHECK_FALSE(std::filesystem::exists(path));
}
