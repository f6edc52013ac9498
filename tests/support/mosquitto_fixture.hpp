#pragma once
// Test support: a real mosquitto broker on a free loopback port, a socat
// TCP proxy whose connections can be cut, and a scratch directory.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <sys/types.h>

namespace citygate::test {

enum class address_family { ipv4, ipv6 };

// Returns a port that was free on the loopback address a moment ago, found
// by binding port 0.
std::uint16_t free_port(address_family family = address_family::ipv4);

// Waits until something accepts TCP connections on the loopback port.
bool wait_for_port(address_family family, std::uint16_t port, std::chrono::milliseconds timeout);

// A fresh directory under the system temp dir, removed with its contents.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

struct mosquitto_options {
    address_family family = address_family::ipv4;
    // A mosquitto_passwd file; when set, anonymous clients are rejected.
    std::filesystem::path password_file;
    // Appended to the generated mosquitto.conf, e.g. TLS listener settings.
    std::string extra_config;
};

class mosquitto_fixture {
public:
    // Writes mosquitto.conf and starts the broker; throws std::runtime_error
    // when it does not accept connections within 5 s.
    explicit mosquitto_fixture(mosquitto_options options = {});
    ~mosquitto_fixture();
    mosquitto_fixture(const mosquitto_fixture&) = delete;
    mosquitto_fixture& operator=(const mosquitto_fixture&) = delete;

    void start();
    void stop();    // SIGTERM and wait; clients see their connection closed
    void restart(); // stop, then start on the same port

    bool running() const { return pid_ > 0; }
    std::uint16_t port() const { return port_; }
    std::string host() const;   // "127.0.0.1" or "::1"
    std::string uri() const;    // tcp://127.0.0.1:port or tcp://[::1]:port
    std::string log_text() const;
    const std::filesystem::path& dir() const { return dir_.path(); }

private:
    void write_config() const;

    mosquitto_options options_;
    temp_dir dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

// socat forwarding 127.0.0.1:port() to a target port, one child per
// connection. kill() cuts every proxied connection at once without an MQTT
// DISCONNECT, which is what the broker sees when a gateway loses power.
class tcp_proxy {
public:
    explicit tcp_proxy(std::uint16_t target_port);
    ~tcp_proxy();
    tcp_proxy(const tcp_proxy&) = delete;
    tcp_proxy& operator=(const tcp_proxy&) = delete;

    void kill();
    std::uint16_t port() const { return port_; }
    std::string uri() const;

private:
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

} // namespace citygate::test
