#pragma once
// Calendar fields from Unix milliseconds with 64-bit arithmetic only, so
// dates past 2038-01-19 work on targets whose time_t is 32 bits (Debian 12
// armhf), where localtime_r cannot take them.

#include <chrono>
#include <cstdint>
#include <optional>

namespace citygate::proto {

// Date and time of day in the proleptic Gregorian calendar.
struct civil_time {
    int year = 1970;
    int month = 1; // 1-12
    int day = 1;   // 1-31
    int hour = 0;
    int minute = 0;
    int second = 0;

    friend bool operator==(const civil_time&, const civil_time&) = default;
};

// Last millisecond that civil_time_of accepts: 9999-12-31 23:59:59.999 UTC.
inline constexpr std::int64_t max_civil_unix_ms = 253402300799999;

// Fields of `unix_ms + utc_offset`. std::nullopt when unix_ms is negative or
// past max_civil_unix_ms, or the offset moves it out of years 1970-9999.
std::optional<civil_time> civil_time_of(std::int64_t unix_ms, std::chrono::seconds utc_offset);

// UTC offset of the local time zone (TZ, else /etc/localtime) at unix_ms, from
// localtime_r. Where time_t cannot hold unix_ms, the offset at the last second
// it can hold. std::nullopt when localtime_r fails.
std::optional<std::chrono::seconds> local_utc_offset(std::int64_t unix_ms);

// civil_time_of(unix_ms, local_utc_offset(unix_ms)).
std::optional<civil_time> local_civil_time_of(std::int64_t unix_ms);

} // namespace citygate::proto
