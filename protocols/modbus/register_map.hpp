#pragma once
// Register maps: how a device's values sit in its coils and registers, and
// how neighbouring points are read together. Pure functions, no I/O.
//
// Word and byte order name the four common layouts of a 32-bit value with
// bytes A (most significant) to D: ABCD (both high_first, the Modbus
// default), CDAB (words low_first), BADC (bytes low_first), DCBA (both).
// 64-bit values follow the same rule over four registers.

#include "protocols/modbus/pdu.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

namespace citygate::modbus {

enum class table : std::uint8_t {
    coil,             // read with 01
    discrete_input,   // read with 02
    holding_register, // read with 03
    input_register,   // read with 04
};

enum class value_type { u16, i16, u32, i32, f32, u64, boolean, bit_field };
enum class word_order { high_first, low_first };
enum class byte_order { high_first, low_first };

struct point {
    std::string metric;
    std::string unit; // SenML unit, empty if none
    modbus::table table = table::holding_register;
    std::uint16_t address = 0;
    value_type type = value_type::u16;
    word_order words = word_order::high_first;
    byte_order bytes = byte_order::high_first;
    double scale = 1.0; // value = raw * scale + offset, except for boolean points
    double offset = 0.0;
    std::uint8_t bit = 0;       // boolean and bit_field in a register: lowest bit, 0-15
    std::uint8_t bit_count = 1; // bit_field width, 1-16
    std::string poll_group;     // points of different groups never share a block
};

enum class map_error {
    type_not_allowed = 1, // coils and discrete inputs hold only boolean points
    bit_out_of_range,     // bit + bit_count runs past bit 15, or bit_count is 0
    address_overflow,     // the point's registers run past address 65535
    point_exceeds_block,  // the point spans more registers than the block limit
    invalid_limits,       // block limits outside 1-125 registers or 1-2000 bits
    non_finite_value,     // an f32 register pair contains NaN or infinity
    register_count,       // the caller passed another register count than the type needs
    block_mismatch,       // a response does not match the block it was requested for
    not_writable,         // bool and bits points share their register with other values
    value_out_of_range,   // the raw value of a write does not fit the point's type
};

const std::error_category& map_error_category() noexcept;
std::error_code make_error_code(map_error e) noexcept;

function_code read_function(table t) noexcept;
bool is_bit_table(table t) noexcept;

// Registers a value of this type spans: 1 (u16, i16, boolean, bit_field),
// 2 (u32, i32, f32) or 4 (u64).
std::size_t register_count(value_type type) noexcept;

// Coils or registers the point spans in its table.
std::size_t point_span(const point& p) noexcept;

std::error_code validate(const point& p) noexcept;

using point_value = std::variant<double, bool>;

// Decodes a register-table point from exactly register_count(p.type)
// registers, applying word and byte order, then scale and offset.
// NOTE: u64 values above 2^53 lose precision, because values travel as double.
std::error_code decode_registers(const point& p, std::span<const std::uint16_t> registers, point_value& out);

// Encodes `value` into register_count(p.type) registers, the inverse of
// decode_registers: raw = (value - offset) / scale, rounded to the nearest
// integer (halves away from zero) for integer types, then split by word and
// byte order. value_out_of_range when the raw value is not finite or does not
// fit the type; not_writable for boolean and bit_field points, because
// writing them would overwrite the other bits of their register.
// NOTE: u64 raw values above 2^53 are not exact, because values travel as double.
std::error_code encode_registers(const point& p, double value, std::vector<std::uint16_t>& out);

struct block_limits {
    std::uint16_t max_registers = max_read_registers;
    std::uint16_t max_bits = max_read_bits;
    // Unused addresses a block may read to join two points. 0 by default,
    // because many devices reply ILLEGAL DATA ADDRESS for unmapped registers.
    std::uint16_t max_gap = 0;
};

// One read request covering neighbouring points of one table and poll group.
struct read_block {
    modbus::table table = table::holding_register;
    std::string poll_group;
    std::uint16_t address = 0;
    std::uint16_t quantity = 0;
    std::vector<std::size_t> points; // indexes into the map, in address order
};

// Groups the points into read blocks after validating every point. Points are
// sorted by poll group, table and address. A point joins the previous block
// when it overlaps it or starts at most max_gap addresses after its end, and
// the grown block stays within its limit.
std::error_code plan_blocks(std::span<const point> points, const block_limits& limits, std::vector<read_block>& out);

request make_block_request(const read_block& block);

struct decoded_point {
    std::size_t index = 0; // into the map
    point_value value;
};

// Decodes every point of `block` from the response to make_block_request(block).
std::error_code decode_block(std::span<const point> points, const read_block& block, const response& r,
                             std::vector<decoded_point>& out);

} // namespace citygate::modbus

template <>
struct std::is_error_code_enum<citygate::modbus::map_error> : std::true_type {};
