// Register-map decoding and block planning.

#include "protocols/modbus/register_map.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cmath>

using namespace citygate::modbus;

namespace {

point make_point(value_type type, std::uint16_t address = 0, word_order words = word_order::high_first,
                 byte_order bytes = byte_order::high_first)
{
    point p;
    p.metric = "value";
    p.address = address;
    p.type = type;
    p.words = words;
    p.bytes = bytes;
    return p;
}

double number(const point& p, std::vector<std::uint16_t> registers)
{
    point_value out;
    REQUIRE_FALSE(decode_registers(p, registers, out));
    REQUIRE(std::holds_alternative<double>(out));
    return std::get<double>(out);
}

bool flag(const point& p, std::vector<std::uint16_t> registers)
{
    point_value out;
    REQUIRE_FALSE(decode_registers(p, registers, out));
    REQUIRE(std::holds_alternative<bool>(out));
    return std::get<bool>(out);
}

} // namespace

TEST_CASE("u32 in the four word and byte orders")
{
    // 0x12345678 with bytes A=12 B=34 C=56 D=78.
    CHECK(number(make_point(value_type::u32), {0x1234, 0x5678}) == 0x12345678);
    CHECK(number(make_point(value_type::u32, 0, word_order::low_first), {0x5678, 0x1234}) == 0x12345678);
    CHECK(number(make_point(value_type::u32, 0, word_order::high_first, byte_order::low_first), {0x3412, 0x7856}) ==
          0x12345678);
    CHECK(number(make_point(value_type::u32, 0, word_order::low_first, byte_order::low_first), {0x7856, 0x3412}) ==
          0x12345678);
}

TEST_CASE("u16 and i16")
{
    CHECK(number(make_point(value_type::u16), {0xFFFE}) == 65534);
    CHECK(number(make_point(value_type::i16), {0xFFFE}) == -2);
    CHECK(number(make_point(value_type::i16, 0, word_order::high_first, byte_order::low_first), {0xFEFF}) == -2);
}

TEST_CASE("i32 negative")
{
    CHECK(number(make_point(value_type::i32), {0xFFFF, 0xFF38}) == -200);
    CHECK(number(make_point(value_type::i32, 0, word_order::low_first), {0xFF38, 0xFFFF}) == -200);
}

TEST_CASE("f32 and its orders")
{
    // 0x41200000 is 10.0f, and 0xC2F6E979 is about -123.456f.
    CHECK(number(make_point(value_type::f32), {0x4120, 0x0000}) == 10.0);
    CHECK(number(make_point(value_type::f32, 0, word_order::low_first), {0x0000, 0x4120}) == 10.0);
    CHECK(number(make_point(value_type::f32), {0xC2F6, 0xE979}) == doctest::Approx(-123.456).epsilon(1e-6));
}

TEST_CASE("f32 NaN and infinity rejected")
{
    point_value out;
    CHECK(decode_registers(make_point(value_type::f32), std::vector<std::uint16_t>{0x7FC0, 0x0000}, out) ==
          map_error::non_finite_value);
    CHECK(decode_registers(make_point(value_type::f32), std::vector<std::uint16_t>{0x7F80, 0x0000}, out) ==
          map_error::non_finite_value);
}

