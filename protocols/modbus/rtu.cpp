#include "protocols/modbus/rtu.hpp"

namespace citygate::modbus {

std::uint16_t crc16(std::span<const std::uint8_t> bytes) noexcept
{
    std::uint16_t crc = 0xFFFF;
    for (std::uint8_t b : bytes) {
        crc ^= b;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 1u) ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001) : static_cast<std::uint16_t>(crc >> 1);
    }
    return crc;
}

std::vector<std::uint8_t> encode_rtu(std::uint8_t unit, std::span<const std::uint8_t> pdu)
{
    std::vector<std::uint8_t> out;
    out.reserve(1 + pdu.size() + 2);
    out.push_back(unit);
    out.insert(out.end(), pdu.begin(), pdu.end());
    const std::uint16_t crc = crc16(out);
    out.push_back(static_cast<std::uint8_t>(crc & 0xFF));
    out.push_back(static_cast<std::uint8_t>(crc >> 8));
    return out;
}

namespace {

template <typename T>
proto::decode_result<T> reject(std::error_code e, std::size_t consumed, counters& stats)
{
    stats.count(e);
    return proto::decode_result<T>::fail(e, consumed);
}

template <typename T>
proto::decode_result<T> forward_failure(const proto::decode_result<rtu_adu>& framed)
{
    if (framed.needs_more())
        return proto::decode_result<T>::need_more();
    return proto::decode_result<T>::fail(framed.error(), framed.consumed());
}

} // namespace

proto::decode_result<rtu_adu> decode_rtu_frame(std::span<const std::uint8_t> bytes, bool is_request, counters& stats)
{
    using result = proto::decode_result<rtu_adu>;
    if (bytes.size() < 2)
        return result::need_more();

    auto length = measure_pdu(bytes.subspan(1), is_request);
    if (length.error)
        return reject<rtu_adu>(length.error, 1, stats);
    if (!length.length)
        return result::need_more();

    const std::size_t total = 1 + *length.length + 2;
    if (bytes.size() < total)
        return result::need_more();

    const std::uint16_t crc = crc16(bytes.first(total - 2));
    if (bytes[total - 2] != (crc & 0xFF) || bytes[total - 1] != (crc >> 8))
        return reject<rtu_adu>(error::bad_crc, total, stats);

    ++stats.frames_ok;
    rtu_adu adu;
    adu.unit = bytes[0];
    adu.pdu.assign(bytes.begin() + 1, bytes.begin() + static_cast<std::ptrdiff_t>(total - 2));
    return result::ok(std::move(adu), total);
}

proto::decode_result<response> decode_rtu_response(std::span<const std::uint8_t> bytes, std::uint8_t unit,
                                                   const request& req, counters& stats)
{
    auto framed = decode_rtu_frame(bytes, false, stats);
    if (!framed.has_frame())
        return forward_failure<response>(framed);
    if (framed.frame().unit != unit)
        return reject<response>(error::unit_mismatch, framed.consumed(), stats);

    response out;
    if (auto ec = decode_response_pdu(req, framed.frame().pdu, out))
        return reject<response>(ec, framed.consumed(), stats);
    return proto::decode_result<response>::ok(std::move(out), framed.consumed());
}

proto::decode_result<unit_request> decode_rtu_request(std::span<const std::uint8_t> bytes, counters& stats)
{
    auto framed = decode_rtu_frame(bytes, true, stats);
    if (!framed.has_frame())
        return forward_failure<unit_request>(framed);

    unit_request out;
    out.unit = framed.frame().unit;
    if (auto ec = decode_request_pdu(framed.frame().pdu, out.request))
        return reject<unit_request>(ec, framed.consumed(), stats);
    return proto::decode_result<unit_request>::ok(std::move(out), framed.consumed());
}

namespace {

// `tenths` character times in microseconds, rounded up.
std::chrono::microseconds character_times(std::uint32_t baud, unsigned bits_per_char, unsigned tenths) noexcept
{
    const std::uint64_t numerator = std::uint64_t{tenths} * bits_per_char * 1'000'000;
    const std::uint64_t denominator = std::uint64_t{baud} * 10;
    return std::chrono::microseconds((numerator + denominator - 1) / denominator);
}

} // namespace

std::chrono::microseconds inter_frame_silence(std::uint32_t baud, unsigned bits_per_char) noexcept
{
    if (baud == 0)
        return std::chrono::microseconds::zero();
    if (baud > 19200)
        return std::chrono::microseconds(1750);
    return character_times(baud, bits_per_char, 35);
}

std::chrono::microseconds inter_character_timeout(std::uint32_t baud, unsigned bits_per_char) noexcept
{
    if (baud == 0)
        return std::chrono::microseconds::zero();
    if (baud > 19200)
        return std::chrono::microseconds(750);
    return character_times(baud, bits_per_char, 15);
}

} // namespace citygate::modbus
