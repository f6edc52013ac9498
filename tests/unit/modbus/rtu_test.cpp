// RTU framing, CRC and response decoding. Vectors and their sources are in vectors.hpp.

#include "protocols/modbus/rtu.hpp"
#include "tests/unit/modbus/vectors.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace citygate::modbus;
using namespace modbus_vectors;

namespace {

struct exchange {
    std::string_view request_hex;
    std::string_view response_hex;
    request expected;
};

// Every M1 and M2 exchange with the request it carries.
std::vector<exchange> exchanges()
{
    return {
        {m1_read_coils_request, m1_read_coils_response, make_read_request(function_code::read_coils, 0x0013, 37)},
        {m1_read_holding_request, m1_read_holding_response,
         make_read_request(function_code::read_holding_registers, 0x006B, 3)},
        {m1_write_coil_request, m1_write_coil_request, make_write_single_coil(0x00AC, true)},
        {m1_write_register_request, m1_write_register_request, make_write_single_register(0x0001, 3)},
        {m1_write_coils_request, m1_write_coils_response,
         make_write_multiple_coils(0x0013, {true, false, true, true, false, false, true, true, true, false})},
        {m1_write_registers_request, m1_write_registers_response, make_write_multiple_registers(0x0001, {0x000A, 0x0102})},
        {m2_read_temperature_request, m2_read_temperature_response,
         make_read_request(function_code::read_holding_registers, 0x0000, 2)},
    };
}

std::vector<std::uint8_t> encode(std::uint8_t unit, const request& r)
{
    std::vector<std::uint8_t> pdu;
    REQUIRE_FALSE(encode_request_pdu(r, pdu));
    return encode_rtu(unit, pdu);
}

} // namespace

TEST_CASE("crc16 of M1 and M2 requests")
{
    auto coils = bytes(m1_read_coils_request);
    CHECK(crc16(std::span(coils).first(6)) == 0x840E);

    auto temperature = bytes(m2_read_temperature_request);
    CHECK(crc16(std::span(temperature).first(6)) == 0x0BC4);
}

TEST_CASE("rtu requests encode to the published bytes")
{
    for (const auto& ex : exchanges()) {
        INFO(ex.request_hex);
        auto expected = bytes(ex.request_hex);
        CHECK(encode(expected[0], ex.expected) == expected);
    }
}

TEST_CASE("rtu requests decode")
{
    for (const auto& ex : exchanges()) {
        INFO(ex.request_hex);
        counters stats;
        auto in = bytes(ex.request_hex);
        auto result = decode_rtu_request(in, stats);

        REQUIRE(result.has_frame());
        CHECK(result.consumed() == in.size());
        CHECK(result.frame().unit == in[0]);
        CHECK(result.frame().request == ex.expected);
        CHECK(stats.frames_ok == 1);
    }
}

TEST_CASE("rtu M1 read coils response")
{
    counters stats;
    auto in = bytes(m1_read_coils_response);
    auto result = decode_rtu_response(in, 0x11, make_read_request(function_code::read_coils, 0x0013, 37), stats);

    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());
    const std::vector<bool> expected{true,  false, true,  true,  false, false, true,  true,  true,  true,
                                     false, true,  false, true,  true,  false, false, true,  false, false,
                                     true,  true,  false, true,  false, true,  true,  true,  false, false,
                                     false, false, true,  true,  false, true,  true};
    CHECK(result.frame().bits == expected);
    CHECK(stats.frames_ok == 1);
}

TEST_CASE("rtu M1 read holding registers response")
{
    counters stats;
    auto req = make_read_request(function_code::read_holding_registers, 0x006B, 3);
    auto result = decode_rtu_response(bytes(m1_read_holding_response), 0x11, req, stats);

    REQUIRE(result.has_frame());
    CHECK(result.frame().registers == std::vector<std::uint16_t>{0xAE41, 0x5652, 0x4340});
}

TEST_CASE("rtu M2 read temperature response")
{
    counters stats;
    auto req = make_read_request(function_code::read_holding_registers, 0x0000, 2);
    auto result = decode_rtu_response(bytes(m2_read_temperature_response), 0x01, req, stats);

    REQUIRE(result.has_frame());
    CHECK(result.frame().registers == std::vector<std::uint16_t>{0x0000, 0x03E8});
}

