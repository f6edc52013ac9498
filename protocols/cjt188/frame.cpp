#include "protocols/cjt188/frame.hpp"

#include "protocols/common/frame_scan.hpp"

#include <algorithm>
#include <utility>

namespace citygate::cjt188 {

meter_family classify_meter_type(std::uint8_t type) noexcept
{
    switch (type >> 4) {
    case 0x1:
        return meter_family::water;
    case 0x2:
        return meter_family::heat;
    case 0x3:
        return meter_family::gas;
    default:
        return meter_family::other;
    }
}

std::string_view to_string(meter_family family) noexcept
{
    switch (family) {
    case meter_family::water:
        return "water";
    case meter_family::heat:
        return "heat";
    case meter_family::gas:
        return "gas";
    case meter_family::other:
        break;
    }
    return "other";
}

namespace {

int hex_digit(char c) noexcept
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

std::optional<address> parse_address(std::string_view text)
{
    if (text.size() != 14)
        return std::nullopt;

    address addr;
    for (std::size_t i = 0; i < 7; ++i) {
        int high = hex_digit(text[2 * i]);
        int low = hex_digit(text[2 * i + 1]);
        if (high < 0 || low < 0)
            return std::nullopt;
        // Text starts with A6, the wire with A0.
        addr.bytes[6 - i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    return addr;
}

std::string to_string(const address& addr)
{
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 7; i-- > 0;) {
        out.push_back(digits[addr.bytes[i] >> 4]);
        out.push_back(digits[addr.bytes[i] & 0x0F]);
    }
    return out;
}

void counters::count(std::error_code code) noexcept
{
    if (code.category() != error_category())
        return;

    switch (static_cast<error>(code.value())) {
    case error::preamble_too_long: ++preamble_too_long; break;
    case error::no_start_byte: ++garbage_skips; break;
    case error::length_too_large: ++too_long; break;
    case error::bad_checksum: ++bad_checksum; break;
    case error::bad_end_byte: ++bad_end; break;
    case error::truncated_data: ++truncated; break;
    case error::bad_bcd: ++bad_bcd; break;
    case error::bad_unit: ++bad_unit; break;
    case error::unknown_di: ++unknown_di; break;
    case error::abnormal_response: ++abnormal; break;
    case error::unexpected_control: ++unexpected_control; break;
    case error::address_mismatch: ++address_mismatch; break;
    case error::meter_type_mismatch: ++meter_type_mismatch; break;
    case error::unknown_meter_type: ++unknown_meter_type; break;
    case error::bad_valve_command: ++bad_valve_command; break;
    case error::valve_command_rejected: ++valve_command_rejected; break;
    case error::valve_fault: ++valve_fault; break;
    case error::valve_state_mismatch: ++valve_state_mismatch; break;
    }
}

counters& counters::operator+=(const counters& other) noexcept
{
    frames_ok += other.frames_ok;
    preamble_too_long += other.preamble_too_long;
    garbage_skips += other.garbage_skips;
    garbage_bytes += other.garbage_bytes;
    too_long += other.too_long;
    bad_checksum += other.bad_checksum;
    bad_end += other.bad_end;
    truncated += other.truncated;
    bad_bcd += other.bad_bcd;
    bad_unit += other.bad_unit;
    unknown_di += other.unknown_di;
    abnormal += other.abnormal;
    unexpected_control += other.unexpected_control;
    address_mismatch += other.address_mismatch;
    meter_type_mismatch += other.meter_type_mismatch;
    unknown_meter_type += other.unknown_meter_type;
    bad_valve_command += other.bad_valve_command;
    valve_command_rejected += other.valve_command_rejected;
    valve_fault += other.valve_fault;
    valve_state_mismatch += other.valve_state_mismatch;
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
    out.meter_type = f[1];
    std::copy_n(f.begin() + 2, 7, out.address.bytes.begin());
    out.control = f[9];
    out.data.assign(f.begin() + header_size, f.end() - 2);
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
    out.push_back(f.meter_type);
    out.insert(out.end(), f.address.bytes.begin(), f.address.bytes.end());
    out.push_back(f.control);
    out.push_back(static_cast<std::uint8_t>(f.data.size()));
    out.insert(out.end(), f.data.begin(), f.data.end());

    auto body = std::span<const std::uint8_t>(out).subspan(preamble);
    out.push_back(checksum(body));
    out.push_back(end_byte);
    return out;
}

} // namespace citygate::cjt188
