#include "gateway/bus/wall_clock.hpp"

#include <utility>

// Seconds since the epoch at configure time (SOURCE_DATE_EPOCH when set),
// from gateway/bus/CMakeLists.txt.
#ifndef CITYGATE_WALL_CLOCK_FLOOR_S
#error "CITYGATE_WALL_CLOCK_FLOOR_S must be defined by the build"
#endif

namespace citygate::bus {

namespace {

wall_clock_source& installed_source()
{
    static wall_clock_source source;
    return source;
}

} // namespace

std::chrono::system_clock::time_point wall_clock_now()
{
    const auto& source = installed_source();
    return source ? source() : std::chrono::system_clock::now();
}

std::int64_t wall_clock_now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(wall_clock_now().time_since_epoch()).count();
}

std::chrono::system_clock::time_point wall_clock_floor()
{
    return std::chrono::system_clock::time_point{std::chrono::seconds{CITYGATE_WALL_CLOCK_FLOOR_S}};
}

// TODO: a box that restores its last shutdown time at boot (no RTC, e.g.
// systemd-timesyncd's clock file) passes this check before NTP has synced;
// the kernel's sync status (adjtimex, STA_UNSYNC) would catch that case.
bool wall_clock_trusted()
{
    return wall_clock_now() >= wall_clock_floor();
}

void set_wall_clock_source(wall_clock_source source)
{
    installed_source() = std::move(source);
}

} // namespace citygate::bus
