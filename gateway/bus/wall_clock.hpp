#pragma once
// Wall-clock time for reading timestamps, and whether it can be trusted.
// Timers never use it: the bus layer schedules on std::chrono::steady_clock,
// so an NTP step neither stalls polling nor reorders it.

#include <chrono>
#include <cstdint>
#include <functional>

namespace citygate::bus {

using wall_clock_source = std::function<std::chrono::system_clock::time_point()>;

// Current wall-clock time from the installed source (system_clock by default).
std::chrono::system_clock::time_point wall_clock_now();

// Milliseconds since the Unix epoch (UTC) from wall_clock_now().
std::int64_t wall_clock_now_ms();

// The earliest time a synchronised clock can show: the build time of this
// binary. A box without RTC battery boots in 1970 or at its last shutdown.
std::chrono::system_clock::time_point wall_clock_floor();

// True once wall_clock_now() is at or past wall_clock_floor().
bool wall_clock_trusted();

// Replaces the source (tests); an empty function restores system_clock.
// Not thread-safe: set it before the io_context runs.
void set_wall_clock_source(wall_clock_source source);

} // namespace citygate::bus
