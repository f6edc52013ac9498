// Late Modbus TCP replies at the bus poller: a retry of a poll or a write
// takes a new transaction id so that the reply to the previous attempt is
// skipped, and every
// skipped answer is counted in the bus's late_answers, also when the attempt
// then times out. The frames are built with modbus::encode_tcp around a
// read of one holding register (function 03), so they are derived, not
// captured.

#include "drivers/modbus/modbus_driver.hpp"
#include "protocols/modbus/tcp.hpp"
#include "tests/unit/bus/poller_bench.hpp"

#include <doctest/doctest.h>

namespace citygate::bus::test {

namespace {

constexpr std::uint8_t unit = 17;

std::unique_ptr<drivers::device_codec> modbus_tcp_codec()
{
    std::error_code error;
    auto codec = drivers::modbus_tcp_driver().make_codec({"plc-1", "17", {{"point.level", "holding 0x6B u16"}}},
                                                         error);
    REQUIRE_MESSAGE(!error, error.message());
    return codec;
}

std::uint16_t transaction_of(const std::string& request)
{
    REQUIRE(request.size() >= 2);
    return static_cast<std::uint16_t>(static_cast<std::uint8_t>(request[0]) << 8 |
                                      static_cast<std::uint8_t>(request[1]));
}

// The reply to a read of one holding register carrying `value`.
std::vector<std::uint8_t> reply(std::uint16_t transaction, std::uint16_t value)
{
    const std::vector<std::uint8_t> pdu{0x03, 0x02, static_cast<std::uint8_t>(value >> 8),
                                        static_cast<std::uint8_t>(value & 0xff)};
    return modbus::encode_tcp(transaction, unit, pdu);
}

device_spec plc()
{
    return device_spec{"plc-1", "modbus-tcp", "17", milliseconds{60000}, 3};
}

} // namespace

TEST_CASE("modbus tcp retry skips the late answer")
{
    bench b(fast_bus(1));
    std::optional<std::uint16_t> first_transaction;
    b.wire->responder = [&](const std::string& request) {
        if (!first_transaction) {
            first_transaction = transaction_of(request);
            return std::vector<chunk>{}; // silent until the retry is sent
        }
        // The answer to the first attempt arrives late, just before the retry's own.
        return std::vector<chunk>{{milliseconds{5}, reply(*first_transaction, 111)},
                                  {milliseconds{5}, reply(transaction_of(request), 222)}};
    };
    b.poller.add_device(plc(), modbus_tcp_codec());
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));

    REQUIRE(b.wire->writes.size() == 2);
    CHECK(transaction_of(b.wire->writes[1].request) != transaction_of(b.wire->writes[0].request));
    CHECK(std::get<double>(b.readings.front().values.at(0).value) == 222.0);
    const auto s = b.poller.status();
    CHECK(s.timeouts == 1);
    CHECK(s.late_answers == 1);
    CHECK(s.rejected_frames == 0);
}

TEST_CASE("modbus tcp command retry skips the late reply")
{
    bench b(fast_bus(1));
    // Polls (function 03) get their reply at once. The write of 222 gets no
    // reply in time, and then the echo of its first attempt arrives just
    // before the retry's own.
    std::optional<std::string> first_write;
    b.wire->responder = [&](const std::string& request) {
        if (request.size() > 7 && request[7] == 0x03)
            return std::vector<chunk>{{milliseconds{1}, reply(transaction_of(request), 1)}};
        if (!first_write) {
            first_write = request;
            return std::vector<chunk>{};
        }
        const std::vector<std::uint8_t> late(first_write->begin(), first_write->end());
        const std::vector<std::uint8_t> echo(request.begin(), request.end());
        return std::vector<chunk>{{milliseconds{5}, late}, {milliseconds{5}, echo}};
    };
    b.poller.add_device(plc(), modbus_tcp_codec());
    b.poller.start();
    std::optional<std::error_code> outcome;
    b.poller.command_now("plc-1", "level", "222", [&](std::error_code ec, poll_result) { outcome = ec; });

    REQUIRE(run_until(b.io, [&] { return outcome.has_value(); }));

    CHECK_FALSE(*outcome);
    std::vector<std::string> writes;
    for (const auto& w : b.wire->writes)
        if (w.request.size() > 7 && w.request[7] == 0x06)
            writes.push_back(w.request);
    REQUIRE(writes.size() == 2);
    const auto& first = writes[0];
    const auto& retry = writes[1];
    CHECK(transaction_of(retry) != transaction_of(first));
    CHECK(retry.substr(2) == first.substr(2));
    CHECK(b.poller.status().late_answers == 1);
}

TEST_CASE("modbus tcp late answer before a timeout is counted")
{
    bench b;
    b.wire->responder = [](const std::string& request) {
        // Only an answer to an earlier request comes back.
        return std::vector<chunk>{{milliseconds{5}, reply(static_cast<std::uint16_t>(transaction_of(request) - 1), 7)}};
    };
    b.poller.add_device(plc(), modbus_tcp_codec());
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return b.status("plc-1").failures == 1; }));

    const auto s = b.poller.status();
    CHECK(s.exchanges == 1);
    CHECK(s.timeouts == 1);
    CHECK(s.late_answers == 1);
    CHECK(s.rejected_frames == 0);
    CHECK(b.readings.empty());
}

TEST_CASE("modbus tcp late answers are counted once per frame")
{
    bench b;
    b.wire->responder = [](const std::string& request) {
        // Two late answers in separate reads, then the answer: each read
        // decodes the whole buffer again.
        const auto transaction = transaction_of(request);
        return std::vector<chunk>{{milliseconds{2}, reply(static_cast<std::uint16_t>(transaction - 2), 1)},
                                  {milliseconds{2}, reply(static_cast<std::uint16_t>(transaction - 1), 2)},
                                  {milliseconds{2}, reply(transaction, 3)}};
    };
    b.poller.add_device(plc(), modbus_tcp_codec());
    b.poller.start();

    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));

    CHECK(std::get<double>(b.readings.front().values.at(0).value) == 3.0);
    const auto s = b.poller.status();
    CHECK(s.late_answers == 2);
    CHECK(s.timeouts == 0);
}

} // namespace citygate::bus::test
