#include "protocols/modbus/register_map.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>

namespace citygate::modbus {

namespace {

class map_category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.modbus_map"; }

    std::string message(int value) const override
    {
        switch (static_cast<map_error>(value)) {
        case map_error::type_not_allowed:
            return "Modbus point type not allowed: coils and discrete inputs hold only bool points";
        case map_error::bit_out_of_range:
            return "Modbus point bits out of range: bit plus bit count must stay within bits 0-15";
        case map_error::address_overflow:
            return "Modbus point runs past register address 65535";
        case map_error::point_exceeds_block:
            return "Modbus point spans more registers than the maximum block size";
        case map_error::invalid_limits:
            return "Modbus block limits must be 1-125 registers and 1-2000 bits";
        case map_error::non_finite_value:
            return "Modbus f32 value is NaN or infinite";
        case map_error::register_count:
            return "Modbus point decoded from the wrong number of registers";
        case map_error::block_mismatch:
            return "Modbus response does not match the block it answers";
        case map_error::not_writable:
            return "Modbus bool and bits points in a register cannot be written, because the write would "
                   "overwrite the other bits of the register";
        case map_error::value_out_of_range:
            return "Modbus value out of range for the point's type after scale and offset";
        }
        return "unknown Modbus register map error";
    }
};

} // namespace

const std::error_category& map_error_category() noexcept
{
    static const map_category_impl category;
    return category;
}

std::error_code make_error_code(map_error e) noexcept
{
    return {static_cast<int>(e), map_error_category()};
}

function_code read_function(table t) noexcept
{
    switch (t) {
    case table::coil: return function_code::read_coils;
    case table::discrete_input: return function_code::read_discrete_inputs;
    case table::input_register: return function_code::read_input_registers;
    case table::holding_register: break;
    }
    return function_code::read_holding_registers;
}

bool is_bit_table(table t) noexcept
{
    return t == table::coil || t == table::discrete_input;
}

std::size_t register_count(value_type type) noexcept
{
    switch (type) {
    case value_type::u32:
    case value_type::i32:
    case value_type::f32:
        return 2;
    case value_type::u64:
        return 4;
    default:
        return 1;
    }
}

std::size_t point_span(const point& p) noexcept
{
    return is_bit_table(p.table) ? 1 : register_count(p.type);
}

std::error_code validate(const point& p) noexcept
{
    if (is_bit_table(p.table) && p.type != value_type::boolean)
        return map_error::type_not_allowed;
    if (p.type == value_type::boolean && p.bit > 15)
        return map_error::bit_out_of_range;
    if (p.type == value_type::bit_field && (p.bit_count == 0 || p.bit + p.bit_count > 16))
        return map_error::bit_out_of_range;
    if (p.address + point_span(p) > 0x10000)
        return map_error::address_overflow;
    return {};
}

namespace {

// Puts the registers in most-significant-first order, bytes included.
std::uint64_t combine(const point& p, std::span<const std::uint16_t> registers)
{
    std::uint64_t raw = 0;
    const std::size_t n = registers.size();
    for (std::size_t i = 0; i < n; ++i) {
        std::uint16_t word = p.words == word_order::high_first ? registers[i] : registers[n - 1 - i];
        if (p.bytes == byte_order::low_first)
            word = static_cast<std::uint16_t>(word << 8 | word >> 8);
        raw = raw << 16 | word;
    }
    return raw;
}

double to_number(const point& p, std::uint64_t raw)
{
    switch (p.type) {
    case value_type::i16: return static_cast<std::int16_t>(static_cast<std::uint16_t>(raw));
    case value_type::i32: return static_cast<std::int32_t>(static_cast<std::uint32_t>(raw));
    case value_type::f32: return std::bit_cast<float>(static_cast<std::uint32_t>(raw));
    case value_type::u64: return static_cast<double>(raw);
    case value_type::bit_field: {
        const std::uint64_t mask = (std::uint64_t{1} << p.bit_count) - 1;
        return static_cast<double>(raw >> p.bit & mask);
    }
    default: return static_cast<double>(raw);
    }
}

} // namespace

std::error_code decode_registers(const point& p, std::span<const std::uint16_t> registers, point_value& out)
{
    if (registers.size() != register_count(p.type))
        return map_error::register_count;

    const std::uint64_t raw = combine(p, registers);
    if (p.type == value_type::boolean) {
        out = ((raw >> p.bit) & 1u) != 0;
        return {};
    }

    const double number = to_number(p, raw);
    if (!std::isfinite(number))
        return map_error::non_finite_value;
    out = number * p.scale + p.offset;
    return {};
}

