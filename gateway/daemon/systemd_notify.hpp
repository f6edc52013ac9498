#pragma once
// sd_notify wrappers; each is a no-op when the daemon was not started by
// systemd (NOTIFY_SOCKET unset).

#include <chrono>
#include <optional>
#include <string_view>

namespace citygate::daemon {

void notify_ready();
void notify_reloading();
void notify_stopping();
void notify_status(std::string_view text);
void notify_watchdog();

// Interval at which WATCHDOG=1 must be sent (half of WatchdogSec), or
// std::nullopt when systemd does not watch this process.
std::optional<std::chrono::microseconds> watchdog_interval();

} // namespace citygate::daemon
