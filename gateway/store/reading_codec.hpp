#pragma once
// Compact binary form of a reading's body as stored in the pending table.
// device_id, lane and ts_ms live in their own columns; the body holds the
// rest:
//   format u8 (1) | flags u8 (bit 0: clock_trusted) | value count varint |
//   per value: metric (varint length + bytes) | unit (same) | kind u8 |
//     kind 0: double, 8 bytes little-endian IEEE 754
//     kind 1: bool, 1 byte (0 or 1)
//     kind 2: string, varint length + bytes
// Varints are unsigned LEB128.

#include "drivers/reading.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace citygate::store {

inline constexpr std::size_t max_device_id_size = 256;
inline constexpr std::size_t max_values_per_reading = 1024;
inline constexpr std::size_t max_name_size = 256;            // metric and unit
inline constexpr std::size_t max_string_value_size = 64 * 1024;

// Appends the body of `r` to `out` (which is cleared first). Returns false
// when a field exceeds the limits above; `out` is then unspecified.
bool encode_reading_body(const reading& r, std::vector<std::uint8_t>& out);

// Parses a body into `out`'s clock_trusted and values, reusing the storage
// `out` already has. Returns false on a malformed or oversized body.
bool decode_reading_body(std::span<const std::uint8_t> body, reading& out);

} // namespace citygate::store