namespace {

// Raw value limits of the integer types, as doubles. 2^64 itself is out of
// range for u64, and every double below it converts exactly.
struct raw_range {
    double min;
    double max_exclusive;
};

raw_range integer_range(value_type type) noexcept
{
    switch (type) {
    case value_type::u16: return {0.0, 65536.0};
    case value_type::i16: return {-32768.0, 32768.0};
    case value_type::u32: return {0.0, 4294967296.0};
    case value_type::i32: return {-2147483648.0, 2147483648.0};
    default: return {0.0, 18446744073709551616.0};
    }
}

std::error_code to_raw(const point& p, double value, std::uint64_t& raw)
{
    const double scaled = (value - p.offset) / p.scale;
    if (!std::isfinite(scaled))
        return map_error::value_out_of_range;

    if (p.type == value_type::f32) {
        if (std::fabs(scaled) > static_cast<double>(std::numeric_limits<float>::max()))
            return map_error::value_out_of_range;
        raw = std::bit_cast<std::uint32_t>(static_cast<float>(scaled));
        return {};
    }

    const double rounded = std::round(scaled);
    const auto range = integer_range(p.type);
    if (rounded < range.min || rounded >= range.max_exclusive)
        return map_error::value_out_of_range;
    if (rounded < 0)
        raw = static_cast<std::uint64_t>(static_cast<std::int64_t>(rounded));
    else
        raw = static_cast<std::uint64_t>(rounded);
    return {};
}

// Splits `raw` into `count` registers, the inverse of combine().
void split(const point& p, std::uint64_t raw, std::size_t count, std::vector<std::uint16_t>& out)
{
    out.assign(count, 0);
    for (std::size_t i = 0; i < count; ++i) {
        // Word i counts from the most significant end.
        auto word = static_cast<std::uint16_t>(raw >> (16 * (count - 1 - i)));
        if (p.bytes == byte_order::low_first)
            word = static_cast<std::uint16_t>(word << 8 | word >> 8);
        out[p.words == word_order::high_first ? i : count - 1 - i] = word;
    }
}

} // namespace

std::error_code encode_registers(const point& p, double value, std::vector<std::uint16_t>& out)
{
    out.clear();
    if (p.type == value_type::boolean || p.type == value_type::bit_field)
        return map_error::not_writable;

    std::uint64_t raw = 0;
    if (auto ec = to_raw(p, value, raw))
        return ec;
    split(p, raw, register_count(p.type), out);
    return {};
}

namespace {

std::error_code check_limits(const block_limits& limits) noexcept
{
    if (limits.max_registers == 0 || limits.max_registers > max_read_registers)
        return map_error::invalid_limits;
    if (limits.max_bits == 0 || limits.max_bits > max_read_bits)
        return map_error::invalid_limits;
    return {};
}

std::vector<std::size_t> sorted_indexes(std::span<const point> points)
{
    std::vector<std::size_t> order(points.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const auto& pa = points[a];
        const auto& pb = points[b];
        return std::tie(pa.poll_group, pa.table, pa.address) < std::tie(pb.poll_group, pb.table, pb.address);
    });
    return order;
}

// Adds the point to `block` when the limit allows; returns false otherwise.
bool try_extend(read_block& block, const point& p, std::size_t index, const block_limits& limits)
{
    if (block.points.empty() || block.table != p.table || block.poll_group != p.poll_group)
        return false;

    const std::size_t end = std::size_t{block.address} + block.quantity;
    if (p.address > end + limits.max_gap)
        return false;
    const std::size_t new_end = std::max(end, p.address + point_span(p));
    const std::size_t limit = is_bit_table(p.table) ? limits.max_bits : limits.max_registers;
    if (new_end - block.address > limit)
        return false;

    block.quantity = static_cast<std::uint16_t>(new_end - block.address);
    block.points.push_back(index);
    return true;
}

} // namespace

std::error_code plan_blocks(std::span<const point> points, const block_limits& limits, std::vector<read_block>& out)
{
    out.clear();
    if (auto ec = check_limits(limits))
        return ec;

    for (const auto& p : points) {
        if (auto ec = validate(p))
            return ec;
        const std::size_t limit = is_bit_table(p.table) ? limits.max_bits : limits.max_registers;
        if (point_span(p) > limit)
            return map_error::point_exceeds_block;
    }

    for (std::size_t index : sorted_indexes(points)) {
        const auto& p = points[index];
        if (!out.empty() && try_extend(out.back(), p, index, limits))
            continue;
        read_block block;
        block.table = p.table;
        block.poll_group = p.poll_group;
        block.address = p.address;
        block.quantity = static_cast<std::uint16_t>(point_span(p));
        block.points.push_back(index);
        out.push_back(std::move(block));
    }
    return {};
}

request make_block_request(const read_block& block)
{
    return make_read_request(read_function(block.table), block.address, block.quantity);
}

namespace {

std::error_code decode_point(const point& p, const read_block& block, const response& r, point_value& out)
{
    const std::size_t offset = p.address - block.address;
    if (is_bit_table(block.table)) {
        out = static_cast<bool>(r.bits[offset]);
        return {};
    }
    return decode_registers(p, std::span(r.registers).subspan(offset, register_count(p.type)), out);
}

} // namespace

std::error_code decode_block(std::span<const point> points, const read_block& block, const response& r,
                             std::vector<decoded_point>& out)
{
    out.clear();
    const std::size_t received = is_bit_table(block.table) ? r.bits.size() : r.registers.size();
    if (r.function != read_function(block.table) || received != block.quantity)
        return map_error::block_mismatch;

    for (std::size_t index : block.points) {
        if (index >= points.size())
            return map_error::block_mismatch;
        const auto& p = points[index];
        if (p.address < block.address || p.address + point_span(p) > std::size_t{block.address} + block.quantity)
            return map_error::block_mismatch;

        decoded_point decoded{index, false};
        if (auto ec = decode_point(p, block, r, decoded.value))
            return ec;
        out.push_back(std::move(decoded));
    }
    return {};
}

} // namespace citygate::modbus
