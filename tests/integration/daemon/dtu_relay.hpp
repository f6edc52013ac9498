#pragma once
// A 4G DTU for whole-gateway tests: dials citygated's DTU listener, sends
// its registration, relays bytes between the connection and a serial line
// (a pty with a simulator on the other end), and sends a heartbeat when
// the line has been idle, as field DTUs do.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>

namespace citygate::itest {

struct dtu_relay_options {
    std::string address;               // IPv4 or IPv6 literal of the listener
    std::uint16_t port = 0;
    std::filesystem::path serial;      // the DTU's serial port
    std::string registration;
    std::string heartbeat;
    std::chrono::milliseconds heartbeat_every{300};
};

class dtu_relay {
public:
    // Starts a thread that connects (retrying until the listener is up) and relays.
    explicit dtu_relay(dtu_relay_options options);
    ~dtu_relay();
    dtu_relay(const dtu_relay&) = delete;
    dtu_relay& operator=(const dtu_relay&) = delete;

    std::uint64_t connections() const { return connections_; }
    std::uint64_t heartbeats_sent() const { return heartbeats_; }
    std::uint64_t bytes_relayed() const { return bytes_; }

private:
    void run();
    int connect_once() const;
    void relay(int socket, int serial);

    dtu_relay_options options_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> connections_{0};
    std::atomic<std::uint64_t> heartbeats_{0};
    std::atomic<std::uint64_t> bytes_{0};
    std::thread thread_;
};

} // namespace citygate::itest
