// citygate monitor against a real mosquitto on loopback: retained status
// and envelopes (good and tampered) arrive on subscribe, and a broker
// restart is survived without a crash.

#include "tests/support/mosquitto_fixture.hpp"
#include "tests/unit/cli/cli_runner.hpp"

#include "gateway/crypto/envelope.hpp"
#include "gateway/crypto/key_file.hpp"
#include "gateway/senml/senml.hpp"

#include <doctest/doctest.h>
#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <sstream>
#include <thread>

using citygate::cli::test::run_cli;
using citygate::cli::test::slurp;
using citygate::test::mosquitto_fixture;
using citygate::test::temp_dir;
namespace crypto = citygate::crypto;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// citygate running in the background with its output in files.
class background_cli {
public:
    background_cli(const std::filesystem::path& dir, std::vector<std::string> args)
        : out_(dir / "monitor.out"), err_(dir / "monitor.err") {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        args.insert(args.begin(), CITYGATE_CLI);
        std::vector<char*> argv;
        for (auto& arg : args) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        auto env = citygate::cli::test::default_env();
        std::vector<char*> envp;
        for (auto& entry : env) {
            envp.push_back(entry.data());
        }
        envp.push_back(nullptr);
        REQUIRE(::posix_spawn(&pid_, CITYGATE_CLI, &actions, nullptr, argv.data(), envp.data()) == 0);
        posix_spawn_file_actions_destroy(&actions);
    }

    ~background_cli() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    // Exit code, or -1 when still running after `timeout`.
    int wait(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(20ms);
        }
        return -1;
    }

    // Waits until stderr contains `text` at least `count` times.
    bool wait_for_err(const std::string& text, std::size_t count, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto err = slurp(err_);
            std::size_t found = 0;
            for (auto at = err.find(text); at != std::string::npos; at = err.find(text, at + 1)) {
                ++found;
            }
            if (found >= count) {
                return true;
            }
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    std::string out() const { return slurp(out_); }
    std::string err() const { return slurp(err_); }

private:
    std::filesystem::path out_;
    std::filesystem::path err_;
    pid_t pid_ = -1;
};

std::string sealed_envelope(const crypto::key_set& keys, std::uint64_t sequence) {
    std::vector<citygate::reading> readings(1);
    readings[0].device_id = "wm-01";
    readings[0].ts_ms = 1700000000000;
    readings[0].values = {{"volume", "m3", 12.5}};
    const auto pack = citygate::senml::encode_json("gw-mon", readings);
    crypto::envelope_header header;
    header.sequence = sequence;
    header.sealed_at_ms = 1700000000500;
    std::error_code error;
    const auto sealed = crypto::seal(keys, header, pack, error);
    REQUIRE_FALSE(error);
    return {sealed.begin(), sealed.end()};
}

void publish_retained(const std::string& uri, const std::string& topic, const std::string& payload) {
    mqtt::async_client client(uri, "cli-test-publisher", mqtt::create_options(MQTTVERSION_5));
    auto options = mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).clean_start(true).finalize();
    client.connect(options)->wait();
    client.publish(mqtt::message_ptr_builder().topic(topic).payload(payload).qos(1).retained(true).finalize())->wait();
    client.disconnect()->wait();
}

crypto::key_set keys_in(const std::filesystem::path& file) {
    REQUIRE(run_cli({"keygen", "--key-file", file.string()}).exit_code == 0);
    std::error_code error;
    std::string detail;
    auto keys = crypto::load_key_file(file, error, detail);
    REQUIRE(keys);
    return *keys;
}

} // namespace

TEST_CASE("monitor --json prints status and envelopes and reports a tampered one") {
    mosquitto_fixture broker;
    temp_dir dir;
    const auto key_file = dir.path() / "keys.toml";
    const auto keys = keys_in(key_file);
    auto tampered = sealed_envelope(keys, 8);
    tampered[60] = static_cast<char>(tampered[60] ^ 0x80);
    publish_retained(broker.uri(), "citygate/v1/gw-mon/status", R"({"state":"online","version":"0.1.0","started_at":1})");
    publish_retained(broker.uri(), "citygate/v1/gw-mon/telemetry", sealed_envelope(keys, 7));
    publish_retained(broker.uri(), "citygate/v1/gw-mon/event", tampered);

    background_cli monitor(dir.path(), {"monitor", "--broker", broker.uri(), "--key-file", key_file.string(),
                                        "--gateway", "gw-mon", "--json", "--count", "2", "--timeout", "20"});

    REQUIRE(monitor.wait(25s) == 0);
    std::istringstream lines(monitor.out());
    std::vector<json> objects;
    for (std::string line; std::getline(lines, line);) {
        objects.push_back(json::parse(line));
    }
    bool saw_status = false;
    bool saw_envelope = false;
    for (const auto& object : objects) {
        if (object["topic"] == "citygate/v1/gw-mon/status") {
            saw_status = object["json"]["state"] == "online";
        }
        if (object["topic"] == "citygate/v1/gw-mon/telemetry") {
            saw_envelope = object["sequence"] == 7 && object["records"][0]["v"] == 12.5 &&
                           object["records"][0]["n"] == "urn:citygate:gw-mon:wm-01:volume";
        }
    }
    CHECK(saw_status);
    CHECK(saw_envelope);
    CHECK(objects.size() == 2); // the tampered envelope goes to stderr only
    CHECK(monitor.err().find("citygate/v1/gw-mon/event: envelope rejected (bad_tag)") != std::string::npos);
}

TEST_CASE("monitor reconnects after a broker restart and keeps decoding") {
    mosquitto_fixture broker;
    temp_dir dir;
    const auto key_file = dir.path() / "keys.toml";
    const auto keys = keys_in(key_file);

    background_cli monitor(dir.path(), {"monitor", "--broker", broker.uri(), "--key-file", key_file.string(),
                                        "--gateway", "gw-mon", "--count", "1", "--timeout", "40"});
    REQUIRE(monitor.wait_for_err("watching citygate/v1/gw-mon/#", 1, 10s));

    broker.restart();
    REQUIRE(monitor.wait_for_err("watching citygate/v1/gw-mon/#", 2, 35s));
    CHECK(monitor.err().find("lost the connection") != std::string::npos);
    publish_retained(broker.uri(), "citygate/v1/gw-mon/telemetry", sealed_envelope(keys, 9));

    REQUIRE(monitor.wait(10s) == 0);
    CHECK(monitor.out().find("[telemetry #9]  wm-01  volume = 12.5 m3") != std::string::npos);
}

TEST_CASE("monitor --timeout exits 0 when nothing arrives") {
    mosquitto_fixture broker;
    temp_dir dir;
    const auto key_file = dir.path() / "keys.toml";
    keys_in(key_file);

    background_cli monitor(dir.path(), {"monitor", "--broker", broker.uri(), "--key-file", key_file.string(),
                                        "--prefix", "citygate/v1/nobody", "--timeout", "1"});

    CHECK(monitor.wait(10s) == 0);
    CHECK(monitor.out().empty());
}
