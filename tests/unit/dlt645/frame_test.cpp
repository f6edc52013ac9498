// Link-frame decoding and encoding; vectors and their sources are in vectors.hpp.

#include "protocols/dlt645/codec.hpp"
#include "protocols/dlt645/frame.hpp"
#include "tests/unit/dlt645/vectors.hpp"

#include <doctest/doctest.h>

using namespace citygate::dlt645;
using namespace dlt645_vectors;

TEST_CASE("frame D1 read request fields")
{
    counters stats;
    auto in = bytes(d1_read_energy);
    auto result = decode_frame(in, stats);

    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());
    CHECK(to_string(result.frame().address) == "000000000001");
    CHECK(result.frame().control == ctrl_read_data_2007);
    // 33 33 34 33 on the wire is DI 00010000 sent DI0 first.
    CHECK(result.frame().data == std::vector<std::uint8_t>{0x00, 0x00, 0x01, 0x00});
    CHECK(stats.frames_ok == 1);
}

TEST_CASE("frame D1 address byte order")
{
    counters stats;
    auto result = decode_frame(bytes(d1_read_voltage), stats);

    REQUIRE(result.has_frame());
    CHECK(to_string(result.frame().address) == "123456789012");
    CHECK(result.frame().address == parse_address("123456789012").value());
}

TEST_CASE("frame D2 preamble and wildcard address")
{
    counters stats;
    auto in = bytes(d2_read_address);
    auto result = decode_frame(in, stats);

    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());
    CHECK(result.frame().address == wildcard_address);
    CHECK(to_string(result.frame().address) == "AAAAAAAAAAAA");
    CHECK(result.frame().control == ctrl_read_address_2007);
    CHECK(result.frame().data.empty());
}

TEST_CASE("frame every vector decodes whole")
{
    for (std::span<const std::string_view> list : {std::span<const std::string_view>(all_requests), std::span<const std::string_view>(all_replies)}) {
        for (auto vector : list) {
            INFO(vector);
            counters stats;
            auto in = bytes(vector);
            auto result = decode_frame(in, stats);
            REQUIRE(result.has_frame());
            CHECK(result.consumed() == in.size());
            CHECK(stats.frames_ok == 1);
        }
    }
}

TEST_CASE("frame split at every byte")
{
    for (std::span<const std::string_view> list : {std::span<const std::string_view>(all_requests), std::span<const std::string_view>(all_replies)}) {
        for (auto vector : list) {
            INFO(vector);
            auto in = bytes(vector);
            for (std::size_t cut = 0; cut < in.size(); ++cut) {
                counters stats;
                INFO("prefix length " << cut);
                auto result = decode_frame(std::span(in).first(cut), stats);
                CHECK(result.needs_more());
                CHECK_FALSE(result.failed());
                CHECK(stats.frames_ok == 0);
            }
        }
    }
}

