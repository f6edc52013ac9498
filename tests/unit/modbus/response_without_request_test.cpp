// Response PDUs decoded without their request, as `citygate decode` does with
// a captured frame. Vectors and their sources are in vectors.hpp.

#include "protocols/modbus/pdu.hpp"
#include "tests/unit/modbus/vectors.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace citygate::modbus;
using namespace modbus_vectors;

namespace {

// The PDU of an RTU frame: without the unit id and the CRC.
std::vector<std::uint8_t> pdu_of(std::string_view rtu_hex)
{
    auto frame = bytes(rtu_hex);
    return {frame.begin() + 1, frame.end() - 2};
}

} // namespace

TEST_CASE("response without request: M1 read holding registers")
{
    response r;
    REQUIRE_FALSE(decode_response_pdu_without_request(pdu_of(m1_read_holding_response), r));
    CHECK(r.function == function_code::read_holding_registers);
    CHECK(r.registers == std::vector<std::uint16_t>{0xAE41, 0x5652, 0x4340});
    CHECK(r.bits.empty());
}

TEST_CASE("response without request: M1 read coils keeps padding bits")
{
    response r;
    REQUIRE_FALSE(decode_response_pdu_without_request(pdu_of(m1_read_coils_response), r));
    CHECK(r.function == function_code::read_coils);
    REQUIRE(r.bits.size() == 40);
    const std::vector<bool> first_37{true,  false, true,  true,  false, false, true,  true,  true,  true,
                                     false, true,  false, true,  true,  false, false, true,  false, false,
                                     true,  true,  false, true,  false, true,  true,  true,  false, false,
                                     false, false, true,  true,  false, true,  true};
    CHECK(std::vector<bool>(r.bits.begin(), r.bits.begin() + 37) == first_37);
}

TEST_CASE("response without request: echoes")
{
    response r;
    REQUIRE_FALSE(decode_response_pdu_without_request(pdu_of(m1_write_coil_request), r));
    CHECK(r.function == function_code::write_single_coil);
    CHECK(r.address == 0x00AC);
    CHECK(r.value == coil_on);

    REQUIRE_FALSE(decode_response_pdu_without_request(pdu_of(m1_write_register_request), r));
    CHECK(r.function == function_code::write_single_register);
    CHECK(r.address == 0x0001);
    CHECK(r.value == 3);

    REQUIRE_FALSE(decode_response_pdu_without_request(pdu_of(m1_write_coils_response), r));
    CHECK(r.function == function_code::write_multiple_coils);
    CHECK(r.address == 0x0013);
    CHECK(r.value == 10);

    REQUIRE_FALSE(decode_response_pdu_without_request(pdu_of(m1_write_registers_response), r));
    CHECK(r.function == function_code::write_multiple_registers);
    CHECK(r.value == 2);
}

TEST_CASE("response without request: M1 exception replies")
{
    const std::string_view frames[] = {m1_exception_01, m1_exception_02, m1_exception_03, m1_exception_04};
    for (std::size_t i = 0; i < 4; ++i) {
        response r;
        auto ec = decode_response_pdu_without_request(pdu_of(frames[i]), r);
        INFO("exception " << i + 1);
        CHECK(ec.category() == exception_category());
        CHECK(ec.value() == static_cast<int>(i + 1));
        CHECK(r.function == function_code::read_holding_registers);
    }
}

TEST_CASE("response without request: rejected PDUs")
{
    response r;
    CHECK(decode_response_pdu_without_request({}, r) == error::byte_count_mismatch);
    CHECK(decode_response_pdu_without_request(std::vector<std::uint8_t>{0x07, 0x00}, r) == error::unsupported_function);
    CHECK(decode_response_pdu_without_request(std::vector<std::uint8_t>{0x87, 0x01}, r) == error::unsupported_function);
    CHECK(decode_response_pdu_without_request(std::vector<std::uint8_t>{0x83, 0x00}, r) == error::zero_exception_code);
    CHECK(decode_response_pdu_without_request(std::vector<std::uint8_t>{0x83, 0x02, 0x00}, r) ==
          error::byte_count_mismatch);
    // Byte count 0, an odd register byte count, and a count that disagrees with the data.
    CHECK(decode_response_pdu_without_request(std::vector<std::uint8_t>{0x03, 0x00}, r) == error::byte_count_mismatch);
    CHECK(decode_response_pdu_without_request(std::vector<std::uint8_t>{0x03, 0x01, 0x00}, r) ==
          error::byte_count_mismatch);
    CHECK(decode_response_pdu_without_request(std::vector<std::uint8_t>{0x03, 0x04, 0x00, 0x01}, r) ==
          error::byte_count_mismatch);
    // Echoes checked as their requests would be.
    CHECK(decode_response_pdu_without_request(std::vector<std::uint8_t>{0x05, 0x00, 0x01, 0x12, 0x34}, r) ==
          error::invalid_coil_value);
    CHECK(decode_response_pdu_without_request(std::vector<std::uint8_t>{0x10, 0x00, 0x01, 0x00, 0x00}, r) ==
          error::invalid_quantity);
    CHECK(decode_response_pdu_without_request(std::vector<std::uint8_t>{0x10, 0xFF, 0xFF, 0x00, 0x02}, r) ==
          error::address_overflow);
    CHECK(decode_response_pdu_without_request(std::vector<std::uint8_t>{0x06, 0x00, 0x01, 0x00}, r) ==
          error::byte_count_mismatch);
}

TEST_CASE("response without request: byte count limit")
{
    std::vector<std::uint8_t> pdu{0x03, 252};
    pdu.resize(2 + 252, 0x00);
    response r;
    CHECK(decode_response_pdu_without_request(pdu, r) == error::byte_count_too_large);

    pdu.assign(2 + 250, 0x00);
    pdu[0] = 0x03;
    pdu[1] = 250;
    REQUIRE_FALSE(decode_response_pdu_without_request(pdu, r));
    CHECK(r.registers.size() == 125);
}
