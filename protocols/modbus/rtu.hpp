#pragma once
// Modbus RTU framing (Modbus over Serial Line V1.02):
//   unit id (1) | PDU (1-253) | CRC-16 (2, low byte first)
// CRC-16/MODBUS: reflected polynomial 0xA001, initial value 0xFFFF.
// RTU has no length field and no start byte: a frame ends after 3.5
// character times of silence. This decoder measures the frame from its
// function code and byte count instead, so it also works on bytes that
// arrive in pieces.

#include "protocols/common/decode_result.hpp"
#include "protocols/modbus/counters.hpp"
#include "protocols/modbus/pdu.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

namespace citygate::modbus {

inline constexpr std::size_t max_rtu_adu_size = 256;
inline constexpr std::uint8_t broadcast_unit = 0;

std::uint16_t crc16(std::span<const std::uint8_t> bytes) noexcept;

// Appends the CRC to unit id + PDU.
std::vector<std::uint8_t> encode_rtu(std::uint8_t unit, std::span<const std::uint8_t> pdu);

struct rtu_adu {
    std::uint8_t unit = 0;
    std::vector<std::uint8_t> pdu;
};

// Decodes one RTU frame from the start of `bytes`, sent by a master
// (is_request true) or by a slave. need_more while `bytes` is a valid prefix.
// An unknown function code or an oversize byte count leaves the frame's end
// unknown, so consumed() is 1 and the caller rescans from the next byte. A
// bad CRC consumes the whole measured frame.
proto::decode_result<rtu_adu> decode_rtu_frame(std::span<const std::uint8_t> bytes, bool is_request, counters& stats);

// Decodes the reply of `unit` to `req`. Failures after a valid frame
// (unit_mismatch, function_mismatch, byte_count_mismatch, echo_mismatch, an
// exception reply) consume the whole frame.
proto::decode_result<response> decode_rtu_response(std::span<const std::uint8_t> bytes, std::uint8_t unit,
                                                   const request& req, counters& stats);

struct unit_request {
    std::uint8_t unit = 0;
    modbus::request request;
};

// Decodes a master's request, for a slave simulator.
proto::decode_result<unit_request> decode_rtu_request(std::span<const std::uint8_t> bytes, counters& stats);

// Bits on the wire per character: start bit, data bits, parity bit, stop bits.
// The serial line specification's default 8E1 and the 8N2 fallback are 11.
constexpr unsigned bits_per_character(unsigned data_bits, bool parity, unsigned stop_bits) noexcept
{
    return 1 + data_bits + (parity ? 1u : 0u) + stop_bits;
}

// Minimum silence between RTU frames (t3.5): 3.5 character times, rounded up
// to whole microseconds, and a fixed 1750 us above 19200 baud as the serial
// line specification recommends. Zero for baud 0.
std::chrono::microseconds inter_frame_silence(std::uint32_t baud, unsigned bits_per_char = 11) noexcept;

// Maximum gap between characters of one frame (t1.5): 1.5 character times,
// and a fixed 750 us above 19200 baud. Zero for baud 0.
std::chrono::microseconds inter_character_timeout(std::uint32_t baud, unsigned bits_per_char = 11) noexcept;

} // namespace citygate::modbus
