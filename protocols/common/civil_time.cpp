#include "protocols/common/civil_time.hpp"

#include <algorithm>
#include <ctime>
#include <limits>

namespace citygate::proto {

namespace {

constexpr std::int64_t ms_per_second = 1000;
constexpr std::int64_t seconds_per_day = 86400;

// Division rounding towards minus infinity, so a negative offset that moves
// a moment before midnight lands on the previous day.
constexpr std::int64_t floor_div(std::int64_t value, std::int64_t divisor)
{
    const std::int64_t quotient = value / divisor;
    return (value % divisor < 0) ? quotient - 1 : quotient;
}

} // namespace

std::optional<civil_time> civil_time_of(std::int64_t unix_ms, std::chrono::seconds utc_offset)
{
    // A bounded input keeps the sum below and the day count inside the range
    // of std::chrono::year (-32767..32767).
    constexpr std::int64_t max_offset_s = 7 * seconds_per_day;
    if (unix_ms < 0 || unix_ms > max_civil_unix_ms || utc_offset.count() < -max_offset_s ||
        utc_offset.count() > max_offset_s)
        return std::nullopt;

    const std::int64_t seconds = floor_div(unix_ms, ms_per_second) + utc_offset.count();
    const std::int64_t days = floor_div(seconds, seconds_per_day);
    const std::int64_t second_of_day = seconds - days * seconds_per_day;

    const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
    const int year = static_cast<int>(date.year());
    if (year < 1970 || year > 9999)
        return std::nullopt;

    civil_time out;
    out.year = year;
    out.month = static_cast<int>(static_cast<unsigned>(date.month()));
    out.day = static_cast<int>(static_cast<unsigned>(date.day()));
    out.hour = static_cast<int>(second_of_day / 3600);
    out.minute = static_cast<int>(second_of_day % 3600 / 60);
    out.second = static_cast<int>(second_of_day % 60);
    return out;
}

std::optional<std::chrono::seconds> local_utc_offset(std::int64_t unix_ms)
{
    using time_limits = std::numeric_limits<std::time_t>;
    const std::int64_t seconds = floor_div(unix_ms, ms_per_second);

    // NOTE: with a 32-bit time_t, moments past 2038-01-19 03:14:07 UTC get the
    // offset in force at that second, so DST rules after 2038 are not applied.
    // China Standard Time has had no DST since 1991, so UTC+8 stays exact.
    const auto probe = static_cast<std::time_t>(std::clamp<std::int64_t>(
        seconds, static_cast<std::int64_t>(time_limits::min()), static_cast<std::int64_t>(time_limits::max())));

    std::tm fields{};
    if (::localtime_r(&probe, &fields) == nullptr)
        return std::nullopt;
    return std::chrono::seconds{fields.tm_gmtoff};
}

std::optional<civil_time> local_civil_time_of(std::int64_t unix_ms)
{
    const auto offset = local_utc_offset(unix_ms);
    if (!offset)
        return std::nullopt;
    return civil_time_of(unix_ms, *offset);
}

} // namespace citygate::proto
