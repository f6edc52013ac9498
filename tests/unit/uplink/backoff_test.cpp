#include "gateway/uplink/backoff.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

using namespace citygate::uplink;
using std::chrono::milliseconds;

TEST_CASE("backoff: delays stay within min and the doubled ceiling")
{
    reconnect_backoff backoff(milliseconds(100), milliseconds(10000), 1);

    std::int64_t ceiling = 100;
    for (int attempt = 0; attempt < 20; ++attempt) {
        const auto delay = backoff.next().count();
        CHECK(delay >= 100);
        CHECK(delay <= ceiling);
        ceiling = std::min<std::int64_t>(ceiling * 2, 10000);
    }
}

TEST_CASE("backoff: never exceeds the cap, also after many attempts")
{
    reconnect_backoff backoff(milliseconds(500), milliseconds(60000), 7);

    std::int64_t largest = 0;
    for (int attempt = 0; attempt < 1000; ++attempt) {
        const auto delay = backoff.next().count();
        CHECK(delay >= 500);
        CHECK(delay <= 60000);
        largest = std::max(largest, delay);
    }
    // With the ceiling at the cap, 1000 uniform picks come close to it.
    CHECK(largest > 50000);
}

TEST_CASE("backoff: jitter spreads the delays")
{
    reconnect_backoff backoff(milliseconds(100), milliseconds(100000), 3);
    for (int attempt = 0; attempt < 12; ++attempt)
        backoff.next();

    std::set<std::int64_t> distinct;
    for (int attempt = 0; attempt < 50; ++attempt)
        distinct.insert(backoff.next().count());
    CHECK(distinct.size() > 40);
}

TEST_CASE("backoff: reset starts over at the minimum ceiling")
{
    reconnect_backoff backoff(milliseconds(100), milliseconds(10000), 5);
    for (int attempt = 0; attempt < 10; ++attempt)
        backoff.next();

    backoff.reset();

    CHECK(backoff.next().count() == 100); // first ceiling is min itself
    CHECK(backoff.next().count() <= 200);
}

TEST_CASE("backoff: degenerate settings are clamped")
{
    reconnect_backoff zero(milliseconds(0), milliseconds(0), 1);
    CHECK(zero.min_delay().count() == 1);
    CHECK(zero.next().count() == 1);

    reconnect_backoff inverted(milliseconds(300), milliseconds(100), 1);
    CHECK(inverted.max_delay().count() == 300);
    for (int attempt = 0; attempt < 5; ++attempt)
        CHECK(inverted.next().count() == 300);
}
