#include "protocols/dlt645/frame.hpp"

#include "protocols/common/frame_scan.hpp"

#include <algorithm>
#include <utility>

namespace citygate::dlt645 {

std::optional<address> parse_address(std::string_view text)
{
    if (text.size() != 12)
        return std::nullopt;

    address addr;
    for (std::size_t i = 0; i < 6; ++i) {
        const char high = text[2 * i];
        const char low = text[2 * i + 1];
        if (high < '0' || high > '9' || low < '0' || low > '9')
            return std::nullopt;
        // Text starts with A5, the wire with A0.
        addr.bytes[5 - i] = static_cast<std::uint8_t>((high - '0') << 4 | (low - '0'));
    }
    return addr;
}

std::string to_string(const address& addr)
{
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 6; i-- > 0;) {
        out.push_back(digits[addr.bytes[i] >> 4]);
        out.push_back(digits[addr.bytes[i] & 0x0F]);
    }
    return out;
}

void counters::count(std::error_code code) noexcept
{
    if (code.category() == meter_error_category()) {
        ++abnormal;
        return;
    }
    if (code.category() != error_category())
        return;

    switch (static_cast<error>(code.value())) {
    case error::preamble_too_long: ++preamble_too_long; break;
    case error::no_start_byte: ++garbage_skips; break;
    case error::no_second_start_byte: ++no_second_start; break;
    case error::length_too_large: ++too_long; break;
    case error::bad_checksum: ++bad_checksum; break;
    case error::bad_end_byte: ++bad_end; break;
    case error::truncated_data: ++truncated; break;
    case error::bad_bcd: ++bad_bcd; break;
    case error::unknown_di: ++unknown_di; break;
    case error::unexpected_control: ++unexpected_control; break;
    case error::address_mismatch: ++address_mismatch; break;
    case error::di_mismatch: ++di_mismatch; break;
    case error::edition_mismatch: ++edition_mismatch; break;
    }
}

counters& counters::operator+=(const counters& other) noexcept
{
    frames_ok += other.frames_ok;
    preamble_too_long += other.preamble_too_long;
    garbage_skips += other.garbage_skips;
    garbage_bytes += other.garbage_bytes;
    no_second_start += other.no_second_start;
    too_long += other.too_long;
    bad_checksum += other.bad_checksum;
    bad_end += other.bad_end;
    truncated += other.truncated;
    bad_bcd += other.bad_bcd;
    unknown_di += other.unknown_di;
    unexpected_control += other.unexpected_control;
    address_mismatch += other.address_mismatch;
    di_mismatch += other.di_mismatch;
    edition_mismatch += other.edition_mismatch;
    abnormal += other.abnormal;
    return *this;
}

std::uint8_t checksum(std::span<const std::uint8_t> bytes) noexcept
{
    return proto::sum_checksum(bytes);
}

namespace {

using result = proto::decode_result<frame>;

result reject(error e, std::size_t consumed, counters& stats)
{
    stats.count(e);
    return result::fail(e, consumed);
}

frame read_fields(std::span<const std::uint8_t> f)
{
    frame out;
    std::copy_n(f.begin() + 1, 6, out.address.bytes.begin());
    out.control = f[8];
    out.data.reserve(f.size() - header_size - 2);
    for (auto it = f.begin() + header_size; it != f.end() - 2; ++it)
        out.data.push_back(static_cast<std::uint8_t>(*it - data_offset));
    return out;
}

} // namespace

proto::decode_result<frame> decode_frame(std::span<const std::uint8_t> bytes, counters& stats)
{
    const auto found = proto::find_frame_start(bytes, max_preamble);
    if (auto rejected = proto::reject_missing_start<frame>(found, stats, error::preamble_too_long,
                                                           error::no_start_byte))
        return std::move(*rejected);
    const std::size_t start = found.offset;

    // The second 68 is checked as soon as it arrives, so noise with a stray 68
    // is rejected before L is trusted.
    if (bytes.size() - start < 8)
        return result::need_more();
    if (bytes[start + 7] != start_byte)
        return reject(error::no_second_start_byte, start + 1, stats);

    if (bytes.size() - start < header_size)
        return result::need_more();
    const std::size_t length = bytes[start + header_size - 1];
    if (length > max_data_length)
        return reject(error::length_too_large, start + 1, stats);

    const std::size_t total = header_size + length + 2;
    if (bytes.size() - start < total)
        return result::need_more();

    auto f = bytes.subspan(start, total);
    switch (proto::check_frame_end(f)) {
    case proto::frame_end_status::bad_checksum:
        return reject(error::bad_checksum, start + 1, stats);
    case proto::frame_end_status::bad_end_byte:
        return reject(error::bad_end_byte, start + 1, stats);
    case proto::frame_end_status::ok:
        break;
    }

    ++stats.frames_ok;
    return result::ok(read_fields(f), start + total);
}

std::vector<std::uint8_t> encode_frame(const frame& f, std::size_t preamble)
{
    std::vector<std::uint8_t> out(preamble, preamble_byte);
    out.push_back(start_byte);
    out.insert(out.end(), f.address.bytes.begin(), f.address.bytes.end());
    out.push_back(start_byte);
    out.push_back(f.control);
    out.push_back(static_cast<std::uint8_t>(f.data.size()));
    for (std::uint8_t b : f.data)
        out.push_back(static_cast<std::uint8_t>(b + data_offset));

    auto body = std::span<const std::uint8_t>(out).subspan(preamble);
    out.push_back(checksum(body));
    out.push_back(end_byte);
    return out;
}

} // namespace citygate::dlt645
