// Polls of several exchanges, device commands and bus-wide exchanges on the
// in-memory bus: how steps are merged, when a poll stops early, and what the
// bus counters record.

#include "tests/unit/bus/poller_bench.hpp"

#include <doctest/doctest.h>

namespace citygate::bus::test {

namespace {

void add_stepped(bench& b, std::string address, std::size_t steps, milliseconds interval = milliseconds{60000})
{
    auto spec = meter(address, interval);
    b.poller.add_device(spec, std::make_unique<fake_codec>(std::move(address), steps));
}

std::vector<std::string> requests_of(const wire_log& wire)
{
    std::vector<std::string> out;
    for (const auto& w : wire.writes)
        out.push_back(w.request);
    return out;
}

std::pair<std::error_code, poll_result> run_command(bench& b, std::string_view id, std::string_view name,
                                                    std::string_view value)
{
    std::optional<std::pair<std::error_code, poll_result>> out;
    b.poller.command_now(id, name, value, [&](std::error_code ec, poll_result r) { out.emplace(ec, std::move(r)); });
    REQUIRE(run_until(b.io, [&] { return out.has_value(); }));
    return *out;
}

std::pair<std::error_code, poll_result> run_exchange(bench& b, drivers::exchange exchange)
{
    std::optional<std::pair<std::error_code, poll_result>> out;
    b.poller.transact(std::move(exchange), [&](std::error_code ec, poll_result r) { out.emplace(ec, std::move(r)); });
    REQUIRE(run_until(b.io, [&] { return out.has_value(); }));
    return *out;
}

} // namespace

TEST_CASE("poll steps run back to back into one reading")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return answer(q, "7"); };
    add_stepped(b, "5", 3);
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));

    CHECK(requests_of(*b.wire) == std::vector<std::string>{"Q5", "Q5.1", "Q5.2"});
    REQUIRE(b.readings.size() == 1);
    const auto& values = b.readings[0].values;
    REQUIRE(values.size() == 3);
    CHECK(values[0].metric == "volume");
    CHECK(values[1].metric == "volume1");
    CHECK(values[2].metric == "volume2");
    CHECK(b.status("m5").polls == 1);
    for (const auto gap : b.wire->gaps_before_writes)
        CHECK(gap >= b.poller.bus().inter_frame_gap);
}

TEST_CASE("poll step with a rejected answer keeps the other steps")
{
    bench b;
    b.wire->responder = [](const std::string& q) {
        return q == "Q5.1" ? std::vector<chunk>{{milliseconds{1}, bytes_of("garbage\n")}} : answer(q, "7");
    };
    add_stepped(b, "5", 3);
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));

    CHECK(requests_of(*b.wire) == std::vector<std::string>{"Q5", "Q5.1", "Q5.2"});
    REQUIRE(b.readings[0].values.size() == 2);
    CHECK(b.readings[0].values[1].metric == "volume2");
    const auto s = b.status("m5");
    CHECK(s.state == device_state::online);
    CHECK(s.failures == 0);
    CHECK(s.rejected_frames == 1);
    CHECK(s.last_error == "step 2 of 3: invalid answer: answer does not start with 'A'");
    CHECK(b.poller.status().rejected_frames == 1);
}

TEST_CASE("poll refused by the device is not retried")
{
    bench b(fast_bus(2));
    b.wire->responder = [](const std::string&) { return std::vector<chunk>{{milliseconds{1}, bytes_of("R5\n")}}; };
    b.poller.add_device(meter("5", milliseconds{10}, 2), std::make_unique<fake_codec>("5", 1));
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return b.status("m5").polls >= 4; }));

    const auto s = b.status("m5");
    CHECK(b.wire->count_writes("Q5") == s.polls);
    CHECK(s.state == device_state::online);
    CHECK(s.consecutive_failures == 0);
    CHECK(s.rejected_frames == 0);
    CHECK(s.last_error == "device refused the request");
    CHECK(b.poller.status().rejected_frames == 0);
    CHECK(b.states_of("m5") == std::vector<std::string>{"online"});
    CHECK(b.readings.empty());
}

TEST_CASE("poll step refused by the device keeps the other steps")
{
    bench b(fast_bus(2));
    b.wire->responder = [](const std::string& q) {
        return q == "Q5.1" ? std::vector<chunk>{{milliseconds{1}, bytes_of("R5.1\n")}} : answer(q, "7");
    };
    add_stepped(b, "5", 3);
    b.poller.start();

    const auto [error, result] = b.read("m5");

    CHECK_FALSE(error);
    CHECK(b.wire->count_writes("Q5.1") == 2); // the scheduled poll and the read, once each
    REQUIRE(result.exchanges.size() == 3);
    CHECK(result.exchanges[1].attempts == 1);
    CHECK(result.exchanges[1].error == "device refused the request");
    CHECK(result.answer.values.size() == 2);
    const auto s = b.status("m5");
    CHECK(s.state == device_state::online);
    CHECK(s.rejected_frames == 0);
    CHECK(s.last_error == "step 2 of 3: device refused the request");
}

TEST_CASE("device command refused by the device is not retried")
{
    bench b(fast_bus(2));
    b.wire->responder = [](const std::string& q) {
        return q.starts_with("W") ? std::vector<chunk>{{milliseconds{1}, bytes_of("R5\n")}} : answer(q, "7");
    };
    add_stepped(b, "5", 1);
    b.poller.start();

    const auto [error, result] = run_command(b, "m5", "valve", "close");

    CHECK(error == bus_error::request_refused);
    CHECK(result.error_detail == "device refused the request");
    CHECK(b.wire->count_writes("W5:valve=close") == 1);
    CHECK(b.status("m5").rejected_frames == 0);
}

