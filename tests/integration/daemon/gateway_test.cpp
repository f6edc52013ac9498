// Whole-gateway tests: citygated as built, a real mosquitto on a free
// loopback port, simulated CJ/T 188 meters on a socat pty pair and an
// independent Paho subscriber that verifies and decrypts every envelope.

#include "tests/integration/daemon/harness.hpp"
#include "tests/support/mosquitto_fixture.hpp"

#include "gateway/store/outbox.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

namespace citygate::itest {
namespace {

const std::vector<std::string> meters = {"78330011223344", "78330011223345", "78330011223346"};

test::mosquitto_options persistent_broker(const test::temp_dir& dir)
{
    // Persistence keeps the subscriber's session and its queued messages
    // across a broker restart.
    test::mosquitto_options options;
    options.extra_config = "persistence true\npersistence_location " + dir.path().string() + "/\n";
    return options;
}

struct rig {
    explicit rig(test::mosquitto_options broker_options = {})
        : broker(std::move(broker_options)), bus(dir.path())
    {
        gateway_options options;
        options.broker_port = broker.port();
        options.meters = meters;
        files = std::make_unique<gateway_files>(dir.path(), options, bus.gateway_end());

        std::vector<std::string> sim_args{simulator_path(), "--device", bus.device_end().string()};
        for (const auto& m : meters) {
            sim_args.push_back("--meter");
            sim_args.push_back(m);
        }
        simulator = std::make_unique<child>(sim_args, dir.path() / "sim.log");
        subscriber = std::make_unique<collector>(broker.port(), "citygate/v1/" + options.gateway_id, files->keys);
    }

    void start_gateway()
    {
        gateway = std::make_unique<child>(std::vector<std::string>{citygated_path(), "--config", files->config.string()},
                                          dir.path() / "citygated.log");
    }

    // SIGTERM, then the orderly-stop exit code.
    std::optional<int> stop_gateway()
    {
        gateway->signal(SIGTERM);
        return gateway->wait(15s);
    }

    store::stats outbox_stats() const
    {
        std::error_code error;
        auto outbox = store::outbox::open(files->outbox, store::limits{}, error);
        REQUIRE_MESSAGE(outbox, "outbox: " << error.message());
        return outbox->read_stats();
    }

