#pragma once
// Hex literals for test vectors.

#include "protocols/common/hex.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace citygate::test {

inline std::vector<std::uint8_t> hex(std::string_view text) {
    auto bytes = proto::from_hex(text);
    if (!bytes)
        throw std::invalid_argument("bad hex literal in test: " + std::string(text));
    return *bytes;
}

inline std::vector<std::uint8_t> ascii(std::string_view text) { return {text.begin(), text.end()}; }

inline std::vector<std::uint8_t> repeat(const std::vector<std::uint8_t>& block, std::size_t times) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < times; ++i)
        out.insert(out.end(), block.begin(), block.end());
    return out;
}

// Lower-case hex without separators, the form the docs print.
inline std::string compact_hex(const std::vector<std::uint8_t>& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const std::uint8_t b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0f]);
    }
    return out;
}

} // namespace citygate::test