TEST_CASE("poll stops after a silent first step")
{
    bench b(fast_bus(1));
    add_stepped(b, "5", 3);
    b.poller.start();

    const auto [error, result] = b.read("m5");

    CHECK(error == bus_error::timeout);
    CHECK(result.error_detail.starts_with("step 1 of 3: no answer"));
    // Scheduled poll plus on-demand poll, two attempts each, never step 2.
    CHECK(b.wire->count_writes("Q5") == 4);
    CHECK(b.wire->count_writes("Q5.1") == 0);
    CHECK(b.poller.status().timeouts == 4);
}

TEST_CASE("poll goes on after a silent later step")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return q == "Q5.1" ? std::vector<chunk>{} : answer(q, "7"); };
    add_stepped(b, "5", 3);
    b.poller.start();

    const auto [error, result] = b.read("m5");

    CHECK_FALSE(error);
    REQUIRE(result.exchanges.size() == 3);
    CHECK(result.exchanges[1].error.starts_with("no answer within"));
    CHECK(result.exchanges[2].error.empty());
    CHECK(result.answer.values.size() == 2);
}

TEST_CASE("device command is sent and its answer decoded")
{
    bench b;
    b.wire->responder = [](const std::string& q) {
        return q.starts_with("W") ? std::vector<chunk>{{milliseconds{1}, bytes_of("A5:1\n")}} : answer(q, "7");
    };
    add_stepped(b, "5", 2);
    b.poller.start();
    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));
    const auto polls_before = b.status("m5").polls;

    const auto [error, result] = run_command(b, "m5", "valve", "close");

    CHECK_FALSE(error);
    CHECK(b.wire->count_writes("W5:valve=close") == 1);
    REQUIRE(result.exchanges.size() == 1);
    CHECK(text_of(result.exchanges[0].response) == "A5:1\n");
    REQUIRE(result.answer.values.size() == 1);
    // A command is no poll: the device's poll counters stay as they were.
    CHECK(b.status("m5").polls == polls_before);
}

TEST_CASE("device command unknown to the driver is rejected before the bus")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return answer(q, "7"); };
    add_stepped(b, "5", 1);
    b.poller.start();

    const auto [unknown, unknown_result] = run_command(b, "m5", "lamp", "on");
    CHECK(unknown == bus_error::command_rejected);
    CHECK(unknown_result.error_detail == "the device has no such command");

    const auto [bad_value, bad_result] = run_command(b, "m5", "valve", "half");
    CHECK(bad_value == bus_error::command_rejected);
    CHECK(bad_result.error_detail == "invalid value \"half\" for command valve; expected open|close");

    CHECK(b.wire->count_writes("W5:valve=half") == 0);
    const auto [missing, missing_result] = run_command(b, "m9", "valve", "close");
    CHECK(missing == bus_error::device_unknown);
}

TEST_CASE("broadcast exchange completes without an answer")
{
    bench b;
    b.wire->responder = [](const std::string& q) {
        return q.starts_with("T") ? std::vector<chunk>{} : answer(q, "7");
    };
    b.poller.start();

    const auto [error, result] = run_exchange(b, drivers::exchange{bytes_of("T123"), {}});

    CHECK_FALSE(error);
    CHECK(b.wire->count_writes("T123") == 1);
    REQUIRE(result.exchanges.size() == 1);
    CHECK(result.exchanges[0].response.empty());
    CHECK(b.poller.status().timeouts == 0);
}

TEST_CASE("bus exchange with a decoder returns the answer")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return answer(q, "3"); };
    b.poller.start();
    auto decode = [](std::span<const std::uint8_t> bytes) {
        using result = proto::decode_result<drivers::poll_answer>;
        const auto text = text_of(bytes);
        if (text.find('\n') == std::string::npos)
            return result::need_more();
        return result::ok(drivers::poll_answer{{{"seen", "", text}}, {}}, bytes.size());
    };

    const auto [error, result] = run_exchange(b, drivers::exchange{bytes_of("QX"), decode});

    CHECK_FALSE(error);
    REQUIRE(result.answer.values.size() == 1);
    CHECK(std::get<interned_string>(result.answer.values[0].value) == "AX:3\n");
    CHECK(result.device_id.empty());

    // Scans address devices that may not exist, so they stay out of the
    // bus's health counters.
    CHECK(b.poller.status().exchanges == 0);
}

TEST_CASE("gap after an exchange covers 3.5 characters of a slow line")
{
    // 10 ms per byte is about 1100 baud: four characters take 40 ms, far
    // more than the configured 3 ms gap.
    bench b;
    b.wire->transmit_per_byte = std::chrono::milliseconds{10};
    b.wire->responder = [](const std::string& q) { return answer(q, "7"); };
    add_stepped(b, "5", 3);
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));

    REQUIRE(b.wire->gaps_before_writes.size() == 2);
    for (const auto gap : b.wire->gaps_before_writes)
        CHECK(gap >= milliseconds{40});
}

TEST_CASE("bus status counts exchanges and timeouts")
{
    bench b;
    b.wire->responder = [](const std::string& q) { return q == "Q2" ? std::vector<chunk>{} : answer(q, "7"); };
    b.add(meter("1", milliseconds{60000}));
    b.add(meter("2", milliseconds{60000}));
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return b.status("m2").failures == 1 && !b.readings.empty(); }));

    const auto s = b.poller.status();
    CHECK(s.id == "rs485-1");
    CHECK(s.open);
    CHECK(s.exchanges == 2);
    CHECK(s.timeouts == 1);
    CHECK(s.rejected_frames == 0);
    CHECK(s.port_errors == 0);
}

} // namespace citygate::bus::test
