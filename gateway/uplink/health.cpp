#include "gateway/uplink/health.hpp"

#include <nlohmann/json.hpp>

#include <string_view>
#include <vector>

namespace citygate::uplink {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json lane_json(const lane_queue& queue)
{
    ordered_json out;
    // Rows of the outbox: pending readings plus sealed batches.
    out["rows"] = queue.pending_readings + queue.sealed_batches;
    out["pending_readings"] = queue.pending_readings;
    out["sealed_batches"] = queue.sealed_batches;
    out["bytes"] = queue.bytes;
    return out;
}

ordered_json device_json(const device_health& device)
{
    ordered_json out;
    out["id"] = device.id;
    out["state"] = to_string(device.state);
    if (device.last_reading_ms)
        out["last_reading"] = *device.last_reading_ms;
    else
        out["last_reading"] = nullptr;
    out["consecutive_failures"] = device.consecutive_failures;
    if (device.last_error.empty())
        out["last_error"] = nullptr;
    else
        out["last_error"] = device.last_error;
    out["rejected_frames"] = device.rejected_frames;
    return out;
}

ordered_json bus_json(const bus_health& bus)
{
    ordered_json out;
    out["id"] = bus.id;
    out["open"] = bus.open;
    out["rejected_frames"] = bus.rejected_frames;
    out["late_answers"] = bus.late_answers;
    out["timeouts"] = bus.timeouts;
    out["port_errors"] = bus.port_errors;
    out["dropped_bytes"] = bus.dropped_bytes;
    return out;
}

// Invalid UTF-8 in a device error text is replaced, not thrown.
std::string dump(const ordered_json& value)
{
    return value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

// Appends `"key":[...]` to the text of an object that is still open and
// already has a member. `key` must need no JSON escaping.
template <typename T, typename ToJson>
void append_array(std::string& text, std::string_view key, const std::vector<T>& items, ToJson to_element)
{
    text += ",\"";
    text += key;
    text += "\":[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0)
            text += ',';
        text += dump(to_element(items[i]));
    }
    text += ']';
}

template <typename T>
ordered_json optional_json(const std::optional<T>& value)
{
    if (value)
        return *value;
    return nullptr;
}

} // namespace

const char* to_string(device_state state) noexcept
{
    switch (state) {
    case device_state::online:
        return "online";
    case device_state::offline:
        return "offline";
    case device_state::unknown:
        break;
    }
    return "unknown";
}

std::string to_json(const health_snapshot& snapshot)
{
    ordered_json out;
    out["ts"] = snapshot.ts_ms;
    out["uptime_s"] = snapshot.uptime_s;
    out["version"] = snapshot.version;
    out["clock_trusted"] = snapshot.clock_trusted;
    out["queue"]["telemetry"] = lane_json(snapshot.telemetry);
    out["queue"]["event"] = lane_json(snapshot.event);
    out["oldest_unsent_age_s"] = optional_json(snapshot.oldest_unsent_age_s);
    out["readings"]["accepted"] = snapshot.readings_accepted;
    out["readings"]["sent"] = snapshot.readings_sent;
    out["readings"]["evicted"] = snapshot.readings_evicted;
    out["publish_rate_per_s"] = snapshot.publish_rate_per_s;
    out["reconnects"] = snapshot.reconnects;
    out["disk_free_bytes"] = optional_json(snapshot.disk_free_bytes);

    std::string text = dump(out);

    // The device and bus arrays are serialised one element at a time. As
    // one document, a report of 500 devices and 500 buses took about 0.5 MB
    // of heap (heaptrack), on top of the readings waiting for a flush.
    text.pop_back(); // reopens the object after its last member
    append_array(text, "devices", snapshot.devices, device_json);
    append_array(text, "buses", snapshot.buses, bus_json);
    if (snapshot.dtu) {
        const auto& dtu = *snapshot.dtu;
        text += ",\"dtu\":";
        text += dump(ordered_json{{"attached", dtu.attached},   {"registered", dtu.registered},
                                  {"replaced", dtu.replaced},   {"rejected", dtu.rejected},
                                  {"timed_out", dtu.timed_out}, {"over_limit", dtu.over_limit}});
    }
    text += '}';
    return text;
}

std::string status_online_json(std::string_view version, std::int64_t started_at_ms)
{
    ordered_json out;
    out["state"] = "online";
    out["version"] = version;
    out["started_at"] = started_at_ms;
    return out.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string status_offline_json(std::string_view reason)
{
    ordered_json out;
    out["state"] = "offline";
    out["reason"] = reason;
    return out.dump();
}

} // namespace citygate::uplink
