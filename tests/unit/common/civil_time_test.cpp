// Calendar fields from Unix milliseconds, past 2038 included. Run under
// qemu-arm on Debian 12 armhf, whose time_t is 32 bits, these cases prove
// that no step goes through time_t. Expected fields: `date -u -d @SECONDS`.

#include "protocols/common/civil_time.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <string>

using citygate::proto::civil_time;
using citygate::proto::civil_time_of;
using citygate::proto::local_civil_time_of;
using citygate::proto::local_utc_offset;
using citygate::proto::max_civil_unix_ms;
using std::chrono::hours;
using std::chrono::seconds;

namespace {

// Sets TZ for one test and restores the previous value after it.
class scoped_tz {
public:
    explicit scoped_tz(const char* tz)
    {
        if (const char* old = std::getenv("TZ"); old != nullptr)
            saved_ = old;
        ::setenv("TZ", tz, 1);
        ::tzset();
    }
    ~scoped_tz()
    {
        if (saved_.empty())
            ::unsetenv("TZ");
        else
            ::setenv("TZ", saved_.c_str(), 1);
        ::tzset();
    }
    scoped_tz(const scoped_tz&) = delete;
    scoped_tz& operator=(const scoped_tz&) = delete;

private:
    std::string saved_;
};

constexpr std::int64_t last_32bit_second_ms = 2147483647000;   // 2038-01-19 03:14:07 UTC
constexpr std::int64_t year_2040_ms = 2208988800000;           // 2040-01-01 00:00:00 UTC
constexpr std::int64_t year_2100_ms = 4102444800000;           // 2100-01-01 00:00:00 UTC
constexpr std::int64_t leap_day_2096_ms = 3981398399999;       // 2096-02-29 23:59:59.999 UTC

} // namespace

TEST_CASE("civil time of the epoch")
{
    CHECK(civil_time_of(0, seconds{0}) == civil_time{1970, 1, 1, 0, 0, 0});
}

TEST_CASE("civil time at the last 32-bit second and one past it")
{
    CHECK(civil_time_of(last_32bit_second_ms, seconds{0}) == civil_time{2038, 1, 19, 3, 14, 7});
    CHECK(civil_time_of(last_32bit_second_ms + 1000, seconds{0}) == civil_time{2038, 1, 19, 3, 14, 8});
}

TEST_CASE("civil time in 2040 and 2100")
{
    CHECK(civil_time_of(year_2040_ms, seconds{0}) == civil_time{2040, 1, 1, 0, 0, 0});
    CHECK(civil_time_of(year_2100_ms, seconds{0}) == civil_time{2100, 1, 1, 0, 0, 0});
    CHECK(civil_time_of(year_2100_ms - 1, seconds{0}) == civil_time{2099, 12, 31, 23, 59, 59});
}

TEST_CASE("civil time drops milliseconds and keeps leap days")
{
    CHECK(civil_time_of(leap_day_2096_ms, seconds{0}) == civil_time{2096, 2, 29, 23, 59, 59});
    CHECK(civil_time_of(leap_day_2096_ms + 1, seconds{0}) == civil_time{2096, 3, 1, 0, 0, 0});
}

TEST_CASE("civil time applies the offset across a day boundary")
{
    CHECK(civil_time_of(year_2100_ms, hours{8}) == civil_time{2100, 1, 1, 8, 0, 0});
    CHECK(civil_time_of(year_2100_ms, hours{-1}) == civil_time{2099, 12, 31, 23, 0, 0});
    CHECK(civil_time_of(year_2040_ms - 1000, hours{8}) == civil_time{2040, 1, 1, 7, 59, 59});
}

TEST_CASE("civil time rejects moments out of range")
{
    CHECK_FALSE(civil_time_of(-1, seconds{0}));
    CHECK_FALSE(civil_time_of(0, hours{-1}));
    CHECK_FALSE(civil_time_of(max_civil_unix_ms + 1, seconds{0}));
    CHECK_FALSE(civil_time_of(max_civil_unix_ms, hours{1}));
    CHECK_FALSE(civil_time_of(year_2040_ms, hours{24 * 8}));
    CHECK(civil_time_of(max_civil_unix_ms, seconds{0}) == civil_time{9999, 12, 31, 23, 59, 59});
}

TEST_CASE("local time offset of a fixed zone past 2038")
{
    scoped_tz tz("CST-8");

    CHECK(local_utc_offset(year_2040_ms) == seconds{8 * 3600});
    CHECK(local_utc_offset(year_2100_ms) == seconds{8 * 3600});
    CHECK(local_civil_time_of(year_2040_ms) == civil_time{2040, 1, 1, 8, 0, 0});
    CHECK(local_civil_time_of(year_2100_ms) == civil_time{2100, 1, 1, 8, 0, 0});
}

TEST_CASE("local time offset follows DST where time_t reaches")
{
    // Central European rules: UTC+1 in winter, UTC+2 from the last Sunday
    // of March to the last Sunday of October.
    scoped_tz tz("CET-1CEST,M3.5.0,M10.5.0/3");
    constexpr std::int64_t july_2037_ms = 2130451200000; // 2037-07-06 00:00:00 UTC

    CHECK(local_utc_offset(year_2040_ms - 2 * 365 * 86400000LL) == seconds{3600});
    CHECK(local_utc_offset(july_2037_ms) == seconds{7200});

    // A 32-bit time_t ends in January 2038, so July 2040 gets the winter
    // offset in force then: the documented limit of local_utc_offset.
    constexpr std::int64_t july_2040_ms = 2225145600000; // 2040-07-06 00:00:00 UTC
    const seconds expected_2040{sizeof(std::time_t) >= 8 ? 7200 : 3600};
    CHECK(local_utc_offset(july_2040_ms) == expected_2040);
}
