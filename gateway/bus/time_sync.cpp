// Broadcast time sync: every time_sync_interval, each driver on a bus that
// has a broadcast time-set frame (DL/T 645) sends it once. Meters take the
// time without checking it, so nothing is sent while the gateway's own clock
// is not known to be right.

#include "gateway/bus/bus_entry.hpp"
#include "gateway/bus/wall_clock.hpp"

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <set>

#include <sys/timex.h>

namespace citygate::bus {

bool clock_synchronised()
{
    if (!wall_clock_trusted())
        return false;
    timex state{};
    return ::adjtimex(&state) != TIME_ERROR;
}

void device_manager::start_time_sync(bus_entry& entry)
{
    if (entry.config().time_sync_interval.count() == 0)
        return;
    entry.time_sync_timer = std::make_unique<io_timer>(io_);
    arm_time_sync(entry.config().id, options_->time_sync_first);
}

void device_manager::arm_time_sync(const std::string& bus_id, milliseconds delay)
{
    auto& timer = *buses_.at(bus_id)->time_sync_timer;
    timer.expires_after(delay);
    timer.async_wait([this, bus_id](const boost::system::error_code& ec) {
        if (!ec && buses_.contains(bus_id))
            send_time_sync(bus_id);
    });
}

void device_manager::send_time_sync(const std::string& bus_id)
{
    auto& entry = *buses_.at(bus_id);
    if (!clock_check_()) {
        if (!entry.time_sync_skip_logged)
            spdlog::warn("bus {}: broadcast time sync skipped: the gateway clock is not synchronised (NTP); "
                         "checking again every {} ms",
                         bus_id, options_->time_sync_retry.count());
        entry.time_sync_skip_logged = true;
        arm_time_sync(bus_id, options_->time_sync_retry);
        return;
    }
    entry.time_sync_skip_logged = false;

    std::set<std::string> driver_names;
    for (const auto& [id, device] : entry.devices)
        driver_names.insert(device.driver);

    const auto now_ms = wall_clock_now_ms();
    for (const auto& name : driver_names) {
        const auto* driver = drivers_.find(name);
        auto frame = driver != nullptr ? driver->encode_time_sync(now_ms) : std::nullopt;
        if (!frame)
            continue;
        entry.poller->transact(drivers::exchange{std::move(*frame), {}},
                               [bus_id, name](std::error_code error, const poll_result&) {
                                   if (error)
                                       spdlog::warn("bus {}: broadcast time sync ({}) failed: {}", bus_id, name,
                                                    error.message());
                                   else
                                       spdlog::info("bus {}: broadcast time sync ({}) sent", bus_id, name);
                               });
    }
    arm_time_sync(bus_id, std::chrono::duration_cast<milliseconds>(entry.config().time_sync_interval));
}

} // namespace citygate::bus
