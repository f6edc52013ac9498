#pragma once
// CJ/T 188 (2004 and 2018 editions) link frame:
//   [FE ...] 68 T A0..A6 C L DATA... CS 16
// CS is the 8-bit sum of every byte from 68 through the last data byte. The FE
// wake-up preamble is neither part of the frame nor of the checksum.

#include "protocols/cjt188/error.hpp"
#include "protocols/common/decode_result.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citygate::cjt188 {

inline constexpr std::uint8_t start_byte = 0x68;
inline constexpr std::uint8_t end_byte = 0x16;
inline constexpr std::uint8_t preamble_byte = 0xFE;

// Meters send 0 to 4 FE bytes; a few more are tolerated before the frame is rejected.
inline constexpr std::size_t max_preamble = 8;
// The longest reply decoded here is the heat-meter 901F reply with L = 46.
inline constexpr std::size_t max_data_length = 64;
// 68 T A0..A6 C L
inline constexpr std::size_t header_size = 11;

// Control codes (C). Replies set bit 7; an abnormal reply also sets bit 6.
inline constexpr std::uint8_t ctrl_read_data = 0x01;
inline constexpr std::uint8_t ctrl_read_address = 0x03;
inline constexpr std::uint8_t ctrl_reply_bit = 0x80;
inline constexpr std::uint8_t ctrl_abnormal_bit = 0x40;

// Meter type T, grouped by the ranges the standard assigns.
enum class meter_family {
    water, // 10H-19H: 10 cold water, 11 domestic hot water, 12 drinking water, 13 reclaimed water
    heat,  // 20H-29H: 20 heat, 21 cooling, 22 heat and cooling (2018)
    gas,   // 30H-39H
    other, // 40H-49H custom meters and everything else
};

meter_family classify_meter_type(std::uint8_t type) noexcept;
std::string_view to_string(meter_family family) noexcept;

// The seven address bytes in wire order, A0 first. A0..A4 carry the meter
// number and A5 A6 the manufacturer code, usually as BCD.
struct address {
    std::array<std::uint8_t, 7> bytes{};

    friend bool operator==(const address&, const address&) = default;
};

inline constexpr address broadcast_address{{0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA}};

// Parses the 14 hex digits printed on the meter (A6 first, e.g.
// "78330011223344"); std::nullopt on any other length or a non-hex character.
std::optional<address> parse_address(std::string_view text);

// Formats the address as printed on the meter: 14 upper-case hex digits, A6 first.
std::string to_string(const address& addr);

struct frame {
    std::uint8_t meter_type = 0x10;
    cjt188::address address;
    std::uint8_t control = 0;
    std::vector<std::uint8_t> data; // DI0 DI1 SER ... (L bytes)
};

// Rejection and acceptance counts. Every rejection bumps exactly one error
// counter; garbage_bytes also adds the bytes a no_start_byte rejection dropped.
struct counters {
    std::uint64_t frames_ok = 0;
    std::uint64_t preamble_too_long = 0;
    std::uint64_t garbage_skips = 0; // no_start_byte rejections
    std::uint64_t garbage_bytes = 0; // bytes dropped by those rejections
    std::uint64_t too_long = 0;
    std::uint64_t bad_checksum = 0;
    std::uint64_t bad_end = 0;
    std::uint64_t truncated = 0;
    std::uint64_t bad_bcd = 0;
    std::uint64_t bad_unit = 0;
    std::uint64_t unknown_di = 0;
    std::uint64_t abnormal = 0;
    std::uint64_t unexpected_control = 0;
    std::uint64_t address_mismatch = 0;
    std::uint64_t meter_type_mismatch = 0;
    std::uint64_t unknown_meter_type = 0;
    std::uint64_t bad_valve_command = 0;
    std::uint64_t valve_command_rejected = 0;
    std::uint64_t valve_fault = 0;
    std::uint64_t valve_state_mismatch = 0;

    // Bumps the counter that belongs to a cjt188::error; other codes are ignored.
    void count(std::error_code code) noexcept;

    // Adds every count of `other`, e.g. to publish the counts of one decode pass.
    counters& operator+=(const counters& other) noexcept;
};

// Decodes one link frame from the start of `bytes`.
// need_more while `bytes` is a valid frame prefix. On a framing error the
// result's consumed() counts the preamble and the start byte, so the caller
// drops them and rescans: a 68 inside line noise must not swallow the real
// frame that follows. Bytes before a start byte are rejected as no_start_byte
// with consumed() up to the next 68.
proto::decode_result<frame> decode_frame(std::span<const std::uint8_t> bytes, counters& stats);

// Encodes a frame with `preamble` FE bytes in front.
// Precondition: f.data.size() <= max_data_length.
std::vector<std::uint8_t> encode_frame(const frame& f, std::size_t preamble = 4);

std::uint8_t checksum(std::span<const std::uint8_t> bytes) noexcept;

} // namespace citygate::cjt188