TEST_CASE("rtu write responses echo the request")
{
    for (const auto& ex : exchanges()) {
        if (ex.expected.function == function_code::read_coils ||
            ex.expected.function == function_code::read_holding_registers)
            continue;
        INFO(ex.response_hex);
        counters stats;
        auto result = decode_rtu_response(bytes(ex.response_hex), 0x11, ex.expected, stats);

        REQUIRE(result.has_frame());
        CHECK(result.frame().function == ex.expected.function);
        CHECK(result.frame().address == ex.expected.address);
    }
}

TEST_CASE("rtu frames split at every byte")
{
    for (const auto& ex : exchanges()) {
        INFO(ex.request_hex);
        INFO(ex.response_hex);
        auto request_bytes = bytes(ex.request_hex);
        auto response_bytes = bytes(ex.response_hex);
        for (std::size_t cut = 0; cut < request_bytes.size(); ++cut) {
            INFO("request prefix length " << cut);
            counters stats;
            CHECK(decode_rtu_request(std::span(request_bytes).first(cut), stats).needs_more());
            CHECK(stats.frames_ok == 0);
        }
        for (std::size_t cut = 0; cut < response_bytes.size(); ++cut) {
            INFO("response prefix length " << cut);
            counters stats;
            auto prefix = std::span(response_bytes).first(cut);
            CHECK(decode_rtu_response(prefix, response_bytes[0], ex.expected, stats).needs_more());
            CHECK(stats.frames_ok == 0);
        }
    }
}

TEST_CASE("rtu M1 exception replies by name")
{
    const std::pair<std::string_view, exception_code> cases[] = {
        {m1_exception_01, exception_code::illegal_function},
        {m1_exception_02, exception_code::illegal_data_address},
        {m1_exception_03, exception_code::illegal_data_value},
        {m1_exception_04, exception_code::server_device_failure},
    };
    const char* names[] = {"ILLEGAL FUNCTION", "ILLEGAL DATA ADDRESS", "ILLEGAL DATA VALUE", "SERVER DEVICE FAILURE"};

    for (std::size_t i = 0; i < 4; ++i) {
        INFO(cases[i].first);
        counters stats;
        auto in = bytes(cases[i].first);
        auto req = make_read_request(function_code::read_holding_registers, 0x006B, 3);
        auto result = decode_rtu_response(in, 0x11, req, stats);

        REQUIRE(result.failed());
        CHECK(result.error() == cases[i].second);
        CHECK(result.error().category() == exception_category());
        CHECK(result.error().message().find(names[i]) != std::string::npos);
        CHECK(result.consumed() == in.size());
        CHECK(stats.exceptions == 1);
    }
}

TEST_CASE("rtu exception split at every byte")
{
    auto in = bytes(m1_exception_02);
    auto req = make_read_request(function_code::read_holding_registers, 0x006B, 3);
    for (std::size_t cut = 0; cut < in.size(); ++cut) {
        INFO("prefix length " << cut);
        counters stats;
        CHECK(decode_rtu_response(std::span(in).first(cut), 0x11, req, stats).needs_more());
        CHECK(stats.exceptions == 0);
    }
}

TEST_CASE("rtu M2 N1 bad crc yields no values")
{
    counters stats;
    auto in = bytes(m2_n1_bad_crc);
    auto req = make_read_request(function_code::read_holding_registers, 0x0000, 2);
    auto result = decode_rtu_response(in, 0x01, req, stats);

    REQUIRE(result.failed());
    CHECK_FALSE(result.has_frame());
    CHECK(result.error() == error::bad_crc);
    CHECK(result.consumed() == in.size());
    CHECK(stats.bad_crc == 1);
    CHECK(stats.frames_ok == 0);
}

TEST_CASE("rtu M2 N2 exception with bad crc")
{
    counters stats;
    auto req = make_read_request(function_code::read_holding_registers, 0x0000, 2);
    auto result = decode_rtu_response(bytes(m2_n2_exception_bad_crc), 0x01, req, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_crc);
    CHECK(stats.bad_crc == 1);
    CHECK(stats.exceptions == 0);
}

TEST_CASE("rtu every single bit flip breaks the crc")
{
    auto good = bytes(m1_read_holding_response);
    auto req = make_read_request(function_code::read_holding_registers, 0x006B, 3);
    // The byte count (index 2) is left alone: changing it changes the frame length.
    for (std::size_t i = 3; i < good.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            auto in = good;
            in[i] = static_cast<std::uint8_t>(in[i] ^ (1u << bit));
            counters stats;
            INFO("byte " << i << " bit " << bit);
            CHECK(decode_rtu_response(in, 0x11, req, stats).error() == error::bad_crc);
        }
    }
}

