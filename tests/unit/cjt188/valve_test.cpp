// Valve control (write data, DI A017): encoding, decoding, outcome checks
// and frames split at every byte. Vectors and their sources are in vectors.hpp.

#include "protocols/cjt188/valve.hpp"
#include "tests/unit/cjt188/vectors.hpp"

#include <doctest/doctest.h>

using namespace citygate::cjt188;
using namespace cjt188_vectors;

namespace {

const address valve_meter = *parse_address(valve_meter_address);

template <typename Decode>
void check_every_prefix_needs_more(const std::vector<std::uint8_t>& frame_bytes, Decode decode)
{
    for (std::size_t cut = 0; cut < frame_bytes.size(); ++cut) {
        counters stats;
        auto result = decode(std::span(frame_bytes).first(cut), stats);
        INFO("prefix length " << cut);
        CHECK(result.needs_more());
        CHECK_FALSE(result.failed());
        CHECK(stats.frames_ok == 0);
    }
}

// A write-data frame with `data` after DI A017 (2004 order), checksum fixed.
std::vector<std::uint8_t> write_frame(std::uint8_t control, std::vector<std::uint8_t> data)
{
    frame f;
    f.meter_type = 0x10;
    f.address = valve_meter;
    f.control = control;
    f.data = std::move(data);
    return encode_frame(f, 0);
}

} // namespace

TEST_CASE("valve open request matches V1")
{
    auto f = make_valve_request(0x10, valve_meter, edition::v2004, 0x01, valve_command::open);
    CHECK(encode_frame(f, 4) == bytes(v1_valve_open_request));
}

TEST_CASE("valve close request matches V2")
{
    auto f = make_valve_request(0x10, valve_meter, edition::v2004, 0x01, valve_command::close);
    CHECK(encode_frame(f, 4) == bytes(v2_valve_close_request));
}

TEST_CASE("valve request 2018 byte order")
{
    auto f = make_valve_request(0x10, valve_meter, edition::v2018, 0x07, valve_command::close);
    CHECK(f.data == std::vector<std::uint8_t>{0x17, 0xA0, 0x07, 0x99});

    counters stats;
    auto decoded = decode_valve_request(encode_frame(f), stats);
    REQUIRE(decoded.has_frame());
    CHECK(decoded.frame().di.order == edition::v2018);
    CHECK(decoded.frame().ser == 0x07);
    CHECK(decoded.frame().command == valve_command::close);
}

TEST_CASE("valve request V1 decodes")
{
    counters stats;
    auto in = bytes(v1_valve_open_request);
    auto result = decode_valve_request(in, stats);
    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());
    CHECK(result.frame().link.address == valve_meter);
    CHECK(result.frame().di.value == di_valve_control);
    CHECK(result.frame().di.order == edition::v2004);
    CHECK(result.frame().ser == 0x01);
    CHECK(result.frame().command == valve_command::open);
    CHECK(stats.frames_ok == 1);
}

TEST_CASE("valve reply V3 open")
{
    counters stats;
    auto in = bytes(v3_valve_open_reply);
    auto result = decode_valve_reply(in, stats);
    REQUIRE(result.has_frame());
    const auto& reply = result.frame();
    CHECK(result.consumed() == in.size());
    CHECK_FALSE(reply.abnormal);
    REQUIRE(reply.di.has_value());
    CHECK(reply.di->value == di_valve_control);
    CHECK(reply.ser == 0x01);
    CHECK(reply.status.valve() == valve_state::open);

    CHECK_FALSE(check_valve_reply(valve_command::open, reply, stats));
    CHECK(check_valve_reply(valve_command::close, reply, stats) == error::valve_state_mismatch);
    CHECK(stats.valve_state_mismatch == 1);
}

TEST_CASE("valve reply V4 closed")
{
    counters stats;
    auto result = decode_valve_reply(bytes(v4_valve_close_reply), stats);
    REQUIRE(result.has_frame());
    CHECK(result.frame().status.valve() == valve_state::closed);
    CHECK_FALSE(check_valve_reply(valve_command::close, result.frame(), stats));
    CHECK(stats.valve_state_mismatch == 0);
}

TEST_CASE("valve abnormal reply V5")
{
    counters stats;
    auto result = decode_valve_reply(bytes(v5_valve_abnormal_reply), stats);
    REQUIRE(result.has_frame());
    const auto& reply = result.frame();
    CHECK(reply.abnormal);
    CHECK_FALSE(reply.di.has_value());
    CHECK(reply.ser == 0x01);
    CHECK(reply.status.valve() == valve_state::abnormal);

    CHECK(check_valve_reply(valve_command::open, reply, stats) == error::valve_command_rejected);
    CHECK(stats.valve_command_rejected == 1);
    CHECK(stats.valve_fault == 0);
}

TEST_CASE("valve abnormal reply with DI")
{
    auto f = make_valve_abnormal_reply(0x10, valve_meter, 0x02, meter_status{0x01, 0x00});
    f.data.insert(f.data.begin(), {0xA0, 0x17});

    counters stats;
    auto result = decode_valve_reply(encode_frame(f), stats);
    REQUIRE(result.has_frame());
    CHECK(result.frame().abnormal);
    REQUIRE(result.frame().di.has_value());
    CHECK(result.frame().ser == 0x02);
    CHECK(result.frame().status.valve() == valve_state::closed);
}

