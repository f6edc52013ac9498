// Reading timestamps against wall-clock steps. The poller schedules on the
// steady clock, so a step of the wall clock (NTP sync, a box without RTC
// booting in 1970) changes only the timestamps and their trusted flag.

#include "gateway/bus/wall_clock.hpp"
#include "tests/unit/bus/poller_bench.hpp"

#include <doctest/doctest.h>

namespace citygate::bus::test {

namespace {

using std::chrono::system_clock;

// Installs a wall-clock source for one test and restores system_clock after
// it, also when a REQUIRE ends the test early.
struct wall_clock_override {
    explicit wall_clock_override(wall_clock_source source) { set_wall_clock_source(std::move(source)); }
    ~wall_clock_override() { set_wall_clock_source({}); }
    wall_clock_override(const wall_clock_override&) = delete;
    wall_clock_override& operator=(const wall_clock_override&) = delete;
};

double volume_of(const reading& r)
{
    return std::get<double>(r.values.at(0).value);
}

// Answers every request with a counter that grows by one per answer, so the
// order of readings shows the order of polls.
void answer_with_counter(bench& b)
{
    b.wire->responder = [n = 0](const std::string& q) mutable { return answer(q, std::to_string(++n)); };
}

} // namespace

TEST_CASE("wall clock at build time or later is trusted")
{
    using namespace std::chrono;
    // 2024-01-01: this code did not exist before, so neither did its build.
    CHECK(wall_clock_floor() > system_clock::time_point{seconds{1704067200}});
    CHECK(wall_clock_floor() <= system_clock::now());
    CHECK(wall_clock_trusted());
}

TEST_CASE("wall clock jump backwards and forwards does not stall or reorder polling")
{
    const auto year = std::chrono::hours{24 * 365};
    auto offset = system_clock::duration{0};
    wall_clock_override clock([&] { return system_clock::now() + offset; });

    bench b;
    answer_with_counter(b);
    b.add(meter("1", milliseconds{5}));
    b.poller.start();
    REQUIRE(run_until(b.io, [&] { return b.readings.size() >= 3; }));
    CHECK(b.readings.back().clock_trusted);
    const auto before_jump_ms = b.readings.back().ts_ms;

    // A year back: a steady-clock schedule keeps polling every 5 ms, where a
    // wall-clock timer would wait a year.
    offset = -year;
    const auto before_back = b.readings.size();
    REQUIRE(run_until(b.io, [&] { return b.readings.size() >= before_back + 3; }));
    CHECK_FALSE(wall_clock_trusted());
    CHECK_FALSE(b.readings.back().clock_trusted);
    CHECK(b.readings.back().ts_ms < before_jump_ms);

    // And a year forward from the original time.
    offset = year;
    const auto before_forward = b.readings.size();
    REQUIRE(run_until(b.io, [&] { return b.readings.size() >= before_forward + 3; }));
    CHECK(b.readings.back().clock_trusted);
    CHECK(b.readings.back().ts_ms > before_jump_ms + 1000);

    // Readings leave in the order the meter answered, whatever ts_ms says.
    for (std::size_t i = 1; i < b.readings.size(); ++i) {
        CAPTURE(i);
        CHECK(volume_of(b.readings[i]) > volume_of(b.readings[i - 1]));
    }
}

TEST_CASE("untrusted clock marks readings until the wall clock is set")
{
    // A box without RTC battery boots at the epoch and counts from there.
    const auto boot = steady::now();
    bool synchronised = false;
    wall_clock_override clock([&] {
        if (synchronised)
            return system_clock::now();
        return system_clock::time_point{} +
               std::chrono::duration_cast<system_clock::duration>(steady::now() - boot);
    });

    bench b;
    answer_with_counter(b);
    b.add(meter("1", milliseconds{5}));
    b.poller.start();
    REQUIRE(run_until(b.io, [&] { return b.readings.size() >= 2; }));

    for (const auto& r : b.readings) {
        CHECK_FALSE(r.clock_trusted);
        CHECK(r.ts_ms >= 0);
        CHECK(r.ts_ms < 60 * 1000);
    }
    REQUIRE(b.states_of("m1") == std::vector<std::string>{"online"});
    CHECK_FALSE(b.events.front().clock_trusted);

    // NTP sets the clock: the next readings carry real, trusted time.
    synchronised = true;
    const auto before_sync = b.readings.size();
    REQUIRE(run_until(b.io, [&] { return b.readings.size() >= before_sync + 2; }));
    const auto floor_ms =
        std::chrono::duration_cast<milliseconds>(wall_clock_floor().time_since_epoch()).count();
    for (std::size_t i = before_sync; i < b.readings.size(); ++i) {
        CAPTURE(i);
        CHECK(b.readings[i].clock_trusted);
        CHECK(b.readings[i].ts_ms >= floor_ms);
    }
    CHECK(b.status("m1").last_reading_ms >= floor_ms);
}

} // namespace citygate::bus::test
