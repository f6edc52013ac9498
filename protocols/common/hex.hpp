#pragma once
// Hex helpers for logs, the CLI and tests (spaces between bytes allowed on input).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citygate::proto {

// Formats bytes as upper-case hex pairs separated by single spaces.
std::string to_hex(std::span<const std::uint8_t> bytes);

// Parses hex digits, ignoring whitespace; std::nullopt on an odd digit count
// or a non-hex character.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

} // namespace citygate::proto
