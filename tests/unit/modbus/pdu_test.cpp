// Request limits of the Modbus application protocol and PDU round trips.

#include "protocols/modbus/pdu.hpp"

#include <doctest/doctest.h>

using namespace citygate::modbus;

TEST_CASE("read quantity limits")
{
    CHECK_FALSE(validate(make_read_request(function_code::read_coils, 0, 2000)));
    CHECK(validate(make_read_request(function_code::read_coils, 0, 2001)) == error::invalid_quantity);
    CHECK_FALSE(validate(make_read_request(function_code::read_discrete_inputs, 0, 2000)));
    CHECK(validate(make_read_request(function_code::read_discrete_inputs, 0, 2001)) == error::invalid_quantity);
    CHECK_FALSE(validate(make_read_request(function_code::read_holding_registers, 0, 125)));
    CHECK(validate(make_read_request(function_code::read_holding_registers, 0, 126)) == error::invalid_quantity);
    CHECK_FALSE(validate(make_read_request(function_code::read_input_registers, 0, 125)));
    CHECK(validate(make_read_request(function_code::read_input_registers, 0, 126)) == error::invalid_quantity);
    CHECK(validate(make_read_request(function_code::read_holding_registers, 0, 0)) == error::invalid_quantity);
}

TEST_CASE("write quantity limits")
{
    CHECK_FALSE(validate(make_write_multiple_registers(0, std::vector<std::uint16_t>(123))));
    CHECK(validate(make_write_multiple_registers(0, std::vector<std::uint16_t>(124))) == error::invalid_quantity);
    CHECK(validate(make_write_multiple_registers(0, {})) == error::invalid_quantity);
    CHECK_FALSE(validate(make_write_multiple_coils(0, std::vector<bool>(1968))));
    CHECK(validate(make_write_multiple_coils(0, std::vector<bool>(1969))) == error::invalid_quantity);
}

TEST_CASE("request address overflow")
{
    CHECK_FALSE(validate(make_read_request(function_code::read_holding_registers, 0xFFFF, 1)));
    CHECK(validate(make_read_request(function_code::read_holding_registers, 0xFFFF, 2)) == error::address_overflow);
    CHECK(validate(make_write_multiple_coils(0xFFF0, std::vector<bool>(17))) == error::address_overflow);
}

TEST_CASE("single coil value")
{
    auto r = make_write_single_coil(1, true);
    CHECK(r.value == coil_on);
    r.value = 0x0001;
    CHECK(validate(r) == error::invalid_coil_value);

    std::vector<std::uint8_t> pdu{0x05, 0x00, 0x01, 0x12, 0x34};
    request decoded;
    CHECK(decode_request_pdu(pdu, decoded) == error::invalid_coil_value);
}

TEST_CASE("encode rejects invalid request")
{
    std::vector<std::uint8_t> pdu{1, 2, 3};
    CHECK(encode_request_pdu(make_read_request(function_code::read_coils, 0, 0), pdu) == error::invalid_quantity);
    CHECK(pdu.empty());
}

TEST_CASE("request pdu round trip at the limits")
{
    std::vector<bool> coils(max_write_bits);
    for (std::size_t i = 0; i < coils.size(); i += 3)
        coils[i] = true;
    std::vector<std::uint16_t> registers(max_write_registers);
    for (std::size_t i = 0; i < registers.size(); ++i)
        registers[i] = static_cast<std::uint16_t>(0xF000 + i);

    for (const auto& r : {make_write_multiple_coils(10, coils), make_write_multiple_registers(10, registers),
                          make_read_request(function_code::read_coils, 0, max_read_bits),
                          make_write_single_register(0xFFFF, 0xBEEF), make_write_single_coil(3, false)}) {
        std::vector<std::uint8_t> pdu;
        REQUIRE_FALSE(encode_request_pdu(r, pdu));
        CHECK(pdu.size() <= max_pdu_size);
        request decoded;
        REQUIRE_FALSE(decode_request_pdu(pdu, decoded));
        CHECK(decoded == r);
    }
}

TEST_CASE("write request byte count must match quantity")
{
    // 0F for 10 coils needs 2 data bytes, but this byte count is 3.
    std::vector<std::uint8_t> pdu{0x0F, 0x00, 0x13, 0x00, 0x0A, 0x03, 0xCD, 0x01, 0x00};
    request decoded;
    CHECK(decode_request_pdu(pdu, decoded) == error::byte_count_mismatch);
}

TEST_CASE("bit response ignores padding bits")
{
    // 3 coils requested, and the device sets the unused bits 3-7.
    std::vector<std::uint8_t> pdu{0x01, 0x01, 0xFD};
    response r;
    REQUIRE_FALSE(decode_response_pdu(make_read_request(function_code::read_coils, 0, 3), pdu, r));
    CHECK(r.bits == std::vector<bool>{true, false, true});
}

TEST_CASE("exception with an undefined code")
{
    std::vector<std::uint8_t> pdu{0x83, 0x7F};
    response r;
    auto ec = decode_response_pdu(make_read_request(function_code::read_holding_registers, 0, 1), pdu, r);
    CHECK(ec.category() == exception_category());
    CHECK(ec.value() == 0x7F);
    CHECK(ec.message() == "Modbus exception 7F UNKNOWN EXCEPTION");
}

TEST_CASE("exception with code 00")
{
    // Found by fuzz_modbus_tcp: code 00 used to make a false error_code, so
    // the reply passed as a valid response without registers.
    std::vector<std::uint8_t> pdu{0x83, 0x00};
    response r;
    auto ec = decode_response_pdu(make_read_request(function_code::read_holding_registers, 0, 1), pdu, r);
    CHECK(ec == error::zero_exception_code);
}

TEST_CASE("exception names")
{
    CHECK(exception_name(0x01) == "ILLEGAL FUNCTION");
    CHECK(exception_name(0x02) == "ILLEGAL DATA ADDRESS");
    CHECK(exception_name(0x03) == "ILLEGAL DATA VALUE");
    CHECK(exception_name(0x04) == "SERVER DEVICE FAILURE");
    CHECK(exception_name(0x06) == "SERVER DEVICE BUSY");
    CHECK(exception_name(0x0B) == "GATEWAY TARGET DEVICE FAILED TO RESPOND");
}
