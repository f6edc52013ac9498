#pragma once
// Shared helpers of the uplink integration tests: a config with short
// reconnect delays, an io_context driver and readable checks on the
// mosquitto log.

#include "gateway/config/config.hpp"
#include "tests/support/mosquitto_fixture.hpp"
#include "tests/support/mqtt_subscriber.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace citygate::test {

using namespace std::chrono_literals;

// A gateway id no other test uses, so retained status messages of one test
// never show up in another.
inline std::string unique_gateway_id()
{
    std::random_device random;
    return "itest-" + std::to_string(random()) + std::to_string(random());
}

// Short reconnect delays keep the whole suite within a minute.
inline config::uplink_config test_uplink_config(const std::string& broker_uri, int mqtt_version = 5)
{
    config::uplink_config c;
    c.brokers = {broker_uri};
    c.mqtt_version = mqtt_version;
    c.keepalive = std::chrono::seconds(5);
    c.reconnect_min = 100ms;
    c.reconnect_max = 400ms;
    c.max_in_flight = 4;
    return c;
}

// Runs handlers on `io` until `done` returns true; false after `timeout`.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout)
{
    // Releasing the previous call's work guard with nothing queued stops
    // the io_context, and a stopped io_context runs no handlers.
    if (io.stopped())
        io.restart();
    auto guard = boost::asio::make_work_guard(io);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        io.run_for(10ms);
    }
    return true;
}

// Runs handlers on `io` for `duration`, e.g. to show that something does not happen.
inline void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration)
{
    run_until(io, [] { return false; }, duration);
}

// Waits until the broker log contains `text`; mosquitto writes it a moment
// after the event.
inline bool wait_for_log(const mosquitto_fixture& broker, const std::string& text,
                         std::chrono::milliseconds timeout = 3s)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (broker.log_text().find(text) == std::string::npos) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

// Waits until `subscriber` has received at least `count` messages that
// satisfy `match`. Polls, because mqtt_subscriber::wait_for holds the lock
// that messages() needs.
inline bool wait_for_count(const mqtt_subscriber& subscriber, const std::function<bool(const received_message&)>& match,
                           std::size_t count, std::chrono::milliseconds timeout = 5s)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        std::size_t n = 0;
        for (const auto& m : subscriber.messages())
            n += match(m) ? 1 : 0;
        if (n >= count)
            return true;
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(20ms);
    }
}

inline bool any_message(const received_message&)
{
    return true;
}

inline std::string as_string(const std::vector<std::uint8_t>& bytes)
{
    return {bytes.begin(), bytes.end()};
}

// A payload with every byte value, so a lossy text conversion anywhere on
// the path would show.
inline std::vector<std::uint8_t> binary_payload(std::uint8_t salt)
{
    std::vector<std::uint8_t> bytes;
    for (int i = 0; i < 256; ++i)
        bytes.push_back(static_cast<std::uint8_t>(i ^ salt));
    return bytes;
}

inline std::function<bool(const received_message&)> topic_and_payload(std::string topic, std::string payload)
{
    return [topic = std::move(topic), payload = std::move(payload)](const received_message& m) {
        return m.topic == topic && m.payload == payload;
    };
}

} // namespace citygate::test
