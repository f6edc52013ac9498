#pragma once
// DL/T 645 (1997 and 2007 editions) link frame:
//   [FE ...] 68 A0..A5 68 C L DATA... CS 16
// CS is the 8-bit sum of every byte from the first 68 through the last data
// byte. The FE wake-up preamble is neither part of the frame nor of the
// checksum. On the wire every data byte is the real byte plus 33H (mod 256);
// frame::data holds the real bytes.

#include "protocols/common/decode_result.hpp"
#include "protocols/dlt645/error.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citygate::dlt645 {

inline constexpr std::uint8_t start_byte = 0x68;
inline constexpr std::uint8_t end_byte = 0x16;
inline constexpr std::uint8_t preamble_byte = 0xFE;
inline constexpr std::uint8_t data_offset = 0x33;

// Meters send 0 to 4 FE bytes; a few more are tolerated before the frame is rejected.
inline constexpr std::size_t max_preamble = 8;
// Both editions limit the data field of a read reply to 200 bytes.
inline constexpr std::size_t max_data_length = 200;
// 68 A0..A5 68 C L
inline constexpr std::size_t header_size = 10;

// Control code C: bit 7 set in replies, bit 6 set in abnormal replies, bit 5
// set when a follow-up frame comes, bits 0-4 the function.
inline constexpr std::uint8_t ctrl_reply_bit = 0x80;
inline constexpr std::uint8_t ctrl_abnormal_bit = 0x40;
inline constexpr std::uint8_t ctrl_follow_up_bit = 0x20;
inline constexpr std::uint8_t ctrl_function_mask = 0x1F;

inline constexpr std::uint8_t ctrl_time_sync = 0x08;          // broadcast time sync, both editions
inline constexpr std::uint8_t ctrl_read_data_1997 = 0x01;
inline constexpr std::uint8_t ctrl_read_data_2007 = 0x11;
inline constexpr std::uint8_t ctrl_read_address_2007 = 0x13;

// The six address bytes in wire order, A0 first. Each byte is two BCD digits
// of the 12-digit number printed on the meter.
struct address {
    std::array<std::uint8_t, 6> bytes{};

    friend bool operator==(const address&, const address&) = default;
};

// Wildcard address: every meter on the bus replies to it (read address).
inline constexpr address wildcard_address{{0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA}};
// Broadcast address of commands that get no reply (time sync).
inline constexpr address broadcast_address{{0x99, 0x99, 0x99, 0x99, 0x99, 0x99}};

// Parses the 12 decimal digits printed on the meter (A5 first, e.g.
// "000000000161"); std::nullopt on any other length or a non-digit.
std::optional<address> parse_address(std::string_view text);

// Formats the address as printed: 12 upper-case hex digits, A5 first, so a
// BCD address prints as decimal digits and the wildcard as "AAAAAAAAAAAA".
std::string to_string(const address& addr);

struct frame {
    dlt645::address address;
    std::uint8_t control = 0;
    std::vector<std::uint8_t> data; // L bytes with 33H already subtracted
};

// Rejection and acceptance counts. Every rejection bumps exactly one error
// counter; garbage_bytes also adds the bytes a no_start_byte rejection dropped.
struct counters {
    std::uint64_t frames_ok = 0;
    std::uint64_t preamble_too_long = 0;
    std::uint64_t garbage_skips = 0; // no_start_byte rejections
    std::uint64_t garbage_bytes = 0; // bytes dropped by those rejections
    std::uint64_t no_second_start = 0;
    std::uint64_t too_long = 0;
    std::uint64_t bad_checksum = 0;
    std::uint64_t bad_end = 0;
    std::uint64_t truncated = 0;
    std::uint64_t bad_bcd = 0;
    std::uint64_t unknown_di = 0;
    std::uint64_t unexpected_control = 0;
    std::uint64_t address_mismatch = 0;
    std::uint64_t di_mismatch = 0;
    std::uint64_t edition_mismatch = 0;
    std::uint64_t abnormal = 0; // abnormal replies, whatever meter_error they carry

    // Bumps the counter of a dlt645::error or dlt645::meter_error; other codes are ignored.
    void count(std::error_code code) noexcept;

    counters& operator+=(const counters& other) noexcept;
};

// Decodes one link frame from the start of `bytes`.
// need_more while `bytes` is a valid frame prefix. On a framing error the
// result's consumed() counts the preamble and the start byte, so the caller
// drops them and rescans: a 68 inside line noise must not swallow the real
// frame that follows. Bytes before a start byte are rejected as no_start_byte
// with consumed() up to the next 68.
proto::decode_result<frame> decode_frame(std::span<const std::uint8_t> bytes, counters& stats);

// Encodes a frame with `preamble` FE bytes in front, adding 33H to every data byte.
// Precondition: f.data.size() <= max_data_length.
std::vector<std::uint8_t> encode_frame(const frame& f, std::size_t preamble = 4);

std::uint8_t checksum(std::span<const std::uint8_t> bytes) noexcept;

} // namespace citygate::dlt645
