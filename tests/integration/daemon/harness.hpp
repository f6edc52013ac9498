#pragma once
// Test harness for whole-gateway tests: child processes (citygated, the
// CJ/T 188 simulator, socat), a gateway directory with config and key file,
// and an independent MQTT subscriber that verifies and decrypts what the
// gateway publishes.

#include "gateway/crypto/key_file.hpp"
#include "gateway/senml/senml.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <sys/types.h>

namespace mqtt {
class async_client;
}

namespace citygate::itest {

using namespace std::chrono_literals;

// A child process in its own process group; killed with SIGKILL when the
// object goes away and it is still running.
class child {
public:
    child(std::vector<std::string> argv, const std::filesystem::path& log_file);
    ~child();
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    void signal(int sig);
    // Exit status as from waitpid's WEXITSTATUS, or -signal when killed by a
    // signal; std::nullopt when it is still running after `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    bool running();
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    int exit_status_ = 0;
};

// Two linked ptys made by socat: the gateway opens one end, a simulator the
// other, as if both sat on one RS-485 pair.
class pty_bus {
public:
    explicit pty_bus(const std::filesystem::path& dir);
    const std::filesystem::path& gateway_end() const { return gateway_end_; }
    const std::filesystem::path& device_end() const { return device_end_; }

private:
    std::filesystem::path gateway_end_;
    std::filesystem::path device_end_;
    std::unique_ptr<child> socat_;
};

struct gateway_options {
    std::string gateway_id = "itest-gw-01";
    std::uint16_t broker_port = 0;
    std::vector<std::string> meters;        // CJ/T 188 addresses on the bus
    std::string poll_interval = "1s";
    std::string flush_interval = "200ms";
    std::string health_interval = "2s";
    std::string extra_devices; // TOML appended after the CJ/T 188 devices, e.g. other drivers' [[device]] blocks
    // When set, replaces the serial bus "rs485-1" and the devices made from
    // `meters` with this text: [dtu], [[bus]] and [[device]] tables.
    std::string buses_and_devices;
};

// A gateway's files in `dir`: citygate.toml, keys.toml, data/.
struct gateway_files {
    gateway_files(const std::filesystem::path& dir, const gateway_options& options,
                  const std::filesystem::path& bus_device);

    std::filesystem::path dir;
    std::filesystem::path config;
    std::filesystem::path key_file;
    std::filesystem::path outbox;
    std::filesystem::path control_socket;
    crypto::key_set keys;
};

std::string citygated_path();
std::string simulator_path();
std::string dlt645_simulator_path();
std::string cli_path();

// One envelope as received, verified and decrypted.
struct received_envelope {
    std::string topic;
    std::vector<std::uint8_t> bytes;
    std::uint64_t sequence = 0;
    bool event_lane = false;
    std::vector<senml::resolved_record> records;
};

// A persistent-session MQTT 3.1.1 subscriber with automatic reconnect, so
// it neither misses what is published while the broker restarts nor
// depends on citygate code to receive.
class collector {
public:
    collector(std::uint16_t broker_port, const std::string& topic_prefix, const crypto::key_set& keys);
    ~collector();
    collector(const collector&) = delete;
    collector& operator=(const collector&) = delete;

    std::vector<received_envelope> envelopes() const;
    std::vector<std::string> status_payloads() const;
    std::vector<std::string> health_payloads() const;
    std::uint64_t rejected() const;

    // Waits until `done` holds for what was received so far.
    bool wait_until(const std::function<bool(const collector&)>& done, std::chrono::milliseconds timeout) const;

private:
    void on_message(const std::string& topic, const std::string& payload);

    std::string prefix_;
    crypto::key_set keys_;
    std::unique_ptr<mqtt::async_client> client_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<received_envelope> envelopes_;
    std::vector<std::string> status_;
    std::vector<std::string> health_;
    std::uint64_t rejected_ = 0;
};

// One reading as identified in received SenML: lane, device and time.
using reading_key = std::tuple<bool, std::string, double>;

struct delivery_report {
    std::set<reading_key> readings;       // distinct readings in distinct envelopes
    std::uint64_t envelopes = 0;          // distinct sequences
    std::uint64_t duplicates = 0;         // repeated sequences with identical bytes
    std::uint64_t conflicting = 0;        // repeated sequences with different bytes: a contract breach
    std::map<std::string, double> last_volume; // per device, the largest volume seen
};

delivery_report analyse(const std::vector<received_envelope>& envelopes);

} // namespace citygate::itest
