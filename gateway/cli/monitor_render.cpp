#include "gateway/cli/i18n.hpp"
#include "gateway/cli/monitor_events.hpp"
#include "gateway/cli/text.hpp"

#include <fmt/format.h>

namespace citygate::cli {
namespace {

using nlohmann::json;

// "citygate/v1/{gateway}/status" -> "{gateway}"; other topics stay whole.
std::string gateway_of(const std::string& topic) {
    const auto last = topic.rfind('/');
    if (last == std::string::npos || last == 0) {
        return topic;
    }
    const auto before = topic.rfind('/', last - 1);
    return topic.substr(before == std::string::npos ? 0 : before + 1,
                        last - (before == std::string::npos ? 0 : before + 1));
}

std::string string_field(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string("-");
}

std::optional<std::int64_t> int_field(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_number_integer() ? std::optional(it->get<std::int64_t>()) : std::nullopt;
}

// Rows waiting in one lane, from {"queue":{"telemetry":{"rows":n}}}.
std::string queued_rows(const json& health, const char* lane) {
    const auto queue = health.find("queue");
    if (queue == health.end() || !queue->is_object()) {
        return "-";
    }
    const auto it = queue->find(lane);
    if (it == queue->end() || !it->is_object()) {
        return "-";
    }
    const auto value = int_field(*it, "rows");
    return value ? std::to_string(*value) : std::string("-");
}

std::string device_summary(const json& health) {
    const auto it = health.find("devices");
    if (it == health.end() || !it->is_array()) {
        return "-";
    }
    std::size_t online = 0;
    for (const auto& device : *it) {
        online += device.is_object() && device.value("state", std::string()) == "online" ? 1 : 0;
    }
    return fmt::format(fmt::runtime(_("{online} of {total} online")), fmt::arg("online", online),
                       fmt::arg("total", it->size()));
}

} // namespace

std::string describe_status_message(const std::string& topic, const json& status) {
    const std::string state = string_field(status, "state");
    const std::string gateway = gateway_of(topic);
    if (state == "online") {
        const auto started = int_field(status, "started_at");
        return fmt::format(fmt::runtime(_("{gateway} status: online (version {version}, started {time})")),
                           fmt::arg("gateway", gateway), fmt::arg("version", string_field(status, "version")),
                           fmt::arg("time", started ? format_local_time_ms(*started) : std::string("-")));
    }
    if (state == "offline") {
        return fmt::format(fmt::runtime(_("{gateway} status: OFFLINE ({reason})")), fmt::arg("gateway", gateway),
                           fmt::arg("reason", string_field(status, "reason")));
    }
    return fmt::format(fmt::runtime(_("{gateway} status: {state}")), fmt::arg("gateway", gateway),
                       fmt::arg("state", state));
}

std::string describe_health_message(const std::string& topic, const json& health) {
    const auto uptime = int_field(health, "uptime_s");
    return fmt::format(
        fmt::runtime(_("{gateway} health: uptime {uptime}, devices {devices}, queue {telemetry} telemetry / {event} event")),
        fmt::arg("gateway", gateway_of(topic)),
        fmt::arg("uptime", uptime && *uptime >= 0 ? format_duration(static_cast<std::uint64_t>(*uptime)) : "-"),
        fmt::arg("devices", device_summary(health)),
        fmt::arg("telemetry", queued_rows(health, "telemetry")),
        fmt::arg("event", queued_rows(health, "event")));
}

} // namespace citygate::cli