TEST_CASE("valve fault in normal reply")
{
    auto f = make_valve_reply(0x10, valve_meter, edition::v2004, 0x01, meter_status{0x03, 0x00});
    counters stats;
    auto result = decode_valve_reply(encode_frame(f), stats);
    REQUIRE(result.has_frame());
    CHECK(check_valve_reply(valve_command::close, result.frame(), stats) == error::valve_fault);
    CHECK(stats.valve_fault == 1);
}

TEST_CASE("valve reply round trip both byte orders")
{
    for (auto ed : {edition::v2004, edition::v2018}) {
        auto f = make_valve_reply(0x30, valve_meter, ed, 0x42, meter_status{0x05, 0x80});
        counters stats;
        auto result = decode_valve_reply(encode_frame(f), stats);
        REQUIRE(result.has_frame());
        CHECK(result.frame().di->order == ed);
        CHECK(result.frame().ser == 0x42);
        CHECK(result.frame().status.valve() == valve_state::closed);
        CHECK(result.frame().status.battery_low());
        CHECK(result.frame().status.st2 == 0x80);
    }
}

TEST_CASE("valve request bad command byte")
{
    counters stats;
    auto in = write_frame(ctrl_write_data, {0xA0, 0x17, 0x01, 0x12});
    auto result = decode_valve_request(in, stats);
    CHECK(result.error() == error::bad_valve_command);
    CHECK(result.consumed() == in.size());
    CHECK(stats.bad_valve_command == 1);
}

TEST_CASE("valve request truncated")
{
    counters stats;
    auto result = decode_valve_request(write_frame(ctrl_write_data, {0xA0, 0x17, 0x01}), stats);
    CHECK(result.error() == error::truncated_data);
    CHECK(stats.truncated == 1);
}

TEST_CASE("valve reply truncated")
{
    counters stats;
    auto normal = decode_valve_reply(write_frame(0x84, {0xA0, 0x17, 0x01, 0x00}), stats);
    CHECK(normal.error() == error::truncated_data);
    auto abnormal = decode_valve_reply(write_frame(0xC4, {0x01, 0x00}), stats);
    CHECK(abnormal.error() == error::truncated_data);
    CHECK(stats.truncated == 2);
}

TEST_CASE("valve write data length limit")
{
    // 33H data bytes pass the link layer (max_data_length 64) but exceed the
    // standard's 32H limit for write data.
    std::vector<std::uint8_t> data{0xA0, 0x17, 0x01, 0x55};
    data.resize(max_write_data_length + 1, 0x00);
    counters stats;
    auto request = decode_valve_request(write_frame(ctrl_write_data, data), stats);
    CHECK(request.error() == error::length_too_large);
    auto reply = decode_valve_reply(write_frame(0x84, data), stats);
    CHECK(reply.error() == error::length_too_large);
    CHECK(stats.too_long == 2);

    data.resize(max_write_data_length);
    CHECK(decode_valve_request(write_frame(ctrl_write_data, data), stats).has_frame());
}

TEST_CASE("valve unknown DI and control")
{
    counters stats;
    auto wrong_di = decode_valve_request(write_frame(ctrl_write_data, {0x90, 0x1F, 0x01, 0x55}), stats);
    CHECK(wrong_di.error() == error::unknown_di);
    CHECK(stats.unknown_di == 1);

    auto read_request = decode_valve_request(bytes(p1_water_request), stats);
    CHECK(read_request.error() == error::unexpected_control);
    auto read_reply = decode_valve_reply(bytes(p2_water_reply), stats);
    CHECK(read_reply.error() == error::unexpected_control);
    CHECK(stats.unexpected_control == 2);
}

TEST_CASE("read decoders reject valve frames")
{
    counters stats;
    CHECK(decode_reply(bytes(v3_valve_open_reply), stats).error() == error::unexpected_control);
    CHECK(decode_request(bytes(v1_valve_open_request), stats).error() == error::unexpected_control);
    CHECK(stats.unexpected_control == 2);
}

TEST_CASE("valve bad checksum counted")
{
    auto in = bytes(v3_valve_open_reply);
    in[in.size() - 2] ^= 0x01;
    counters stats;
    auto result = decode_valve_reply(in, stats);
    CHECK(result.error() == error::bad_checksum);
    CHECK(stats.bad_checksum == 1);
}

TEST_CASE("valve frames split at every byte")
{
    auto request_decoder = [](auto part, counters& stats) { return decode_valve_request(part, stats); };
    auto reply_decoder = [](auto part, counters& stats) { return decode_valve_reply(part, stats); };

    check_every_prefix_needs_more(bytes(v1_valve_open_request), request_decoder);
    check_every_prefix_needs_more(bytes(v2_valve_close_request), request_decoder);
    check_every_prefix_needs_more(bytes(v3_valve_open_reply), reply_decoder);
    check_every_prefix_needs_more(bytes(v4_valve_close_reply), reply_decoder);
    check_every_prefix_needs_more(bytes(v5_valve_abnormal_reply), reply_decoder);
}

TEST_CASE("valve reply split into two reads")
{
    const auto in = bytes(v3_valve_open_reply);
    for (std::size_t cut = 1; cut < in.size(); ++cut) {
        counters stats;
        std::vector<std::uint8_t> buffer(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(cut));
        INFO("split at " << cut);
        CHECK(decode_valve_reply(buffer, stats).needs_more());

        buffer.insert(buffer.end(), in.begin() + static_cast<std::ptrdiff_t>(cut), in.end());
        auto result = decode_valve_reply(buffer, stats);
        REQUIRE(result.has_frame());
        CHECK(result.consumed() == in.size());
        CHECK(result.frame().status.valve() == valve_state::open);
    }
}
