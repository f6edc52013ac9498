#include "protocols/cjt188/bcd.hpp"

namespace citygate::cjt188 {

std::optional<unsigned> bcd_byte(std::uint8_t b) noexcept
{
    const unsigned high = b >> 4;
    const unsigned low = b & 0x0F;
    if (high > 9 || low > 9)
        return std::nullopt;
    return high * 10 + low;
}

std::optional<std::uint64_t> bcd_le(std::span<const std::uint8_t> bytes) noexcept
{
    if (bytes.size() > 8)
        return std::nullopt;

    std::uint64_t value = 0;
    for (std::size_t i = bytes.size(); i-- > 0;) {
        auto digits = bcd_byte(bytes[i]);
        if (!digits)
            return std::nullopt;
        value = value * 100 + *digits;
    }
    return value;
}

std::uint8_t to_bcd_byte(unsigned value) noexcept
{
    return static_cast<std::uint8_t>((value / 10 % 10) << 4 | value % 10);
}

void append_bcd_le(std::vector<std::uint8_t>& out, std::uint64_t value, std::size_t count)
{
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(to_bcd_byte(static_cast<unsigned>(value % 100)));
        value /= 100;
    }
}

} // namespace citygate::cjt188
