#pragma once
// Framing shared by CJ/T 188 and DL/T 645: a wake-up preamble of FE bytes,
// then a frame from start byte 68H to end byte 16H whose second-to-last
// byte is the sum (mod 256) of the frame's bytes before it. These helpers
// find the frame and check its end, and each codec reads its own header and length.

#include "protocols/common/decode_result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>

namespace citygate::proto {

inline constexpr std::uint8_t frame_start_byte = 0x68;
inline constexpr std::uint8_t frame_end_byte = 0x16;
inline constexpr std::uint8_t frame_preamble_byte = 0xFE;

enum class frame_start_status {
    found,             // `offset` is the index of the start byte
    need_more,         // only preamble bytes so far
    preamble_too_long, // more than max_preamble FE bytes, and `offset` of them may be dropped
    no_start_byte,     // `offset` bytes come before the next start byte (all of them when there is none)
};

struct frame_start {
    frame_start_status status;
    std::size_t offset;
};

// Skips up to `max_preamble` FE bytes at the start of `bytes` and locates
// the start byte after them.
frame_start find_frame_start(std::span<const std::uint8_t> bytes, std::size_t max_preamble) noexcept;

// Returns the result of a decode whose frame start was not found, with the
// rejection counted in `stats` (a codec's counters: count(std::error_code)
// and garbage_bytes), or std::nullopt when `start` was found.
template <typename Frame, typename Counters>
std::optional<decode_result<Frame>> reject_missing_start(const frame_start& start, Counters& stats,
                                                         std::error_code preamble_too_long,
                                                         std::error_code no_start_byte)
{
    switch (start.status) {
    case frame_start_status::found:
        break;
    case frame_start_status::need_more:
        return decode_result<Frame>::need_more();
    case frame_start_status::preamble_too_long:
        stats.count(preamble_too_long);
        return decode_result<Frame>::fail(preamble_too_long, start.offset);
    case frame_start_status::no_start_byte:
        stats.garbage_bytes += start.offset;
        stats.count(no_start_byte);
        return decode_result<Frame>::fail(no_start_byte, start.offset);
    }
    return std::nullopt;
}

// Sum of `bytes` mod 256.
std::uint8_t sum_checksum(std::span<const std::uint8_t> bytes) noexcept;

enum class frame_end_status { ok, bad_checksum, bad_end_byte };

// Checks the checksum and end byte of the complete frame `frame` (start
// byte to end byte, at least 2 bytes long). The checksum is checked first.
frame_end_status check_frame_end(std::span<const std::uint8_t> frame) noexcept;

} // namespace citygate::proto
