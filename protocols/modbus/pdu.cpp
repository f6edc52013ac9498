#include "protocols/modbus/pdu.hpp"

namespace citygate::modbus {

namespace {

using bytes_view = std::span<const std::uint8_t>;

std::uint16_t read_u16(bytes_view bytes, std::size_t at) noexcept
{
    return static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

void put_u16(std::vector<std::uint8_t>& out, std::uint16_t value)
{
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

std::size_t bit_bytes(std::size_t bits) noexcept
{
    return (bits + 7) / 8;
}

bool is_bit_read(function_code f) noexcept
{
    return f == function_code::read_coils || f == function_code::read_discrete_inputs;
}

bool is_register_read(function_code f) noexcept
{
    return f == function_code::read_holding_registers || f == function_code::read_input_registers;
}

std::vector<std::uint8_t> pack_bits(const std::vector<bool>& bits)
{
    // The first bit goes to the least significant bit of the first byte.
    std::vector<std::uint8_t> out(bit_bytes(bits.size()), 0);
    for (std::size_t i = 0; i < bits.size(); ++i) {
        if (bits[i])
            out[i / 8] = static_cast<std::uint8_t>(out[i / 8] | 1u << (i % 8));
    }
    return out;
}

std::vector<bool> unpack_bits(bytes_view packed, std::size_t count)
{
    std::vector<bool> out(count);
    for (std::size_t i = 0; i < count; ++i)
        out[i] = (packed[i / 8] >> (i % 8)) & 1u;
    return out;
}

std::error_code check_range(std::uint16_t address, std::size_t quantity, std::size_t limit) noexcept
{
    if (quantity == 0 || quantity > limit)
        return error::invalid_quantity;
    if (address + quantity > 0x10000)
        return error::address_overflow;
    return {};
}

} // namespace

bool is_supported(std::uint8_t function) noexcept
{
    return (function >= 0x01 && function <= 0x06) || function == 0x0F || function == 0x10;
}

request make_read_request(function_code function, std::uint16_t address, std::uint16_t quantity)
{
    request r;
    r.function = function;
    r.address = address;
    r.quantity = quantity;
    return r;
}

request make_write_single_coil(std::uint16_t address, bool on)
{
    request r;
    r.function = function_code::write_single_coil;
    r.address = address;
    r.value = on ? coil_on : coil_off;
    return r;
}

request make_write_single_register(std::uint16_t address, std::uint16_t value)
{
    request r;
    r.function = function_code::write_single_register;
    r.address = address;
    r.value = value;
    return r;
}

request make_write_multiple_coils(std::uint16_t address, std::vector<bool> coils)
{
    request r;
    r.function = function_code::write_multiple_coils;
    r.address = address;
    r.quantity = static_cast<std::uint16_t>(std::min<std::size_t>(coils.size(), 0xFFFF));
    r.coils = std::move(coils);
    return r;
}

request make_write_multiple_registers(std::uint16_t address, std::vector<std::uint16_t> registers)
{
    request r;
    r.function = function_code::write_multiple_registers;
    r.address = address;
    r.quantity = static_cast<std::uint16_t>(std::min<std::size_t>(registers.size(), 0xFFFF));
    r.registers = std::move(registers);
    return r;
}

std::error_code validate(const request& r) noexcept
{
    switch (r.function) {
    case function_code::read_coils:
    case function_code::read_discrete_inputs:
        return check_range(r.address, r.quantity, max_read_bits);
    case function_code::read_holding_registers:
    case function_code::read_input_registers:
        return check_range(r.address, r.quantity, max_read_registers);
    case function_code::write_single_coil:
        return r.value == coil_on || r.value == coil_off ? std::error_code{} : error::invalid_coil_value;
    case function_code::write_single_register:
        return {};
    case function_code::write_multiple_coils:
        if (r.coils.size() != r.quantity)
            return error::invalid_quantity;
        return check_range(r.address, r.coils.size(), max_write_bits);
    case function_code::write_multiple_registers:
        if (r.registers.size() != r.quantity)
            return error::invalid_quantity;
        return check_range(r.address, r.registers.size(), max_write_registers);
    }
    return error::unsupported_function;
}

std::error_code encode_request_pdu(const request& r, std::vector<std::uint8_t>& pdu)
{
    pdu.clear();
    if (auto ec = validate(r))
        return ec;

    pdu.push_back(static_cast<std::uint8_t>(r.function));
    put_u16(pdu, r.address);
    switch (r.function) {
    case function_code::write_single_coil:
    case function_code::write_single_register:
        put_u16(pdu, r.value);
        break;
    case function_code::write_multiple_coils: {
        put_u16(pdu, r.quantity);
        auto packed = pack_bits(r.coils);
        pdu.push_back(static_cast<std::uint8_t>(packed.size()));
        pdu.insert(pdu.end(), packed.begin(), packed.end());
        break;
    }
    case function_code::write_multiple_registers:
        put_u16(pdu, r.quantity);
        pdu.push_back(static_cast<std::uint8_t>(2 * r.quantity));
        for (auto value : r.registers)
            put_u16(pdu, value);
        break;
    default:
        put_u16(pdu, r.quantity);
        break;
    }
    return {};
}

pdu_length measure_pdu(std::span<const std::uint8_t> bytes, bool is_request) noexcept
{
    if (bytes.empty())
        return {};
    const std::uint8_t function = bytes[0];
    const bool exception = !is_request && (function & exception_bit);
    const auto plain = static_cast<std::uint8_t>(function & ~exception_bit);
    if (!is_supported(exception ? plain : function))
        return {std::nullopt, error::unsupported_function};
    if (exception)
        return {2, {}};

    const bool multiple_write = function == 0x0F || function == 0x10;
    if (is_request && !multiple_write)
        return {5, {}};
    if (!is_request && (multiple_write || function == 0x05 || function == 0x06))
        return {5, {}};

    // A byte count follows: at [1] in read responses, at [5] in 0F/10 requests.
    const std::size_t count_at = is_request ? 5 : 1;
    if (bytes.size() <= count_at)
        return {};
    const std::uint8_t count = bytes[count_at];
    if (count > (is_request ? max_write_byte_count : max_read_byte_count))
        return {std::nullopt, error::byte_count_too_large};
    return {count_at + 1 + count, {}};
}

namespace {

std::error_code decode_write_request(bytes_view pdu, request& out)
{
    out.quantity = read_u16(pdu, 3);
    const std::size_t count = pdu[5];
    if (pdu.size() != 6 + count)
        return error::byte_count_mismatch;

    const bool coils = out.function == function_code::write_multiple_coils;
    const std::size_t limit = coils ? max_write_bits : max_write_registers;
    if (out.quantity == 0 || out.quantity > limit)
        return error::invalid_quantity;
    if (count != (coils ? bit_bytes(out.quantity) : 2u * out.quantity))
        return error::byte_count_mismatch;

    auto data = pdu.subspan(6);
    if (coils)
        out.coils = unpack_bits(data, out.quantity);
    for (std::size_t i = 0; !coils && i < out.quantity; ++i)
        out.registers.push_back(read_u16(data, 2 * i));
    return {};
}

} // namespace

std::error_code decode_request_pdu(std::span<const std::uint8_t> pdu, request& out)
{
    out = request{};
    auto length = measure_pdu(pdu, true);
    if (length.error)
        return length.error;
    if (!length.length || pdu.size() != *length.length)
        return error::byte_count_mismatch;

    out.function = static_cast<function_code>(pdu[0]);
    out.address = read_u16(pdu, 1);
    if (out.function == function_code::write_multiple_coils || out.function == function_code::write_multiple_registers) {
        if (auto ec = decode_write_request(pdu, out))
            return ec;
    } else if (out.function == function_code::write_single_coil || out.function == function_code::write_single_register) {
        out.value = read_u16(pdu, 3);
    } else {
        out.quantity = read_u16(pdu, 3);
    }
    return validate(out);
}

namespace {

std::error_code decode_read_response(const request& req, bytes_view pdu, response& out)
{
    const std::size_t count = pdu[1];
    if (pdu.size() != 2 + count)
        return error::byte_count_mismatch;

    auto data = pdu.subspan(2);
    if (is_bit_read(req.function)) {
        // Padding bits of the last byte are not checked. The specification
        // requires zeros, but a device that sends ones still sent valid data.
        if (count != bit_bytes(req.quantity))
            return error::byte_count_mismatch;
        out.bits = unpack_bits(data, req.quantity);
        return {};
    }
    if (count != 2u * req.quantity)
        return error::byte_count_mismatch;
    for (std::size_t i = 0; i < req.quantity; ++i)
        out.registers.push_back(read_u16(data, 2 * i));
    return {};
}

std::error_code decode_echo(const request& req, bytes_view pdu, response& out)
{
    if (pdu.size() != 5)
        return error::byte_count_mismatch;
    out.address = read_u16(pdu, 1);
    out.value = read_u16(pdu, 3);

    const bool single = req.function == function_code::write_single_coil ||
                        req.function == function_code::write_single_register;
    const std::uint16_t expected = single ? req.value : req.quantity;
    if (out.address != req.address || out.value != expected)
        return error::echo_mismatch;
    return {};
}

} // namespace

std::error_code decode_response_pdu(const request& req, std::span<const std::uint8_t> pdu, response& out)
{
    out = response{};
    if (pdu.empty())
        return error::byte_count_mismatch;

    const auto expected = static_cast<std::uint8_t>(req.function);
    if (pdu[0] == (expected | exception_bit)) {
        if (pdu.size() != 2)
            return error::byte_count_mismatch;
        return make_exception_error(pdu[1]);
    }
    if ((pdu[0] & ~exception_bit) != expected)
        return error::function_mismatch;

    out.function = req.function;
    if (is_bit_read(req.function) || is_register_read(req.function)) {
        if (pdu.size() < 2)
            return error::byte_count_mismatch;
        return decode_read_response(req, pdu, out);
    }
    return decode_echo(req, pdu, out);
}

namespace {

// The request fields a response echoes, checked as the request would be.
std::error_code check_echo(function_code function, bytes_view pdu, response& out)
{
    if (pdu.size() != 5)
        return error::byte_count_mismatch;
    out.address = read_u16(pdu, 1);
    out.value = read_u16(pdu, 3);

    switch (function) {
    case function_code::write_single_coil:
        return out.value == coil_on || out.value == coil_off ? std::error_code{} : error::invalid_coil_value;
    case function_code::write_multiple_coils:
        return check_range(out.address, out.value, max_write_bits);
    case function_code::write_multiple_registers:
        return check_range(out.address, out.value, max_write_registers);
    default:
        return {};
    }
}

std::error_code decode_read_data(function_code function, bytes_view pdu, response& out)
{
    if (pdu.size() < 2 || pdu[1] == 0 || pdu.size() != 2u + pdu[1])
        return error::byte_count_mismatch;
    if (pdu[1] > max_read_byte_count)
        return error::byte_count_too_large;

    const std::size_t count = pdu[1];
    auto data = pdu.subspan(2);
    if (is_bit_read(function)) {
        out.bits = unpack_bits(data, 8 * count);
        return {};
    }
    if (count % 2 != 0)
        return error::byte_count_mismatch;
    for (std::size_t i = 0; i < count / 2; ++i)
        out.registers.push_back(read_u16(data, 2 * i));
    return {};
}

} // namespace

std::error_code decode_response_pdu_without_request(std::span<const std::uint8_t> pdu, response& out)
{
    out = response{};
    if (pdu.empty())
        return error::byte_count_mismatch;

    const auto plain = static_cast<std::uint8_t>(pdu[0] & ~exception_bit);
    if (!is_supported(plain))
        return error::unsupported_function;
    out.function = static_cast<function_code>(plain);

    if (pdu[0] & exception_bit) {
        if (pdu.size() != 2)
            return error::byte_count_mismatch;
        return make_exception_error(pdu[1]);
    }
    if (is_bit_read(out.function) || is_register_read(out.function))
        return decode_read_data(out.function, pdu, out);
    return check_echo(out.function, pdu, out);
}

std::vector<std::uint8_t> encode_bits_pdu(function_code function, const std::vector<bool>& values)
{
    auto packed = pack_bits(values);
    std::vector<std::uint8_t> out{static_cast<std::uint8_t>(function), static_cast<std::uint8_t>(packed.size())};
    out.insert(out.end(), packed.begin(), packed.end());
    return out;
}

std::vector<std::uint8_t> encode_registers_pdu(function_code function, std::span<const std::uint16_t> values)
{
    std::vector<std::uint8_t> out{static_cast<std::uint8_t>(function), static_cast<std::uint8_t>(2 * values.size())};
    for (auto value : values)
        put_u16(out, value);
    return out;
}

std::vector<std::uint8_t> encode_echo_pdu(const request& r)
{
    std::vector<std::uint8_t> out{static_cast<std::uint8_t>(r.function)};
    put_u16(out, r.address);
    const bool single = r.function == function_code::write_single_coil || r.function == function_code::write_single_register;
    put_u16(out, single ? r.value : r.quantity);
    return out;
}

std::vector<std::uint8_t> encode_exception_pdu(std::uint8_t function, exception_code code)
{
    return {static_cast<std::uint8_t>(function | exception_bit), static_cast<std::uint8_t>(code)};
}

} // namespace citygate::modbus
