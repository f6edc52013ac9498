// bus_poller against an in-memory bus on a real io_context. Timing checks
// are lower bounds from recorded steady-clock timestamps (a timer never
// fires early); upper bounds would depend on the machine's load.

#include "gateway/bus/wall_clock.hpp"
#include "tests/unit/bus/poller_bench.hpp"

#include <doctest/doctest.h>

namespace citygate::bus::test {

TEST_CASE("bus_poller runs one transaction at a time with the inter-frame gap")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return answer(q, "7", milliseconds{2}); };
    for (const auto* address : {"1", "2", "3", "4"})
        b.add(meter(address, milliseconds{10}));
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return b.wire->writes.size() >= 40; }));

    CHECK(b.wire->overlapping_requests == 0);
    CHECK(b.wire->gaps_before_writes.size() == b.wire->writes.size() - 1);
    for (const auto gap : b.wire->gaps_before_writes)
        CHECK(gap >= b.poller.bus().inter_frame_gap);
    for (const auto* id : {"m1", "m2", "m3", "m4"})
        CHECK(b.readings_of(id) >= 5);
    CHECK(b.wire->discards == static_cast<int>(b.wire->writes.size()));
}

TEST_CASE("bus_poller reading carries values and wall-clock time")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return answer(q, "1234"); };
    b.add(meter("7"));
    b.poller.start();

    const auto before = wall_clock_now_ms();
    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));

    const auto& r = b.readings.front();
    CHECK(r.device_id == "m7");
    CHECK(r.lane == lane::telemetry);
    CHECK(r.ts_ms >= before);
    CHECK(r.clock_trusted);
    REQUIRE(r.values.size() == 1);
    CHECK(r.values[0].metric == "volume");
    CHECK(r.values[0].unit == "m3");
    CHECK(std::get<double>(r.values[0].value) == 1234.0);
}

TEST_CASE("bus_poller retries after a timeout and succeeds")
{
    bench b(fast_bus(2));
    int requests = 0;
    b.wire->responder = [&](const std::string& q) {
        return ++requests == 1 ? std::vector<chunk>{} : answer(q, "5");
    };
    b.add(meter("1", milliseconds{60000}));
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));

    CHECK(b.wire->writes.size() == 2);
    CHECK(b.wire->gaps_before_writes.at(0) >= b.poller.bus().inter_frame_gap);
    const auto s = b.status("m1");
    CHECK(s.polls == 1);
    CHECK(s.failures == 0);
    CHECK(s.state == device_state::online);
    CHECK(s.last_error.empty());
}

TEST_CASE("bus_poller poll_now reports attempts and raw bytes")
{
    bench b(fast_bus(2));
    int requests = 0;
    b.wire->responder = [&](const std::string& q) {
        return ++requests <= 2 ? std::vector<chunk>{} : answer(q, "42");
    };
    b.add(meter("9", milliseconds{60000}));
    b.poller.start();

    const auto [error, result] = b.read("m9");

    CHECK_FALSE(error);
    REQUIRE(result.exchanges.size() == 1);
    CHECK(result.exchanges[0].attempts >= 1);
    CHECK(text_of(result.exchanges[0].request) == "Q9");
    CHECK(text_of(result.exchanges[0].response) == "A9:42\n");
    REQUIRE(result.answer.values.size() == 1);
    CHECK(std::get<double>(result.answer.values[0].value) == 42.0);
}

TEST_CASE("bus_poller on-demand read stores reading")
{
    // The scheduled first poll gets 1, the on-demand read 77.
    bench b;
    int requests = 0;
    b.wire->responder = [&](const std::string& q) { return answer(q, ++requests == 1 ? "1" : "77"); };
    b.add(meter("5", milliseconds{60000}));
    b.poller.start();

    const auto [error, result] = b.read("m5");
    REQUIRE(run_until(b.io, [&] { return b.readings.size() == 2; }));

    CHECK_FALSE(error);
    REQUIRE(result.answer.values.size() == 1);
    CHECK(std::get<double>(result.answer.values[0].value) == 77.0);
    REQUIRE(b.readings.back().values.size() == 1);
    CHECK(std::get<double>(b.readings.back().values[0].value) == 77.0);
}