TEST_CASE("reply and request split at every byte")
{
    for (auto vector : all_replies) {
        INFO(vector);
        auto in = bytes(vector);
        for (std::size_t cut = 0; cut < in.size(); ++cut) {
            counters stats;
            INFO("prefix length " << cut);
            CHECK(decode_reply(std::span(in).first(cut), stats).needs_more());
        }
    }
    for (auto vector : all_requests) {
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
    auto result = decode_frame(bytes(n1_energy_reply_bad_cs), stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_checksum);
    CHECK(result.consumed() == 1); // the start byte, then rescan
    CHECK(stats.bad_checksum == 1);
    CHECK(stats.frames_ok == 0);
}

TEST_CASE("frame bad checksum after preamble")
{
    auto in = bytes(n1_energy_reply_bad_cs);
    in.insert(in.begin(), {0xFE, 0xFE, 0xFE, 0xFE});
    counters stats;
    auto result = decode_frame(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_checksum);
    CHECK(result.consumed() == 5);
}

TEST_CASE("frame bad end byte")
{
    auto in = bytes(d1_energy_reply);
    in.back() = 0x17;
    counters stats;
    auto result = decode_frame(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_end_byte);
    CHECK(stats.bad_end == 1);
    CHECK(stats.bad_checksum == 0);
}

TEST_CASE("frame missing second start byte")
{
    auto in = bytes(d1_energy_reply);
    in[7] = 0x69;
    fix_checksum(in);
    counters stats;

    // Rejected as soon as the eighth byte arrives, before L is read.
    auto early = decode_frame(std::span(in).first(8), stats);
    REQUIRE(early.failed());
    CHECK(early.error() == error::no_second_start_byte);
    CHECK(early.consumed() == 1);

    auto whole = decode_frame(in, stats);
    REQUIRE(whole.failed());
    CHECK(whole.error() == error::no_second_start_byte);
    CHECK(stats.no_second_start == 2);
}

TEST_CASE("frame oversize L")
{
    // L = C9 (201) is one above the limit; rejected before the data arrives.
    auto in = bytes("68 01 00 00 00 00 00 68 91 C9");
    counters stats;
    auto result = decode_frame(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::length_too_large);
    CHECK(result.consumed() == 1);
    CHECK(stats.too_long == 1);
}

TEST_CASE("frame L at the limit is accepted")
{
    frame f;
    f.address = parse_address("000000000001").value();
    f.control = 0x91;
    f.data.assign(max_data_length, 0x00);
    auto in = encode_frame(f, 0);
    counters stats;
    auto result = decode_frame(in, stats);

    REQUIRE(result.has_frame());
    CHECK(result.frame().data.size() == max_data_length);
}

TEST_CASE("frame truncated stays need_more")
{
    auto in = bytes(d1_energy_reply);
    counters stats;
    auto result = decode_frame(std::span(in).first(in.size() - 1), stats);

    CHECK(result.needs_more());
    CHECK(stats.frames_ok == 0);
    CHECK(stats.bad_checksum == 0);
}

TEST_CASE("frame too many preamble bytes")
{
    std::vector<std::uint8_t> in(max_preamble + 1, preamble_byte);
    auto frame_bytes = bytes(d1_read_energy);
    in.insert(in.end(), frame_bytes.begin(), frame_bytes.end());
    counters stats;
    auto result = decode_frame(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::preamble_too_long);
    CHECK(result.consumed() == max_preamble + 1);
    CHECK(stats.preamble_too_long == 1);
}

TEST_CASE("frame garbage before start byte")
{
    auto in = bytes("00 11 22 " + std::string(d1_read_energy));
    counters stats;
    auto result = decode_frame(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::no_start_byte);
    CHECK(result.consumed() == 3);
    CHECK(stats.garbage_skips == 1);
    CHECK(stats.garbage_bytes == 3);

    auto next = decode_frame(std::span(in).subspan(3), stats);
    CHECK(next.has_frame());
}

TEST_CASE("frame garbage without start byte")
{
    auto in = bytes("00 11 22");
    counters stats;
    auto result = decode_frame(in, stats);

    REQUIRE(result.failed());
    CHECK(result.consumed() == 3);
}

TEST_CASE("frame two frames back to back")
{
    auto in = bytes(std::string(d3_req_forward_active) + " " + std::string(d3_rep_forward_active));
    counters stats;
    auto first = decode_frame(in, stats);
    REQUIRE(first.has_frame());
    CHECK(first.consumed() == 16);

    auto second = decode_frame(std::span(in).subspan(first.consumed()), stats);
    REQUIRE(second.has_frame());
    CHECK(second.frame().control == 0x91);
    CHECK(stats.frames_ok == 2);
}

TEST_CASE("frame encode reproduces the vectors")
{
    CHECK(encode_frame(make_read_request(edition::v2007, parse_address("000000000001").value(), 0x00010000), 0) ==
          bytes(d1_read_energy));
    CHECK(encode_frame(make_read_request(edition::v2007, parse_address("123456789012").value(), 0x02010100), 0) ==
          bytes(d1_read_voltage));
    CHECK(encode_frame(make_read_address_request(edition::v2007), 4) == bytes(d2_read_address));

    const auto meter = parse_address(d3_address).value();
    CHECK(encode_frame(make_read_request(edition::v2007, meter, 0x00010000), 0) == bytes(d3_req_forward_active));
    CHECK(encode_frame(make_read_request(edition::v2007, meter, 0x00020000), 0) == bytes(d3_req_reverse_active));
    CHECK(encode_frame(make_read_request(edition::v2007, meter, 0x00030000), 0) == bytes(d3_req_reactive_1));
    CHECK(encode_frame(make_read_request(edition::v2007, meter, 0x00040000), 0) == bytes(d3_req_reactive_2));
    CHECK(encode_frame(make_read_request(edition::v2007, meter, 0x02010100), 0) == bytes(d3_req_voltage_a));
}

TEST_CASE("frame encode reproduces the reply vectors")
{
    const auto meter = parse_address(d3_address).value();
    const std::vector<std::uint8_t> value{0x26, 0x00, 0x00, 0x00};
    CHECK(encode_frame(make_read_reply(edition::v2007, meter, 0x00010000, value), 0) == bytes(d3_rep_forward_active));
    CHECK(encode_frame(make_error_reply(edition::v2007, parse_address("000000000001").value(), 0x03), 0) ==
          bytes(d1_abnormal_reply));
}

TEST_CASE("address parsing")
{
    CHECK(parse_address("000000000161").has_value());
    for (const char* bad : {"", "00000000016", "0000000001610", "00000000016A", "AAAAAAAAAAAA", "0000-0000161"}) {
        INFO(bad);
        CHECK_FALSE(parse_address(bad).has_value());
    }
}
