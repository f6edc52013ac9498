// Link-frame decoding and encoding; vectors and their sources are in vectors.hpp.

#include "protocols/cjt188/codec.hpp"
#include "protocols/cjt188/frame.hpp"
#include "tests/unit/cjt188/vectors.hpp"

#include <doctest/doctest.h>

using namespace citygate::cjt188;
using namespace cjt188_vectors;

namespace {

void check_every_prefix_needs_more(const std::vector<std::uint8_t>& frame_bytes)
{
    for (std::size_t cut = 0; cut < frame_bytes.size(); ++cut) {
        counters stats;
        auto result = decode_frame(std::span(frame_bytes).first(cut), stats);
        INFO("prefix length " << cut);
        CHECK(result.needs_more());
        CHECK_FALSE(result.failed());
        CHECK(stats.frames_ok == 0);
    }
}

} // namespace

TEST_CASE("frame P1 water read request")
{
    counters stats;
    auto in = bytes(p1_water_request);
    auto result = decode_frame(in, stats);

    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());
    CHECK(result.frame().meter_type == 0x10);
    CHECK(classify_meter_type(result.frame().meter_type) == meter_family::water);
    CHECK(to_string(result.frame().address) == "78330011223344");
    CHECK(result.frame().control == ctrl_read_data);
    CHECK(result.frame().data == std::vector<std::uint8_t>{0x1F, 0x90, 0x00});
    CHECK(stats.frames_ok == 1);
}

TEST_CASE("frame P2 water reply without preamble")
{
    counters stats;
    auto in = bytes(p2_water_reply);
    auto result = decode_frame(in, stats);

    REQUIRE(result.has_frame());
    CHECK(result.consumed() == 35);
    CHECK(result.frame().control == 0x81);
    CHECK(result.frame().data.size() == 0x16);
}

TEST_CASE("frame P3 heat read request")
{
    counters stats;
    auto result = decode_frame(bytes(p3_heat_request), stats);

    REQUIRE(result.has_frame());
    CHECK(classify_meter_type(result.frame().meter_type) == meter_family::heat);
    CHECK(result.frame().data == std::vector<std::uint8_t>{0x1F, 0x90, 0x01});
}

TEST_CASE("frame split at every byte")
{
    for (auto vector : {p1_water_request, p2_water_reply, p3_heat_request, n2_heat_reply_fixed}) {
        INFO(vector);
        auto in = bytes(vector);
        check_every_prefix_needs_more(in);

        counters stats;
        auto whole = decode_frame(in, stats);
        CHECK(whole.has_frame());
        CHECK(whole.consumed() == in.size());
    }
}

TEST_CASE("reply and request split at every byte")
{
    for (auto vector : {p2_water_reply, n2_heat_reply_fixed}) {
        INFO(vector);
        auto in = bytes(vector);
        for (std::size_t cut = 0; cut < in.size(); ++cut) {
            counters stats;
            INFO("prefix length " << cut);
            CHECK(decode_reply(std::span(in).first(cut), stats).needs_more());
        }
        counters stats;
        CHECK(decode_reply(in, stats).has_frame());
    }

    for (auto vector : {p1_water_request, p3_heat_request}) {
        INFO(vector);
        auto in = bytes(vector);
        for (std::size_t cut = 0; cut < in.size(); ++cut) {
            counters stats;
            INFO("prefix length " << cut);
            CHECK(decode_request(std::span(in).first(cut), stats).needs_more());
        }
        counters stats;
        CHECK(decode_request(in, stats).has_frame());
    }
}

TEST_CASE("frame N1 bad checksum")
{
    counters stats;
    auto result = decode_frame(bytes(n1_water_reply_bad_cs), stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_checksum);
    CHECK(result.consumed() == 5); // preamble and start byte, then rescan
    CHECK(stats.bad_checksum == 1);
    CHECK(stats.frames_ok == 0);
}

TEST_CASE("frame N2 bad checksum")
{
    counters stats;
    auto result = decode_frame(bytes(n2_heat_reply_bad_cs), stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_checksum);
    CHECK(stats.bad_checksum == 1);
}