TEST_CASE("bus_poller gives up after all retries with a timeout")
{
    bench b(fast_bus(2));
    b.add(meter("1", milliseconds{60000}));
    b.poller.start();

    const auto [error, result] = b.read("m1");

    // The scheduled poll runs first; the on-demand one after it.
    CHECK(error == bus_error::timeout);
    REQUIRE(result.exchanges.size() == 1);
    CHECK(result.exchanges[0].attempts == 3);
    CHECK(result.error_detail.find("no answer within 150 ms") != std::string::npos);
    CHECK(b.wire->count_writes("Q1") == 6);
    // Only the scheduled poll counts: an on-demand read reports to its caller.
    CHECK(b.status("m1").failures == 1);
    CHECK(b.status("m1").consecutive_failures == 1);
}

TEST_CASE("bus_poller on-demand read failure keeps device state")
{
    bench b;
    bool silent = false;
    b.wire->responder = [&](const std::string& q) { return silent ? std::vector<chunk>{} : answer(q, "1"); };
    b.add(meter("1", milliseconds{60000}, 2));
    b.poller.start();
    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));

    silent = true;
    for (int i = 0; i < 3; ++i) {
        const auto [error, result] = b.read("m1");
        CHECK(error == bus_error::timeout);
        CHECK(result.error_detail.starts_with("no answer within"));
    }

    const auto s = b.status("m1");
    CHECK(s.state == device_state::online);
    CHECK(s.consecutive_failures == 0);
    CHECK(s.failures == 0);
    CHECK(s.polls == 1);
    CHECK(s.last_error.empty());
    CHECK(b.states_of("m1") == std::vector<std::string>{"online"});
}

TEST_CASE("bus_poller marks a device offline and online once each")
{
    bench b;
    int requests = 0;
    b.wire->responder = [&](const std::string& q) {
        return ++requests <= 5 ? std::vector<chunk>{} : answer(q, "1");
    };
    b.add(meter("1", milliseconds{5}, 3));
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return b.readings.size() >= 3; }));

    CHECK(b.states_of("m1") == std::vector<std::string>{"offline", "online"});

    const auto& offline = b.events.front();
    CHECK(offline.lane == lane::event);
    REQUIRE(offline.values.size() == 2);
    CHECK(offline.values[1].metric == "last_error");
    CHECK(std::get<interned_string>(offline.values[1].value).str().find("no answer") != std::string::npos);

    const auto s = b.status("m1");
    CHECK(s.state == device_state::online);
    CHECK(s.failures == 5);
    CHECK(s.consecutive_failures == 0);
    CHECK(s.last_reading_ms > 0);
}

TEST_CASE("bus_poller first success from unknown emits online")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return answer(q, "1"); };
    b.add(meter("1", milliseconds{5}));
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return b.readings.size() >= 4; }));

    CHECK(b.states_of("m1") == std::vector<std::string>{"online"});
}

TEST_CASE("bus_poller backs off the schedule while offline")
{
    auto bus = fast_bus();
    bus.response_timeout = milliseconds{2};
    auto options = fast_options();
    options.offline_backoff_factor_max = 8;
    bench b(bus, options);
    const auto interval = milliseconds{10};
    b.add(meter("1", interval, 1));
    const auto started = steady::now();
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return b.wire->writes.size() >= 6; }));

    // Offline after the first failure: the schedule doubles to 20, 40, 80 ms
    // and stays at the cap of 8 intervals. Each poll is due that long after
    // the previous one was due (not after it ran, so load does not make the
    // schedule drift), hence the bound on the time since start.
    const auto& w = b.wire->writes;
    const milliseconds steps[] = {interval * 2, interval * 4, interval * 8, interval * 8, interval * 8};
    auto due = milliseconds{0};
    for (std::size_t i = 0; i < std::size(steps); ++i) {
        due += steps[i];
        CAPTURE(i);
        CHECK(w[i + 1].at - started >= due);
    }
    CHECK(b.states_of("m1") == std::vector<std::string>{"offline"});
    CHECK(b.status("m1").consecutive_failures >= 5);
}

