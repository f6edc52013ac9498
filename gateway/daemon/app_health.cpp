// The periodic health document of the uplink contract.

#include "gateway/daemon/app.hpp"

#include "gateway/bus/device_manager.hpp"
#include "gateway/bus/dtu_listener.hpp"
#include "gateway/bus/wall_clock.hpp"
#include "gateway/store/outbox.hpp"
#include "gateway/uplink/forwarder.hpp"
#include "gateway/uplink/health.hpp"
#include "gateway/uplink/mqtt_uplink.hpp"

#include <spdlog/spdlog.h>

namespace citygate::daemon {

namespace {

uplink::lane_queue to_lane_queue(const store::lane_depth& depth)
{
    return uplink::lane_queue{depth.pending_rows, depth.sealed_rows, depth.bytes};
}

// The contract knows only "online" and "offline", so a device that has not
// answered since startup is reported offline.
uplink::device_state to_health_state(bus::device_state state)
{
    return state == bus::device_state::online ? uplink::device_state::online : uplink::device_state::offline;
}

uplink::device_health to_device_health(const bus::device_status& status)
{
    uplink::device_health health;
    health.id = status.id;
    health.state = to_health_state(status.state);
    if (status.last_reading_ms != 0)
        health.last_reading_ms = status.last_reading_ms;
    health.consecutive_failures = status.consecutive_failures;
    health.last_error = status.last_error;
    health.rejected_frames = status.rejected_frames;
    return health;
}

uplink::bus_health to_bus_health(const bus::bus_status& status)
{
    return uplink::bus_health{
        .id = status.id,
        .open = status.open,
        .rejected_frames = status.rejected_frames,
        .late_answers = status.late_answers,
        .timeouts = status.timeouts,
        .port_errors = status.port_errors,
        .dropped_bytes = status.dropped_bytes,
    };
}

} // namespace

void app::publish_health()
{
    const auto now_steady = std::chrono::steady_clock::now();
    const auto stats = outbox_->read_stats();

    uplink::health_snapshot snapshot;
    snapshot.ts_ms = bus::wall_clock_now_ms();
    snapshot.uptime_s =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now_steady - started_steady_).count());
    snapshot.version = version();
    snapshot.clock_trusted = bus::wall_clock_trusted();
    snapshot.telemetry = to_lane_queue(stats.telemetry);
    snapshot.event = to_lane_queue(stats.event);
    if (stats.oldest_unsent_ms != 0 && snapshot.ts_ms >= stats.oldest_unsent_ms)
        snapshot.oldest_unsent_age_s = static_cast<std::uint64_t>((snapshot.ts_ms - stats.oldest_unsent_ms) / 1000);
    snapshot.readings_accepted = stats.accepted;
    snapshot.readings_sent = stats.sent;
    snapshot.readings_evicted = stats.evicted;

    const auto acked = forwarder_->stats().acknowledged;
    const double elapsed_s = std::chrono::duration<double>(now_steady - last_health_at_).count();
    if (elapsed_s > 0)
        snapshot.publish_rate_per_s = static_cast<double>(acked - last_health_acked_) / elapsed_s;
    last_health_acked_ = acked;
    snapshot.reconnects = uplink_->stats().reconnects;

    std::error_code error;
    const auto space = std::filesystem::space(config_.gateway.data_dir, error);
    if (!error)
        snapshot.disk_free_bytes = space.available;

    for (const auto& device : devices_->device_states())
        snapshot.devices.push_back(to_device_health(device));
    for (const auto& bus : devices_->bus_states())
        snapshot.buses.push_back(to_bus_health(bus));
    if (!config_.dtu.listen.empty()) {
        const auto c = dtus_->counters();
        snapshot.dtu = uplink::dtu_health{c.attached, c.registered, c.replaced, c.rejected, c.timed_out, c.over_limit};
    }

    if (!uplink_->connected())
        return;
    if (const auto sent = uplink_->publish_health(uplink::to_json(snapshot)); sent)
        spdlog::warn("gateway {}: publishing health failed: {}", config_.gateway.id, sent.message());
}

} // namespace citygate::daemon
