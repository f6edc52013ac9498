// MBAP framing. The frames wrap the PDUs of the M1 RTU vectors (vectors.hpp)
// in an MBAP header built from the header layout, so they are derived, not
// captured.

#include "protocols/modbus/tcp.hpp"
#include "tests/unit/modbus/vectors.hpp"

#include <doctest/doctest.h>

using namespace citygate::modbus;
using namespace modbus_vectors;

namespace {

// M1 read-holding request and response as Modbus TCP, transaction 0x1234, unit 0x11.
constexpr std::string_view tcp_read_request = "12 34 00 00 00 06 11 03 00 6B 00 03";
constexpr std::string_view tcp_read_response = "12 34 00 00 00 09 11 03 06 AE 41 56 52 43 40";

request read_request()
{
    return make_read_request(function_code::read_holding_registers, 0x006B, 3);
}

} // namespace

TEST_CASE("tcp request encodes MBAP header")
{
    std::vector<std::uint8_t> pdu;
    REQUIRE_FALSE(encode_request_pdu(read_request(), pdu));
    CHECK(encode_tcp(0x1234, 0x11, pdu) == bytes(tcp_read_request));
}

TEST_CASE("tcp request decodes")
{
    counters stats;
    auto in = bytes(tcp_read_request);
    auto result = decode_tcp_request(in, stats);

    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());
    CHECK(result.frame().transaction == 0x1234);
    CHECK(result.frame().unit == 0x11);
    CHECK(result.frame().request == read_request());
}

TEST_CASE("tcp response decodes")
{
    counters stats;
    auto in = bytes(tcp_read_response);
    auto result = decode_tcp_response(in, 0x1234, 0x11, read_request(), stats);

    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());
    CHECK(result.frame().registers == std::vector<std::uint16_t>{0xAE41, 0x5652, 0x4340});
    CHECK(stats.frames_ok == 1);
}

TEST_CASE("tcp frames split at every byte")
{
    for (auto hex : {tcp_read_request, tcp_read_response}) {
        INFO(hex);
        auto in = bytes(hex);
        for (std::size_t cut = 0; cut < in.size(); ++cut) {
            INFO("prefix length " << cut);
            counters stats;
            CHECK(decode_tcp_frame(std::span(in).first(cut), stats).needs_more());
            CHECK(stats.frames_ok == 0);
        }
    }
}

TEST_CASE("tcp wrong transaction id")
{
    counters stats;
    auto in = bytes(tcp_read_response);
    auto result = decode_tcp_response(in, 0x1233, 0x11, read_request(), stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::transaction_mismatch);
    CHECK(result.consumed() == in.size());
    CHECK(stats.transaction_mismatch == 1);
}

TEST_CASE("tcp stale reply then the expected one")
{
    auto in = bytes(tcp_read_response);
    auto expected = bytes(tcp_read_response);
    expected[1] = 0x35;
    in.insert(in.end(), expected.begin(), expected.end());

    counters stats;
    auto stale = decode_tcp_response(in, 0x1235, 0x11, read_request(), stats);
    REQUIRE(stale.failed());
    auto fresh = decode_tcp_response(std::span(in).subspan(stale.consumed()), 0x1235, 0x11, read_request(), stats);
    REQUIRE(fresh.has_frame());
    CHECK(stats.transaction_mismatch == 1);
}

TEST_CASE("tcp wrong unit id")
{
    counters stats;
    auto result = decode_tcp_response(bytes(tcp_read_response), 0x1234, 0x01, read_request(), stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::unit_mismatch);
    CHECK(stats.unit_mismatch == 1);
}

TEST_CASE("tcp protocol id not zero")
{
    counters stats;
    auto in = bytes(tcp_read_response);
    in[3] = 0x01;
    auto result = decode_tcp_frame(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_protocol_id);
    CHECK(result.consumed() == mbap_size);
    CHECK(stats.bad_protocol_id == 1);
}

TEST_CASE("tcp length outside 2-254")
{
    for (unsigned length : {0u, 1u, 255u, 0xFFFFu}) {
        INFO("length " << length);
        counters stats;
        auto in = bytes(tcp_read_response);
        in[4] = static_cast<std::uint8_t>(length >> 8);
        in[5] = static_cast<std::uint8_t>(length & 0xFF);
        auto result = decode_tcp_frame(in, stats);

        REQUIRE(result.failed());
        CHECK(result.error() == error::bad_length);
        CHECK(stats.bad_length == 1);
    }
}

TEST_CASE("tcp largest read reply")
{
    // 125 registers: a PDU of 2 + 250 bytes, MBAP length 253, 259 bytes in all.
    std::vector<std::uint16_t> values(max_read_registers);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = static_cast<std::uint16_t>(i * 3);
    auto in = encode_tcp(7, 1, encode_registers_pdu(function_code::read_holding_registers, values));
    CHECK(in.size() == 6 + 253);

    counters stats;
    auto req = make_read_request(function_code::read_holding_registers, 0, max_read_registers);
    auto result = decode_tcp_response(in, 7, 1, req, stats);
    REQUIRE(result.has_frame());
    CHECK(result.frame().registers == values);
}

TEST_CASE("tcp length disagrees with byte count")
{
    // MBAP length 10 is the unit id and 9 PDU bytes, but byte count 06 makes an 8-byte PDU.
    counters stats;
    auto in = bytes("12 34 00 00 00 0A 11 03 06 AE 41 56 52 43 40 00");
    auto result = decode_tcp_response(in, 0x1234, 0x11, read_request(), stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::byte_count_mismatch);
    CHECK(result.consumed() == in.size());
}

TEST_CASE("tcp exception reply with code 00")
{
    counters stats;
    auto in = bytes("12 34 00 00 00 03 11 83 00");
    auto result = decode_tcp_response(in, 0x1234, 0x11, read_request(), stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::zero_exception_code);
    CHECK(stats.zero_exception_code == 1);
}

TEST_CASE("tcp exception reply")
{
    counters stats;
    auto in = encode_tcp(0x1234, 0x11, encode_exception_pdu(0x03, exception_code::illegal_data_address));
    auto result = decode_tcp_response(in, 0x1234, 0x11, read_request(), stats);

    REQUIRE(result.failed());
    CHECK(result.error() == exception_code::illegal_data_address);
    CHECK(result.error().message() == "Modbus exception 02 ILLEGAL DATA ADDRESS");
    CHECK(stats.exceptions == 1);
}