TEST_CASE("bus_poller rejects garbage and keeps polling other devices")
{
    bench b;
    b.wire->responder = [](const std::string& q) {
        if (q == "Q2")
            return std::vector<chunk>{{milliseconds{1}, bytes_of("XYZ\n")}};
        if (q == "Q3")
            return std::vector<chunk>{{milliseconds{1}, bytes_of("A3:abc\n")}};
        return answer(q, "8");
    };
    for (const auto* address : {"1", "2", "3"})
        b.add(meter(address, milliseconds{10}));
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return b.readings_of("m1") >= 5; }));

    const auto [error, result] = b.read("m2");
    CHECK(error == bus_error::decode_failed);
    CHECK(result.error_detail == "invalid answer: answer does not start with 'A'");
    // Everything received in the attempt, for `citygate read` to show.
    REQUIRE(result.exchanges.size() == 1);
    CHECK(text_of(result.exchanges[0].response) == "XYZ\n");

    const auto [error3, result3] = b.read("m3");
    CHECK(error3 == bus_error::decode_failed);
    CHECK(result3.error_detail == "invalid answer: value is not a number");

    CHECK(b.readings_of("m2") == 0);
    CHECK(b.status("m2").rejected_frames >= 2);
    // The on-demand read's frame counts as rejected, but the read is no poll.
    CHECK(b.status("m2").rejected_frames == b.status("m2").polls + 1);
    CHECK(b.status("m2").last_error == "invalid answer: answer does not start with 'A'");
    CHECK(b.status("m1").state == device_state::online);
    CHECK(b.status("m1").rejected_frames == 0);
}

TEST_CASE("bus_poller assembles an answer split at every byte")
{
    const std::string frame = "A5:31337\n";
    for (std::size_t split = 1; split < frame.size(); ++split) {
        CAPTURE(split);
        bench b;
        b.wire->responder = [&](const std::string&) {
            return std::vector<chunk>{{milliseconds{1}, bytes_of(frame.substr(0, split))},
                                      {milliseconds{1}, bytes_of(frame.substr(split))}};
        };
        b.add(meter("5", milliseconds{60000}));
        b.poller.start();

        REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));
        CHECK(std::get<double>(b.readings.front().values[0].value) == 31337.0);
        CHECK(b.wire->writes.size() == 1);
    }
}

TEST_CASE("bus_poller reads a long answer in several reads")
{
    // 306 bytes in one chunk take several reads, and the short response
    // that follows must not keep bytes of the long one.
    const auto long_frame = "A5:" + std::string(300, '0') + "42\n";
    std::string frame = long_frame;
    bench b;
    b.wire->responder = [&](const std::string&) { return std::vector<chunk>{{milliseconds{1}, bytes_of(frame)}}; };
    b.add(meter("5", milliseconds{60000}));
    b.poller.start();

    for (int poll = 0; poll < 2; ++poll) {
        CAPTURE(poll);
        const auto [error, result] = b.read("m5");
        CHECK_FALSE(error);
        REQUIRE(result.exchanges.size() == 1);
        CHECK(text_of(result.exchanges[0].response) == long_frame);
        REQUIRE(result.answer.values.size() == 1);
        CHECK(std::get<double>(result.answer.values[0].value) == 42.0);
    }

    frame = "A5:7\n";
    const auto [error, result] = b.read("m5");
    CHECK_FALSE(error);
    REQUIRE(result.exchanges.size() == 1);
    CHECK(text_of(result.exchanges[0].response) == "A5:7\n");
}

TEST_CASE("bus_poller reports the bytes of an incomplete answer")
{
    bench b;
    b.wire->responder = [](const std::string&) { return std::vector<chunk>{{milliseconds{1}, bytes_of("A5:123")}}; };
    b.add(meter("5", milliseconds{60000}));
    b.poller.start();

    const auto [error, result] = b.read("m5");
    CHECK(error == bus_error::timeout);
    REQUIRE(result.exchanges.size() == 1);
    CHECK(text_of(result.exchanges[0].response) == "A5:123");
    CHECK(result.error_detail == "incomplete answer (6 bytes) within 150 ms");
}

TEST_CASE("bus_poller rejects an endless answer")
{
    auto options = fast_options();
    options.max_answer_bytes = 32;
    bench b(fast_bus(), options);
    b.wire->responder = [](const std::string&) {
        return std::vector<chunk>{{milliseconds{1}, bytes_of("A1:" + std::string(64, '1'))}};
    };
    b.add(meter("1", milliseconds{60000}));
    b.poller.start();

    const auto [error, result] = b.read("m1");
    CHECK(error == bus_error::answer_too_long);
    CHECK(b.status("m1").rejected_frames == 2);
}

