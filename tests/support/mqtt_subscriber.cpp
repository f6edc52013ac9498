#include "tests/support/mqtt_subscriber.hpp"

#include <mqtt/async_client.h>

#include <atomic>

namespace citygate::test {
namespace {

std::string unique_client_id()
{
    static std::atomic<unsigned> counter{0};
    return "citygate-test-sub-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

} // namespace

mqtt_subscriber::mqtt_subscriber(const std::string& uri, const std::string& topic_filter)
{
    client_ = std::make_unique<mqtt::async_client>(uri, unique_client_id(), mqtt::create_options(MQTTVERSION_5),
                                                   nullptr);
    client_->set_message_callback([this](mqtt::const_message_ptr message) {
        std::lock_guard lock(mutex_);
        received_.push_back({message->get_topic(), message->to_string(), message->get_qos(), message->is_retained()});
        changed_.notify_all();
    });

    mqtt::connect_options options;
    options.set_mqtt_version(MQTTVERSION_5);
    options.set_clean_session(false);
    options.set_clean_start(true);
    client_->connect(options)->wait_for(std::chrono::seconds(5));
    if (!client_->is_connected())
        throw mqtt::exception(MQTTASYNC_FAILURE, "test subscriber could not connect to " + uri);
    client_->subscribe(topic_filter, 1)->wait_for(std::chrono::seconds(5));
}

mqtt_subscriber::~mqtt_subscriber()
{
    try {
        if (client_->is_connected())
            client_->disconnect()->wait_for(std::chrono::seconds(2));
    } catch (const mqtt::exception&) {
        // The broker may already be gone at the end of a test.
    }
}

std::unique_ptr<received_message> mqtt_subscriber::wait_for(const std::function<bool(const received_message&)>& match,
                                                            std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    std::unique_ptr<received_message> found;
    changed_.wait_for(lock, timeout, [&] {
        for (const auto& message : received_) {
            if (match(message)) {
                found = std::make_unique<received_message>(message);
                return true;
            }
        }
        return false;
    });
    return found;
}

std::vector<received_message> mqtt_subscriber::messages() const
{
    std::lock_guard lock(mutex_);
    return received_;
}

} // namespace citygate::test
