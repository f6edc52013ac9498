#pragma once
// Checks shared by the Modbus RTU and TCP fuzz targets.

#include "protocols/modbus/pdu.hpp"
#include "protocols/modbus/register_map.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

namespace modbus_fuzz {

using namespace citygate::modbus;

// Feeds the input as a stream: every call must consume at least one byte or
// ask for more, and must never report more bytes than it was given.
template <typename Decode>
void drain(std::span<const std::uint8_t> input, Decode decode)
{
    std::size_t pos = 0;
    while (pos < input.size()) {
        auto result = decode(input.subspan(pos));
        if (result.needs_more())
            return;
        if (result.consumed() == 0 || result.consumed() > input.size() - pos)
            std::abort();
        if (!result.has_frame() && !result.failed())
            std::abort();
        pos += result.consumed();
    }
}

// Requests the response decoders are checked against: every function code,
// including quantities at the specification's limits.
inline const std::vector<request>& expected_requests()
{
    static const std::vector<request> requests{
        make_read_request(function_code::read_coils, 0x0013, 37),
        make_read_request(function_code::read_discrete_inputs, 0, max_read_bits),
        make_read_request(function_code::read_holding_registers, 0x006B, 3),
        make_read_request(function_code::read_input_registers, 0, max_read_registers),
        make_write_single_coil(0x00AC, true),
        make_write_single_register(0x0001, 3),
        make_write_multiple_coils(0x0013, {true, false, true, true, false, false, true, true, true, false}),
        make_write_multiple_registers(0x0001, {0x000A, 0x0102}),
    };
    return requests;
}

// A decoded request must encode and decode to itself.
inline void check_request_round_trip(const request& r)
{
    std::vector<std::uint8_t> pdu;
    if (encode_request_pdu(r, pdu))
        std::abort();
    request again;
    if (decode_request_pdu(pdu, again) || !(again == r))
        std::abort();
}

// Decodes the registers of a 3-register holding read through a register map
// that uses every register type and order.
inline void check_register_map(const request& req, const response& r)
{
    if (req.function != function_code::read_holding_registers || req.quantity != 3)
        return;

    static const std::vector<point> map = [] {
        std::vector<point> points(4);
        points[0].address = 0x006B;
        points[0].type = value_type::f32;
        points[0].words = word_order::low_first;
        points[1].address = 0x006B;
        points[1].type = value_type::i32;
        points[1].bytes = byte_order::low_first;
        points[2].address = 0x006D;
        points[2].type = value_type::bit_field;
        points[2].bit = 3;
        points[2].bit_count = 9;
        points[3].address = 0x006C;
        points[3].type = value_type::boolean;
        points[3].bit = 15;
        return points;
    }();

    std::vector<read_block> blocks;
    if (plan_blocks(map, {}, blocks) || blocks.size() != 1)
        std::abort();
    std::vector<decoded_point> values;
    auto ec = decode_block(map, blocks[0], r, values);
    // Only an f32 NaN or infinity may fail: the response matched the request.
    if (ec && ec != map_error::non_finite_value)
        std::abort();
}

} // namespace modbus_fuzz