TEST_CASE("bus_poller emits alarms on the event lane when they change")
{
    bench b;
    int requests = 0;
    b.wire->responder = [&](const std::string& q) {
        ++requests;
        // Alarm on polls 1-3, clear on 4, alarm again from 5.
        return answer(q, requests <= 3 || requests >= 5 ? "10!" : "10");
    };
    b.add(meter("1", milliseconds{5}));
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return b.readings.size() >= 7; }));

    std::size_t alarms = 0;
    for (const auto& e : b.events)
        alarms += e.values.front().metric == "leak" ? 1 : 0;
    CHECK(alarms == 2);
    CHECK(b.readings.size() >= 7);
}

TEST_CASE("bus_poller queues poll_now behind due polls")
{
    auto options = fast_options();
    options.first_poll_stagger = milliseconds{0};
    bench b(fast_bus(), options);
    b.wire->responder = [](const std::string& q) { return answer(q, "1", milliseconds{5}); };
    for (const auto* address : {"1", "2", "3"})
        b.add(meter(address, milliseconds{60000}));
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return b.wire->writes.size() == 1; }));

    const auto [error, result] = b.read("m3");
    CHECK_FALSE(error);

    std::vector<std::string> order;
    for (const auto& w : b.wire->writes)
        order.push_back(w.request);
    CHECK(order == std::vector<std::string>{"Q1", "Q2", "Q3", "Q3"});
    CHECK(b.wire->overlapping_requests == 0);
}

TEST_CASE("bus_poller poll_now of an unknown device")
{
    bench b;
    b.poller.start();
    const auto [error, result] = b.read("nope");
    CHECK(error == bus_error::device_unknown);
    CHECK(result.device_id == "nope");
}

TEST_CASE("bus_poller poll_now rejects a full queue")
{
    auto options = fast_options();
    options.max_queued_requests = 2;
    bench b(fast_bus(), options);
    b.add(meter("1", milliseconds{60000}));

    std::vector<std::error_code> results;
    for (int i = 0; i < 3; ++i)
        b.poller.poll_now("m1", [&](std::error_code ec, poll_result) { results.push_back(ec); });
    REQUIRE(run_until(b.io, [&] { return results.size() == 1; }));
    CHECK(results[0] == bus_error::queue_full);
}

TEST_CASE("bus_poller remove_device during a transaction")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return answer(q, "3", milliseconds{10}); };
    b.add(meter("1", milliseconds{60000}));
    b.add(meter("2", milliseconds{20}));
    b.poller.start();

    std::optional<std::error_code> removed_result;
    b.poller.poll_now("m1", [&](std::error_code ec, poll_result) { removed_result = ec; });
    REQUIRE(run_until(b.io, [&] { return b.wire->count_writes("Q1") == 1; }));

    CHECK(b.poller.remove_device("m1"));
    CHECK_FALSE(b.poller.has_device("m1"));
    REQUIRE(run_until(b.io, [&] { return removed_result.has_value(); }));
    CHECK(*removed_result == bus_error::device_removed);

    REQUIRE(run_until(b.io, [&] { return b.readings_of("m2") >= 3; }));
    CHECK(b.readings_of("m1") == 0);
    CHECK(b.wire->count_writes("Q1") == 1);
    CHECK(b.wire->overlapping_requests == 0);
    CHECK_FALSE(b.poller.remove_device("m1"));
}

TEST_CASE("bus_poller stop abandons the transaction")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return answer(q, "3", milliseconds{10}); };
    b.add(meter("1", milliseconds{60000}));
    b.poller.start();

    std::vector<std::error_code> results;
    b.poller.poll_now("m1", [&](std::error_code ec, poll_result) { results.push_back(ec); });
    b.poller.poll_now("m1", [&](std::error_code ec, poll_result) { results.push_back(ec); });
    REQUIRE(run_until(b.io, [&] { return b.wire->writes.size() == 1; }));

    b.poller.stop();
    REQUIRE(run_until(b.io, [&] { return results.size() == 2; }));
    CHECK(results[0] == bus_error::stopped);
    CHECK(results[1] == bus_error::stopped);

    b.io.run_for(milliseconds{30});
    CHECK(b.wire->writes.size() == 1);
    CHECK(b.readings.empty());
}