TEST_CASE("u64 word order")
{
    CHECK(number(make_point(value_type::u64), {0x0000, 0x0001, 0x0002, 0x0003}) == 0x000000010002'0003ULL);
    CHECK(number(make_point(value_type::u64, 0, word_order::low_first), {0x0003, 0x0002, 0x0001, 0x0000}) ==
          0x000000010002'0003ULL);
}

TEST_CASE("bool register bit")
{
    auto p = make_point(value_type::boolean);
    p.bit = 15;
    CHECK(flag(p, {0x8000}));
    CHECK_FALSE(flag(p, {0x7FFF}));
    p.bit = 0;
    CHECK(flag(p, {0x0001}));
}

TEST_CASE("bit field")
{
    auto p = make_point(value_type::bit_field);
    p.bit = 4;
    p.bit_count = 3;
    CHECK(number(p, {0b0000'0000'0101'0000}) == 5);
    CHECK(number(p, {0xFF8F}) == 0);
    p.bit = 0;
    p.bit_count = 16;
    CHECK(number(p, {0xFFFF}) == 65535);
}

TEST_CASE("scale and offset")
{
    auto p = make_point(value_type::i16);
    p.scale = 0.1;
    p.offset = -40.0;
    CHECK(number(p, {0x0190}) == doctest::Approx(0.0)); // 400 * 0.1 - 40
    CHECK(number(p, {0xFFFF}) == doctest::Approx(-40.1));
}

TEST_CASE("M2 temperature as u32 scaled by 0.1")
{
    // HCP TC038D reply 0000 03E8 (pymeasure tests/instruments/hcp/test_tc038d.py): 100 degrees.
    auto p = make_point(value_type::u32);
    p.scale = 0.1;
    CHECK(number(p, {0x0000, 0x03E8}) == doctest::Approx(100.0));
}

TEST_CASE("decode with wrong register count")
{
    point_value out;
    CHECK(decode_registers(make_point(value_type::u32), std::vector<std::uint16_t>{1}, out) == map_error::register_count);
}

TEST_CASE("point validation")
{
    auto coil = make_point(value_type::u16);
    coil.table = table::coil;
    CHECK(validate(coil) == map_error::type_not_allowed);
    coil.type = value_type::boolean;
    CHECK_FALSE(validate(coil));

    auto field = make_point(value_type::bit_field);
    field.bit = 12;
    field.bit_count = 5;
    CHECK(validate(field) == map_error::bit_out_of_range);
    field.bit_count = 0;
    CHECK(validate(field) == map_error::bit_out_of_range);

    auto flag_point = make_point(value_type::boolean);
    flag_point.bit = 16;
    CHECK(validate(flag_point) == map_error::bit_out_of_range);

    CHECK(validate(make_point(value_type::u32, 0xFFFF)) == map_error::address_overflow);
    CHECK_FALSE(validate(make_point(value_type::u32, 0xFFFE)));
}

TEST_CASE("plan merges neighbouring registers")
{
    std::vector<point> map{make_point(value_type::u16, 2), make_point(value_type::u32, 0),
                           make_point(value_type::f32, 3), make_point(value_type::u16, 10)};
    std::vector<read_block> blocks;
    REQUIRE_FALSE(plan_blocks(map, {}, blocks));

    REQUIRE(blocks.size() == 2);
    CHECK(blocks[0].address == 0);
    CHECK(blocks[0].quantity == 5);
    CHECK(blocks[0].points == std::vector<std::size_t>{1, 0, 2});
    CHECK(blocks[1].address == 10);
    CHECK(blocks[1].quantity == 1);
}

TEST_CASE("plan joins across a gap up to max_gap")
{
    std::vector<point> map{make_point(value_type::u16, 0), make_point(value_type::u16, 3)};
    std::vector<read_block> blocks;

    REQUIRE_FALSE(plan_blocks(map, {125, 2000, 1}, blocks));
    CHECK(blocks.size() == 2);

    REQUIRE_FALSE(plan_blocks(map, {125, 2000, 2}, blocks));
    REQUIRE(blocks.size() == 1);
    CHECK(blocks[0].quantity == 4);
}

TEST_CASE("plan splits at the maximum block size")
{
    std::vector<point> map;
    for (std::uint16_t a = 0; a < 20; a += 2)
        map.push_back(make_point(value_type::u32, a));
    std::vector<read_block> blocks;
    REQUIRE_FALSE(plan_blocks(map, {8, 2000, 0}, blocks));

    // 20 registers in blocks of at most 8, never splitting a u32.
    REQUIRE(blocks.size() == 3);
    CHECK(blocks[0].quantity == 8);
    CHECK(blocks[1].address == 8);
    CHECK(blocks[1].quantity == 8);
    CHECK(blocks[2].address == 16);
    CHECK(blocks[2].quantity == 4);
}

TEST_CASE("plan keeps tables and poll groups apart")
{
    auto holding = make_point(value_type::u16, 0);
    auto input = make_point(value_type::u16, 1);
    input.table = table::input_register;
    auto slow = make_point(value_type::u16, 2);
    slow.poll_group = "slow";
    auto coil = make_point(value_type::boolean, 3);
    coil.table = table::coil;

    std::vector<point> map{holding, input, slow, coil};
    std::vector<read_block> blocks;
    REQUIRE_FALSE(plan_blocks(map, {}, blocks));
    CHECK(blocks.size() == 4);
    for (const auto& b : blocks)
        CHECK(b.points.size() == 1);
}

TEST_CASE("plan merges coils within the bit limit")
{
    std::vector<point> map;
    for (std::uint16_t a : std::array<std::uint16_t, 5>{0, 1, 2, 1999, 2000}) {
        auto p = make_point(value_type::boolean, a);
        p.table = table::coil;
        map.push_back(p);
    }
    std::vector<read_block> blocks;
    REQUIRE_FALSE(plan_blocks(map, {125, 2000, 2000}, blocks));

    REQUIRE(blocks.size() == 2);
    CHECK(blocks[0].quantity == 2000);
    CHECK(make_block_request(blocks[0]).function == function_code::read_coils);
    CHECK(blocks[1].address == 2000);
}

TEST_CASE("plan rejects bad limits and points")
{
    std::vector<read_block> blocks;
    std::vector<point> map{make_point(value_type::u64, 0)};
    CHECK(plan_blocks(map, {3, 2000, 0}, blocks) == map_error::point_exceeds_block);
    CHECK(plan_blocks(map, {0, 2000, 0}, blocks) == map_error::invalid_limits);
    CHECK(plan_blocks(map, {126, 2000, 0}, blocks) == map_error::invalid_limits);
    CHECK(plan_blocks(map, {125, 2001, 0}, blocks) == map_error::invalid_limits);

    map.push_back(make_point(value_type::u32, 0xFFFF));
    CHECK(plan_blocks(map, {}, blocks) == map_error::address_overflow);
}

TEST_CASE("decode block from a response")
{
    // Registers of the M1 read-holding reply: 0x006B = AE41, 0x006C = 5652, 0x006D = 4340.
    auto whole = make_point(value_type::u32, 0x006B);
    auto last = make_point(value_type::i16, 0x006D);
    std::vector<point> map{whole, last};
    std::vector<read_block> blocks;
    REQUIRE_FALSE(plan_blocks(map, {}, blocks));
    REQUIRE(blocks.size() == 1);
    CHECK(make_block_request(blocks[0]) == make_read_request(function_code::read_holding_registers, 0x006B, 3));

    response r;
    r.function = function_code::read_holding_registers;
    r.registers = {0xAE41, 0x5652, 0x4340};
    std::vector<decoded_point> values;
    REQUIRE_FALSE(decode_block(map, blocks[0], r, values));

    REQUIRE(values.size() == 2);
    CHECK(values[0].index == 0);
    CHECK(std::get<double>(values[0].value) == 0xAE415652);
    CHECK(values[1].index == 1);
    CHECK(std::get<double>(values[1].value) == 0x4340);
}

TEST_CASE("decode block rejects a short response")
{
    std::vector<point> map{make_point(value_type::u32, 0)};
    std::vector<read_block> blocks;
    REQUIRE_FALSE(plan_blocks(map, {}, blocks));

    response r;
    r.function = function_code::read_holding_registers;
    r.registers = {1};
    std::vector<decoded_point> values;
    CHECK(decode_block(map, blocks[0], r, values) == map_error::block_mismatch);
    CHECK(values.empty());
}
