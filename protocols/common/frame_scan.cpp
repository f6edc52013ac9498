#include "protocols/common/frame_scan.hpp"

#include <algorithm>

namespace citygate::proto {

frame_start find_frame_start(std::span<const std::uint8_t> bytes, std::size_t max_preamble) noexcept
{
    std::size_t start = 0;
    while (start < bytes.size() && bytes[start] == frame_preamble_byte && start <= max_preamble)
        ++start;
    if (start > max_preamble)
        return {frame_start_status::preamble_too_long, start};
    if (start == bytes.size())
        return {frame_start_status::need_more, 0};
    if (bytes[start] == frame_start_byte)
        return {frame_start_status::found, start};

    const auto next = std::find(bytes.begin() + static_cast<std::ptrdiff_t>(start), bytes.end(), frame_start_byte);
    return {frame_start_status::no_start_byte, static_cast<std::size_t>(next - bytes.begin())};
}

std::uint8_t sum_checksum(std::span<const std::uint8_t> bytes) noexcept
{
    unsigned sum = 0;
    for (std::uint8_t b : bytes)
        sum += b;
    return static_cast<std::uint8_t>(sum);
}

frame_end_status check_frame_end(std::span<const std::uint8_t> frame) noexcept
{
    const auto size = frame.size();
    if (sum_checksum(frame.first(size - 2)) != frame[size - 2])
        return frame_end_status::bad_checksum;
    if (frame[size - 1] != frame_end_byte)
        return frame_end_status::bad_end_byte;
    return frame_end_status::ok;
}

} // namespace citygate::proto