TEST_CASE("rtu wrong unit id")
{
    counters stats;
    auto in = bytes(m1_read_holding_response);
    auto req = make_read_request(function_code::read_holding_registers, 0x006B, 3);
    auto result = decode_rtu_response(in, 0x12, req, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::unit_mismatch);
    CHECK(result.consumed() == in.size());
    CHECK(stats.unit_mismatch == 1);
}

TEST_CASE("rtu oversize byte count")
{
    // 251 data bytes would exceed the 250 that 125 registers or 2000 coils need.
    counters stats;
    std::vector<std::uint8_t> in{0x11, 0x03, 0xFB, 0x00, 0x01};
    auto req = make_read_request(function_code::read_holding_registers, 0, 125);
    auto result = decode_rtu_response(in, 0x11, req, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::byte_count_too_large);
    CHECK(result.consumed() == 1);
    CHECK(stats.byte_count_too_large == 1);
}

TEST_CASE("rtu request with oversize byte count")
{
    // 0F and 10 requests carry at most 246 data bytes.
    counters stats;
    std::vector<std::uint8_t> in{0x11, 0x10, 0x00, 0x01, 0x00, 0x7C, 0xF8, 0x00};
    auto result = decode_rtu_request(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::byte_count_too_large);
    CHECK(stats.byte_count_too_large == 1);
}

TEST_CASE("rtu byte count does not match quantity")
{
    // M1's 3-register reply decoded as the reply to a 2-register read.
    counters stats;
    auto req = make_read_request(function_code::read_holding_registers, 0x006B, 2);
    auto result = decode_rtu_response(bytes(m1_read_holding_response), 0x11, req, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::byte_count_mismatch);
    CHECK(stats.byte_count_mismatch == 1);
}

TEST_CASE("rtu reply to another function")
{
    counters stats;
    auto req = make_read_request(function_code::read_input_registers, 0x006B, 3);
    auto result = decode_rtu_response(bytes(m1_read_holding_response), 0x11, req, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::function_mismatch);
    CHECK(stats.function_mismatch == 1);
}

TEST_CASE("rtu write echo mismatch")
{
    counters stats;
    auto result = decode_rtu_response(bytes(m1_write_register_request), 0x11, make_write_single_register(0x0001, 4), stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::echo_mismatch);
    CHECK(stats.echo_mismatch == 1);
}

TEST_CASE("rtu unsupported function code")
{
    counters stats;
    auto in = encode_rtu(0x11, std::vector<std::uint8_t>{0x2B, 0x0E, 0x01, 0x00});
    auto result = decode_rtu_request(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::unsupported_function);
    CHECK(result.consumed() == 1);
    CHECK(stats.unsupported_function == 1);
}

TEST_CASE("rtu request with invalid quantity")
{
    counters stats;
    auto in = encode_rtu(0x11, std::vector<std::uint8_t>{0x03, 0x00, 0x00, 0x00, 0x7E});
    auto result = decode_rtu_request(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::invalid_quantity);
    CHECK(result.consumed() == in.size());
    CHECK(stats.invalid_quantity == 1);
}

TEST_CASE("rtu two frames back to back")
{
    auto in = bytes(m1_read_coils_request);
    auto second = bytes(m1_read_holding_request);
    in.insert(in.end(), second.begin(), second.end());

    counters stats;
    auto first = decode_rtu_request(in, stats);
    REQUIRE(first.has_frame());
    CHECK(first.consumed() == 8);
    auto next = decode_rtu_request(std::span(in).subspan(first.consumed()), stats);
    REQUIRE(next.has_frame());
    CHECK(next.frame().request.function == function_code::read_holding_registers);
    CHECK(stats.frames_ok == 2);
}

TEST_CASE("rtu inter-frame silence")
{
    // 3.5 characters of 11 bits (8E1): 38.5 bit times.
    CHECK(inter_frame_silence(9600).count() == 4011);
    CHECK(inter_frame_silence(19200).count() == 2006);
    CHECK(inter_frame_silence(1200).count() == 32084);
    CHECK(inter_frame_silence(9600, bits_per_character(8, false, 1)).count() == 3646);
    // Above 19200 baud the serial line specification fixes 1750 us.
    CHECK(inter_frame_silence(19201).count() == 1750);
    CHECK(inter_frame_silence(115200).count() == 1750);
    CHECK(inter_frame_silence(0).count() == 0);
}

TEST_CASE("rtu inter-character timeout")
{
    CHECK(inter_character_timeout(9600).count() == 1719);
    CHECK(inter_character_timeout(38400).count() == 750);
    CHECK(bits_per_character(8, true, 1) == 11);
    CHECK(bits_per_character(8, false, 2) == 11);
}
