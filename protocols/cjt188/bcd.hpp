#pragma once
// Packed BCD fields of CJ/T 188 data: multi-byte numbers are sent low byte first.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace citygate::cjt188 {

// Value of one packed BCD byte; std::nullopt if a nibble is above 9.
std::optional<unsigned> bcd_byte(std::uint8_t b) noexcept;

// Integer value of a low-byte-first BCD field of up to 8 bytes;
// std::nullopt on a nibble above 9.
std::optional<std::uint64_t> bcd_le(std::span<const std::uint8_t> bytes) noexcept;

// Appends `value` modulo 100^count as `count` BCD bytes, low byte first.
void append_bcd_le(std::vector<std::uint8_t>& out, std::uint64_t value, std::size_t count);

std::uint8_t to_bcd_byte(unsigned value) noexcept; // value < 100

} // namespace citygate::cjt188
