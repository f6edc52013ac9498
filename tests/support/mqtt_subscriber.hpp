#pragma once
// Test support: an independent MQTT 5 subscriber (a second Paho client) that
// records every message it receives.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mqtt {
class async_client;
}

namespace citygate::test {

struct received_message {
    std::string topic;
    std::string payload;
    int qos = 0;
    bool retained = false;
};

class mqtt_subscriber {
public:
    // Connects to `uri` and subscribes to `topic_filter` with QoS 1; throws
    // mqtt::exception when either fails.
    mqtt_subscriber(const std::string& uri, const std::string& topic_filter);
    ~mqtt_subscriber();
    mqtt_subscriber(const mqtt_subscriber&) = delete;
    mqtt_subscriber& operator=(const mqtt_subscriber&) = delete;

    // Waits until a received message satisfies `match`; returns a copy of it
    // or nullptr after `timeout`.
    std::unique_ptr<received_message> wait_for(const std::function<bool(const received_message&)>& match,
                                               std::chrono::milliseconds timeout);

    std::vector<received_message> messages() const;

private:
    std::unique_ptr<mqtt::async_client> client_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<received_message> received_;
};

} // namespace citygate::test
