// Register encoding for writes: the inverse of decode_registers, for every
// type and word/byte order, with rounding and range checks.

#include "protocols/modbus/register_map.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace citygate::modbus;

namespace {

point make_point(value_type type, word_order words = word_order::high_first, byte_order bytes = byte_order::high_first)
{
    point p;
    p.metric = "value";
    p.type = type;
    p.words = words;
    p.bytes = bytes;
    return p;
}

std::vector<std::uint16_t> encode(const point& p, double value)
{
    std::vector<std::uint16_t> out;
    REQUIRE_FALSE(encode_registers(p, value, out));
    return out;
}

double decode(const point& p, const std::vector<std::uint16_t>& registers)
{
    point_value out;
    REQUIRE_FALSE(decode_registers(p, registers, out));
    return std::get<double>(out);
}

std::error_code encode_error(const point& p, double value)
{
    std::vector<std::uint16_t> out;
    auto ec = encode_registers(p, value, out);
    CHECK(out.empty());
    return ec;
}

} // namespace

TEST_CASE("u32 encodes in the four orders")
{
    // 0x12345678 with bytes A=12 B=34 C=56 D=78, the layouts decode_registers reads.
    using v = std::vector<std::uint16_t>;
    CHECK(encode(make_point(value_type::u32), 0x12345678) == v{0x1234, 0x5678});
    CHECK(encode(make_point(value_type::u32, word_order::low_first), 0x12345678) == v{0x5678, 0x1234});
    CHECK(encode(make_point(value_type::u32, word_order::high_first, byte_order::low_first), 0x12345678) ==
          v{0x3412, 0x7856});
    CHECK(encode(make_point(value_type::u32, word_order::low_first, byte_order::low_first), 0x12345678) ==
          v{0x7856, 0x3412});
}

TEST_CASE("u64 encodes most significant word first")
{
    using v = std::vector<std::uint16_t>;
    CHECK(encode(make_point(value_type::u64), 0x0001000200030004) == v{0x0001, 0x0002, 0x0003, 0x0004});
    CHECK(encode(make_point(value_type::u64, word_order::low_first), 0x0001000200030004) ==
          v{0x0004, 0x0003, 0x0002, 0x0001});
}

TEST_CASE("round trip every type and order")
{
    struct sample {
        value_type type;
        double value;
    };
    const sample samples[] = {
        {value_type::u16, 0},          {value_type::u16, 65535},     {value_type::u16, 1234},
        {value_type::i16, -32768},     {value_type::i16, 32767},     {value_type::i16, -2},
        {value_type::u32, 4294967295}, {value_type::u32, 305419896}, {value_type::i32, -2147483648.0},
        {value_type::i32, 2147483647}, {value_type::i32, -100000},   {value_type::f32, 3.5},
        {value_type::f32, -0.15625},   {value_type::f32, 1e30},      {value_type::u64, 9007199254740991.0},
        {value_type::u64, 0},
    };
    for (auto words : {word_order::high_first, word_order::low_first}) {
        for (auto bytes : {byte_order::high_first, byte_order::low_first}) {
            for (const auto& s : samples) {
                const auto p = make_point(s.type, words, bytes);
                INFO("type " << static_cast<int>(s.type) << " value " << s.value << " words "
                             << static_cast<int>(words) << " bytes " << static_cast<int>(bytes));
                const auto registers = encode(p, s.value);
                CHECK(registers.size() == register_count(s.type));
                CHECK(decode(p, registers) == doctest::Approx(s.value).epsilon(1e-7));
            }
        }
    }
}

TEST_CASE("scale and offset are inverted")
{
    auto p = make_point(value_type::i16);
    p.scale = 0.1;
    p.offset = -40;
    // raw = (21.5 - -40) / 0.1 = 615
    CHECK(encode(p, 21.5) == std::vector<std::uint16_t>{615});
    CHECK(decode(p, encode(p, 21.5)) == doctest::Approx(21.5));

    auto level = make_point(value_type::u32, word_order::low_first);
    level.scale = 0.001;
    CHECK(decode(level, encode(level, 12.345)) == doctest::Approx(12.345));
}

TEST_CASE("integer raw values are rounded")
{
    auto p = make_point(value_type::u16);
    p.scale = 0.1;
    CHECK(encode(p, 2.04) == std::vector<std::uint16_t>{20});
    CHECK(encode(p, 2.06) == std::vector<std::uint16_t>{21});
    CHECK(encode(make_point(value_type::i16), -2.5) == std::vector<std::uint16_t>{0xFFFD});
    CHECK(encode(make_point(value_type::u16), 65535.4) == std::vector<std::uint16_t>{0xFFFF});
}

TEST_CASE("values out of range are rejected")
{
    CHECK(encode_error(make_point(value_type::u16), -1) == map_error::value_out_of_range);
    CHECK(encode_error(make_point(value_type::u16), 65535.5) == map_error::value_out_of_range);
    CHECK(encode_error(make_point(value_type::i16), 32768) == map_error::value_out_of_range);
    CHECK(encode_error(make_point(value_type::i16), -32769) == map_error::value_out_of_range);
    CHECK(encode_error(make_point(value_type::u32), 4294967296.0) == map_error::value_out_of_range);
    CHECK(encode_error(make_point(value_type::i32), 2147483648.0) == map_error::value_out_of_range);
    CHECK(encode_error(make_point(value_type::u64), -1) == map_error::value_out_of_range);
    CHECK(encode_error(make_point(value_type::u64), 18446744073709551616.0) == map_error::value_out_of_range);
    CHECK(encode_error(make_point(value_type::f32), 1e39) == map_error::value_out_of_range);
    CHECK(encode_error(make_point(value_type::f32), std::nan("")) == map_error::value_out_of_range);
    CHECK(encode_error(make_point(value_type::u16), std::numeric_limits<double>::infinity()) ==
          map_error::value_out_of_range);

    // With scale 0.1 a u16 holds 0 to 6553.5.
    auto p = make_point(value_type::u16);
    p.scale = 0.1;
    CHECK(encode_error(p, 6553.6) == map_error::value_out_of_range);
    p.scale = 0;
    CHECK(encode_error(p, 1) == map_error::value_out_of_range);
}

TEST_CASE("bool and bits points are not writable")
{
    CHECK(encode_error(make_point(value_type::boolean), 1) == map_error::not_writable);
    CHECK(encode_error(make_point(value_type::bit_field), 1) == map_error::not_writable);
}
