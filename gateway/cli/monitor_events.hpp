#pragma once
// Pieces of `citygate monitor`: the queue that carries Paho's callbacks to
// the main thread, and the one-line rendering of status and health messages.

#include <mqtt/message.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace citygate::cli {

enum class event_kind { connected, lost, message };

struct event {
    event_kind kind;
    mqtt::const_message_ptr message; // for event_kind::message
    std::string cause;               // for event_kind::lost
};

// Unbounded on purpose: the monitor is a short-lived diagnostic tool and a
// burst of messages must not be dropped while a line is printed.
class event_queue {
public:
    void push(event next) {
        {
            const std::lock_guard lock(mutex_);
            events_.push_back(std::move(next));
        }
        ready_.notify_one();
    }

    std::optional<event> pop_for(std::chrono::milliseconds wait) {
        std::unique_lock lock(mutex_);
        if (!ready_.wait_for(lock, wait, [this] { return !events_.empty(); })) {
            return std::nullopt;
        }
        event next = std::move(events_.front());
        events_.pop_front();
        return next;
    }

private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<event> events_;
};

// "changle-01 status: online (version 0.1.0, started 2026-12-04 21:00:00)"
std::string describe_status_message(const std::string& topic, const nlohmann::json& status);

// "changle-01 health: uptime 01:02:03, devices 3 of 4 online, queue 12 telemetry / 0 event"
std::string describe_health_message(const std::string& topic, const nlohmann::json& health);

} // namespace citygate::cli