TEST_CASE("frame N2 corrected checksum is 06")
{
    auto in = bytes(n2_heat_reply_bad_cs);
    fix_checksum(in, 4);
    CHECK(in[in.size() - 2] == 0x06);
    CHECK(in == bytes(n2_heat_reply_fixed));
}

TEST_CASE("frame bad end byte")
{
    auto in = bytes(p2_water_reply);
    in.back() = 0x17;
    counters stats;
    auto result = decode_frame(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_end_byte);
    CHECK(result.consumed() == 1);
    CHECK(stats.bad_end == 1);
}

TEST_CASE("frame length over limit rejected from header")
{
    // Only the 11 header bytes: L = 41 is rejected before the data arrives.
    auto in = bytes("FE 68 10 44 33 22 11 00 33 78 81 41");
    counters stats;
    auto result = decode_frame(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::length_too_large);
    CHECK(result.consumed() == 2);
    CHECK(stats.too_long == 1);
}

TEST_CASE("frame length at limit accepted")
{
    frame f;
    f.address = *parse_address("78330011223344");
    f.control = 0x81;
    f.data.assign(max_data_length, 0x00);
    counters stats;
    auto result = decode_frame(encode_frame(f), stats);

    REQUIRE(result.has_frame());
    CHECK(result.frame().data.size() == max_data_length);
}

TEST_CASE("frame preamble length bounded")
{
    std::vector<std::uint8_t> longest(max_preamble, preamble_byte);
    auto reply = bytes(p2_water_reply);
    longest.insert(longest.end(), reply.begin(), reply.end());
    counters stats;
    CHECK(decode_frame(longest, stats).has_frame());

    std::vector<std::uint8_t> too_long(max_preamble + 1, preamble_byte);
    auto result = decode_frame(too_long, stats);
    REQUIRE(result.failed());
    CHECK(result.error() == error::preamble_too_long);
    CHECK(result.consumed() == max_preamble + 1);
    CHECK(stats.preamble_too_long == 1);
}

TEST_CASE("frame garbage before start byte")
{
    auto in = bytes("00 11 22 FE");
    auto reply = bytes(p2_water_reply);
    in.insert(in.end(), reply.begin(), reply.end());
    counters stats;

    auto first = decode_frame(in, stats);
    REQUIRE(first.failed());
    CHECK(first.error() == error::no_start_byte);
    CHECK(first.consumed() == 4);
    CHECK(stats.garbage_skips == 1);
    CHECK(stats.garbage_bytes == 4);

    auto second = decode_frame(std::span(in).subspan(first.consumed()), stats);
    REQUIRE(second.has_frame());
    CHECK(second.consumed() == reply.size());
}

TEST_CASE("frame garbage without start byte")
{
    auto in = bytes("01 02 03 16");
    counters stats;
    auto result = decode_frame(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::no_start_byte);
    CHECK(result.consumed() == in.size());
}

TEST_CASE("frame false start byte in noise resyncs")
{
    // A stray 68 makes the reply's own bytes look like L = 78; dropping only
    // the stray start byte lets the next scan find the real frame.
    auto in = bytes("68 01");
    auto reply = bytes(p2_water_reply);
    in.insert(in.end(), reply.begin(), reply.end());
    counters stats;

    std::size_t pos = 0;
    bool found = false;
    for (int step = 0; step < 10 && pos < in.size(); ++step) {
        auto result = decode_frame(std::span(in).subspan(pos), stats);
        if (result.has_frame()) {
            found = true;
            CHECK(pos + result.consumed() == in.size());
            break;
        }
        REQUIRE(result.failed());
        pos += result.consumed();
    }
    CHECK(found);
    CHECK(stats.too_long == 1);
    CHECK(stats.garbage_skips == 1);
}

TEST_CASE("frame empty input needs more")
{
    counters stats;
    CHECK(decode_frame({}, stats).needs_more());
}

TEST_CASE("frame encode read-data request matches P1 and P3")
{
    auto addr = *parse_address(meter_address);
    CHECK(encode_frame(make_read_data_request(0x10, addr, edition::v2018, 0)) == bytes(p1_water_request));
    CHECK(encode_frame(make_read_data_request(0x20, addr, edition::v2018, 1)) == bytes(p3_heat_request));
}

