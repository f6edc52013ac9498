// The FE preamble, 68H start byte search and checksum/end-byte check that
// CJ/T 188 and DL/T 645 share. The frame is a DL/T 645-2007 read of the
// address 000000000001 with checksum and end byte computed by hand; the
// codecs' own tests carry the published vectors.

#include "protocols/common/frame_scan.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace citygate::proto;

namespace {

// 68 A0..A5 68 C L DATA CS 16 with C = 11, L = 4, DI 04 00 01 01 + 33H.
const std::vector<std::uint8_t> frame{0x68, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x68,
                                      0x11, 0x04, 0x34, 0x34, 0x33, 0x37, 0xB8, 0x16};

std::vector<std::uint8_t> with_prefix(std::vector<std::uint8_t> prefix, const std::vector<std::uint8_t>& rest)
{
    prefix.insert(prefix.end(), rest.begin(), rest.end());
    return prefix;
}

struct scan_counters {
    std::vector<std::error_code> counted;
    std::size_t garbage_bytes = 0;

    void count(std::error_code e) { counted.push_back(e); }
};

struct test_frame {};

} // namespace

TEST_CASE("find_frame_start after 0 to 8 preamble bytes")
{
    for (std::size_t preamble = 0; preamble <= 8; ++preamble) {
        CAPTURE(preamble);
        const auto bytes = with_prefix(std::vector<std::uint8_t>(preamble, 0xFE), frame);
        const auto start = find_frame_start(bytes, 8);
        CHECK(start.status == frame_start_status::found);
        CHECK(start.offset == preamble);
    }
}

TEST_CASE("find_frame_start needs more after a preamble alone")
{
    CHECK(find_frame_start({}, 8).status == frame_start_status::need_more);
    const std::vector<std::uint8_t> preamble(8, 0xFE);
    CHECK(find_frame_start(preamble, 8).status == frame_start_status::need_more);
}

TEST_CASE("find_frame_start rejects a preamble over the limit")
{
    const auto bytes = with_prefix(std::vector<std::uint8_t>(12, 0xFE), frame);
    const auto start = find_frame_start(bytes, 8);
    CHECK(start.status == frame_start_status::preamble_too_long);
    CHECK(start.offset == 9);
}

TEST_CASE("find_frame_start skips garbage to the next start byte")
{
    const auto bytes = with_prefix({0xFE, 0x00, 0x16, 0x55}, frame);
    const auto start = find_frame_start(bytes, 8);
    CHECK(start.status == frame_start_status::no_start_byte);
    CHECK(start.offset == 4);

    const std::vector<std::uint8_t> noise{0x01, 0x02, 0x03};
    const auto none = find_frame_start(noise, 8);
    CHECK(none.status == frame_start_status::no_start_byte);
    CHECK(none.offset == 3);
}

TEST_CASE("check_frame_end accepts a good frame")
{
    CHECK(sum_checksum(std::span(frame).first(frame.size() - 2)) == 0xB8);
    CHECK(check_frame_end(frame) == frame_end_status::ok);
}

TEST_CASE("check_frame_end rejects a bad checksum or end byte")
{
    auto bad_sum = frame;
    bad_sum[frame.size() - 2] ^= 0x01;
    CHECK(check_frame_end(bad_sum) == frame_end_status::bad_checksum);

    auto bad_end = frame;
    bad_end.back() = 0x17;
    CHECK(check_frame_end(bad_end) == frame_end_status::bad_end_byte);

    bad_sum.back() = 0x17;
    CHECK(check_frame_end(bad_sum) == frame_end_status::bad_checksum);
}

TEST_CASE("reject_missing_start counts the rejection")
{
    const auto garbage_code = std::make_error_code(std::errc::bad_message);
    const auto preamble_code = std::make_error_code(std::errc::message_size);

    scan_counters stats;
    auto found = reject_missing_start<test_frame>({frame_start_status::found, 2}, stats, preamble_code, garbage_code);
    CHECK_FALSE(found.has_value());

    auto more = reject_missing_start<test_frame>({frame_start_status::need_more, 0}, stats, preamble_code,
                                                 garbage_code);
    REQUIRE(more.has_value());
    CHECK(more->needs_more());
    CHECK(stats.counted.empty());

    auto garbage = reject_missing_start<test_frame>({frame_start_status::no_start_byte, 5}, stats, preamble_code,
                                                    garbage_code);
    REQUIRE(garbage.has_value());
    CHECK(garbage->error() == garbage_code);
    CHECK(garbage->consumed() == 5);
    CHECK(stats.garbage_bytes == 5);

    auto preamble = reject_missing_start<test_frame>({frame_start_status::preamble_too_long, 9}, stats,
                                                     preamble_code, garbage_code);
    REQUIRE(preamble.has_value());
    CHECK(preamble->error() == preamble_code);
    CHECK(preamble->consumed() == 9);
    CHECK(stats.garbage_bytes == 5);
    REQUIRE(stats.counted.size() == 2);
    CHECK(stats.counted[0] == garbage_code);
    CHECK(stats.counted[1] == preamble_code);
}