TEST_CASE("bus_poller reopens the port after a read error")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return answer(q, "6"); };
    b.wire->fail_next_read = std::make_error_code(std::errc::no_such_device);
    b.add(meter("1", milliseconds{10}));
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));

    CHECK(b.wire->opens == 2);
    const auto s = b.status("m1");
    CHECK(s.failures >= 1);
    CHECK(s.state == device_state::online);
}

TEST_CASE("bus_poller reopens the port after each read error")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return answer(q, "6"); };
    b.wire->fail_next_read = std::make_error_code(std::errc::no_such_device);
    b.add(meter("1", milliseconds{10}));
    b.poller.start();
    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));

    // The second failure comes after a good open, which freed the reopen timer.
    b.wire->fail_next_read = std::make_error_code(std::errc::no_such_device);
    REQUIRE(run_until(b.io, [&] { return b.wire->opens == 3; }));
    const auto before = b.readings.size();
    REQUIRE(run_until(b.io, [&] { return b.readings.size() > before; }));
    CHECK(b.status("m1").state == device_state::online);
}

TEST_CASE("bus_poller fails polls fast while the port cannot open")
{
    bench b;
    b.wire->fail_open = true;
    b.wire->responder = [](const std::string& q) { return answer(q, "6"); };
    b.add(meter("1", milliseconds{5}, 2));
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return b.wire->opens >= 3; }));
    CHECK(b.wire->writes.empty());
    CHECK(b.status("m1").state == device_state::offline);
    CHECK(b.status("m1").last_error == "bus port fake bus is closed");

    b.wire->fail_open = false;
    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));
    CHECK(b.states_of("m1") == std::vector<std::string>{"offline", "online"});
}

TEST_CASE("bus_poller jobs wait for a slow open")
{
    bench b;
    b.wire->defer_open = true;
    b.wire->responder = [](const std::string& q) { return answer(q, "6"); };
    b.add(meter("1", milliseconds{60000}));
    b.poller.start();

    std::optional<std::error_code> result;
    b.poller.poll_now("m1", [&](std::error_code ec, poll_result) { result = ec; });
    run_for(b.io, milliseconds{50});
    CHECK_FALSE(result.has_value()); // waiting for the open, within the response timeout

    b.wire->finish_open();
    REQUIRE(run_until(b.io, [&] { return result.has_value(); }));
    CHECK_FALSE(*result);
    CHECK(b.wire->opens == 1);
}

TEST_CASE("bus_poller fails jobs after one response timeout of waiting for an open")
{
    bench b;
    b.wire->defer_open = true;
    b.add(meter("1", milliseconds{60000}));
    b.poller.start();

    std::optional<std::error_code> result;
    const auto started = steady::now();
    b.poller.poll_now("m1", [&](std::error_code ec, poll_result) { result = ec; });
    REQUIRE(run_until(b.io, [&] { return result.has_value(); }));
    CHECK(*result == bus_error::transport_closed);
    CHECK(steady::now() - started >= fast_bus().response_timeout);

    // The open is still pending: later jobs fail at once instead of waiting again.
    result.reset();
    const auto second = steady::now();
    b.poller.poll_now("m1", [&](std::error_code ec, poll_result) { result = ec; });
    REQUIRE(run_until(b.io, [&] { return result.has_value(); }));
    CHECK(*result == bus_error::transport_closed);
    CHECK(steady::now() - second < fast_bus().response_timeout);
    CHECK(b.wire->opens == 1);
}

TEST_CASE("bus_poller reopens a port that closed on its own")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return answer(q, "6"); };
    b.add(meter("1", milliseconds{60000}));
    b.poller.start();
    REQUIRE(run_until(b.io, [&] { return b.readings.size() == 1; }));

    // The link drops while the bus is idle: no read or write fails.
    b.wire->drop_link = true;
    b.wire->defer_open = true;
    std::optional<std::error_code> result;
    b.poller.poll_now("m1", [&](std::error_code ec, poll_result) { result = ec; });
    REQUIRE(run_until(b.io, [&] { return b.wire->opens == 2; }));

    b.wire->drop_link = false;
    b.wire->finish_open();
    REQUIRE(run_until(b.io, [&] { return result.has_value(); }));
    CHECK_FALSE(*result);
    CHECK(b.readings.size() == 2);
}

} // namespace citygate::bus::test