    std::string gateway_log() const
    {
        std::ifstream in(dir.path() / "citygated.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    test::temp_dir dir;
    test::mosquitto_fixture broker;
    pty_bus bus;
    std::unique_ptr<gateway_files> files;
    std::unique_ptr<child> simulator;
    std::unique_ptr<collector> subscriber;
    std::unique_ptr<child> gateway;
};

bool every_meter_seen(const collector& c, std::size_t readings_each)
{
    const auto report = analyse(c.envelopes());
    std::map<std::string, std::size_t> per_device;
    for (const auto& [event, device, time] : report.readings)
        per_device[device] += event ? 0 : 1;
    for (std::size_t i = 1; i <= meters.size(); ++i)
        if (per_device["wm-" + std::to_string(i)] < readings_each)
            return false;
    return true;
}

// After an orderly stop, the outbox is empty and every reading it counted
// as sent reached the subscriber; repeats carry identical sealed bytes.
void check_everything_delivered(rig& r)
{
    const auto stats = r.outbox_stats();
    CHECK(stats.telemetry.pending_rows == 0);
    CHECK(stats.telemetry.sealed_rows == 0);
    CHECK(stats.event.pending_rows == 0);
    CHECK(stats.event.sealed_rows == 0);
    CHECK(stats.accepted == stats.sent);
    CHECK(stats.evicted == 0);

    REQUIRE(r.subscriber->wait_until(
        [&](const collector& c) { return analyse(c.envelopes()).readings.size() >= stats.sent; }, 10s));
    const auto report = analyse(r.subscriber->envelopes());
    CHECK(report.readings.size() == stats.sent);
    CHECK(report.envelopes == stats.next_sequence - 1);
    CHECK(report.conflicting == 0);
    CHECK(r.subscriber->rejected() == 0);
    MESSAGE("envelopes ", report.envelopes, ", duplicates ", report.duplicates, ", readings ", stats.sent);
}

} // namespace

TEST_CASE("meters to decrypted readings, orderly shutdown")
{
    rig r;
    r.start_gateway();

    REQUIRE_MESSAGE(r.subscriber->wait_until([](const collector& c) { return every_meter_seen(c, 3); }, 30s),
                    r.gateway_log());
    const auto report = analyse(r.subscriber->envelopes());
    for (std::size_t i = 1; i <= meters.size(); ++i)
        CHECK(report.last_volume.at("wm-" + std::to_string(i)) > 0);

    REQUIRE(r.subscriber->wait_until([](const collector& c) { return !c.health_payloads().empty(); }, 10s));
    const auto health = r.subscriber->health_payloads().back();
    CHECK(health.find("\"wm-1\"") != std::string::npos);
    CHECK(health.find("-----") == std::string::npos);
    CHECK(r.subscriber->status_payloads().front().find("\"online\"") != std::string::npos);

    CHECK(r.stop_gateway() == std::optional<int>(0));
    REQUIRE(r.subscriber->wait_until(
        [](const collector& c) {
            const auto status = c.status_payloads();
            return !status.empty() && status.back().find("\"shutdown\"") != std::string::npos;
        },
        5s));
    check_everything_delivered(r);
}

// Runs the citygate CLI against the rig's daemon; returns its exit code and output.
std::pair<std::optional<int>, std::string> run_cli(rig& r, std::vector<std::string> words)
{
    const auto log = r.dir.path() / "cli.log";
    words.insert(words.begin(), cli_path());
    words.push_back("--socket");
    words.push_back(r.files->control_socket.string());
    child cli(words, log);
    const auto code = cli.wait(30s);
    std::ifstream in(log);
    return {code, std::string(std::istreambuf_iterator<char>(in), {})};
}

bool valve_reported(const collector& c, const std::string& device, const std::string& state)
{
    for (const auto& envelope : c.envelopes())
        for (const auto& record : envelope.records)
            if (record.name.ends_with(":" + device + ":valve") &&
                std::holds_alternative<interned_string>(record.value) && std::get<interned_string>(record.value) == state)
                return true;
    return false;
}

TEST_CASE("citygate write closes a meter valve through citygated")
{
    rig r;
    r.start_gateway();
    REQUIRE_MESSAGE(r.subscriber->wait_until([](const collector& c) { return every_meter_seen(c, 1); }, 30s),
                    r.gateway_log());

    const auto [code, output] = run_cli(r, {"write", "wm-2", "valve=close", "--yes"});
    CHECK(code == std::optional<int>(0));
    CHECK(output.find("Device wm-2 confirmed the command.") != std::string::npos);
    CHECK(output.find("closed") != std::string::npos);

    // The following polls report the new valve state like any other value.
    CHECK(r.subscriber->wait_until([](const collector& c) { return valve_reported(c, "wm-2", "closed"); }, 15s));

    const auto [rejected_code, rejected_output] = run_cli(r, {"write", "wm-2", "lamp=on", "--yes"});
    CHECK(rejected_code == std::optional<int>(1));
    CHECK(rejected_output.find("command_rejected") != std::string::npos);

    CHECK(r.stop_gateway() == std::optional<int>(0));
    const auto log = r.gateway_log();
    CHECK(log.find("control: write request from") != std::string::npos);
    CHECK(log.find("device wm-2: command valve=close confirmed by the device") != std::string::npos);
    CHECK(log.find("device wm-2: command lamp=on rejected") != std::string::npos);
}

TEST_CASE("broker stopped 30 s then restarted loses nothing")
{
    test::temp_dir broker_state;
    rig r(persistent_broker(broker_state));
    r.start_gateway();
    REQUIRE_MESSAGE(r.subscriber->wait_until([](const collector& c) { return every_meter_seen(c, 2); }, 30s),
                    r.gateway_log());

    r.broker.stop();
    std::this_thread::sleep_for(30s);
    REQUIRE(r.gateway->running());
    r.broker.start();

    // Readings taken during the outage are sealed already; wait for the
    // link to come back and drain them.
    std::this_thread::sleep_for(8s);
    CHECK(r.stop_gateway() == std::optional<int>(0));
    check_everything_delivered(r);
}

TEST_CASE("kill -9 mid-flush then restart delivers every committed reading")
{
    rig r;
    std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<int> uptime_ms(1500, 4000);

    for (int round = 0; round < 3; ++round) {
        r.start_gateway();
        std::this_thread::sleep_for(std::chrono::milliseconds(uptime_ms(random)));
        r.gateway->signal(SIGKILL);
        REQUIRE(r.gateway->wait(5s).has_value());
    }

    r.start_gateway();
    std::this_thread::sleep_for(5s);
    CHECK(r.stop_gateway() == std::optional<int>(0));
    check_everything_delivered(r);
}

} // namespace citygate::itest