TEST_CASE("frame encode 2004 edition sends 90 1F")
{
    auto addr = *parse_address(meter_address);
    auto f = make_read_data_request(0x10, addr, edition::v2004, 0);
    CHECK(f.data == std::vector<std::uint8_t>{0x90, 0x1F, 0x00});

    counters stats;
    auto result = decode_request(encode_frame(f), stats);
    REQUIRE(result.has_frame());
    CHECK(result.frame().di.value == di_read_data);
    CHECK(result.frame().di.order == edition::v2004);
}

TEST_CASE("frame encode read-address broadcast")
{
    auto encoded = encode_frame(make_read_address_request(0x10, edition::v2018, 0));
    auto expected = bytes("FE FE FE FE 68 10 AA AA AA AA AA AA AA 03 03 0A 81 00 00 16");
    fix_checksum(expected, 4);
    CHECK(encoded == expected);

    counters stats;
    auto result = decode_request(encoded, stats);
    REQUIRE(result.has_frame());
    CHECK(result.frame().link.address == broadcast_address);
    CHECK(result.frame().di.value == di_read_address);
}

TEST_CASE("frame encode decode round trip")
{
    frame f;
    f.meter_type = 0x30;
    f.address = *parse_address("0123456789ABCD");
    f.control = 0x81;
    f.data = {0x1F, 0x90, 0x07, 0xAB};
    for (std::size_t preamble = 0; preamble <= max_preamble; ++preamble) {
        counters stats;
        auto result = decode_frame(encode_frame(f, preamble), stats);
        REQUIRE(result.has_frame());
        CHECK(result.frame().meter_type == f.meter_type);
        CHECK(result.frame().address == f.address);
        CHECK(result.frame().control == f.control);
        CHECK(result.frame().data == f.data);
    }
}

TEST_CASE("address parse and format")
{
    auto addr = parse_address("78330011223344");
    REQUIRE(addr);
    CHECK(addr->bytes == std::array<std::uint8_t, 7>{0x44, 0x33, 0x22, 0x11, 0x00, 0x33, 0x78});
    CHECK(to_string(*addr) == "78330011223344");
    CHECK(to_string(*parse_address("00000000ee0001")) == "00000000EE0001");

    CHECK_FALSE(parse_address(""));
    CHECK_FALSE(parse_address("7833001122334"));
    CHECK_FALSE(parse_address("783300112233445"));
    CHECK_FALSE(parse_address("7833001122334G"));
    CHECK_FALSE(parse_address("7833 011223344"));
}

TEST_CASE("meter type classification")
{
    CHECK(classify_meter_type(0x10) == meter_family::water);
    CHECK(classify_meter_type(0x19) == meter_family::water);
    CHECK(classify_meter_type(0x20) == meter_family::heat);
    CHECK(classify_meter_type(0x29) == meter_family::heat);
    CHECK(classify_meter_type(0x30) == meter_family::gas);
    CHECK(classify_meter_type(0x39) == meter_family::gas);
    CHECK(classify_meter_type(0x40) == meter_family::other);
    CHECK(classify_meter_type(0x0F) == meter_family::other);
    CHECK(to_string(meter_family::heat) == "heat");
}

TEST_CASE("counters add up")
{
    counters total;
    counters pass;
    pass.count(error::bad_checksum);
    pass.count(error::no_start_byte);
    pass.garbage_bytes = 3;
    pass.frames_ok = 2;
    total += pass;
    total += pass;

    CHECK(total.bad_checksum == 2);
    CHECK(total.garbage_skips == 2);
    CHECK(total.garbage_bytes == 6);
    CHECK(total.frames_ok == 4);
    CHECK(total.too_long == 0);
}

TEST_CASE("error codes have messages")
{
    std::error_code ec = error::bad_checksum;
    CHECK(ec.category().name() == std::string("citygate.cjt188"));
    CHECK(ec.message().find("checksum") != std::string::npos);
}
