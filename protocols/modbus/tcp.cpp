#include "protocols/modbus/tcp.hpp"

namespace citygate::modbus {

namespace {

std::uint16_t read_u16(std::span<const std::uint8_t> bytes, std::size_t at) noexcept
{
    return static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

template <typename T>
proto::decode_result<T> reject(std::error_code e, std::size_t consumed, counters& stats)
{
    stats.count(e);
    return proto::decode_result<T>::fail(e, consumed);
}

template <typename T>
proto::decode_result<T> forward_failure(const proto::decode_result<tcp_adu>& framed)
{
    if (framed.needs_more())
        return proto::decode_result<T>::need_more();
    return proto::decode_result<T>::fail(framed.error(), framed.consumed());
}

} // namespace

std::vector<std::uint8_t> encode_tcp(std::uint16_t transaction, std::uint8_t unit, std::span<const std::uint8_t> pdu)
{
    const auto length = static_cast<std::uint16_t>(pdu.size() + 1);
    std::vector<std::uint8_t> out;
    out.reserve(mbap_size + pdu.size());
    for (std::uint16_t field : {transaction, std::uint16_t{0}, length}) {
        out.push_back(static_cast<std::uint8_t>(field >> 8));
        out.push_back(static_cast<std::uint8_t>(field & 0xFF));
    }
    out.push_back(unit);
    out.insert(out.end(), pdu.begin(), pdu.end());
    return out;
}

proto::decode_result<tcp_adu> decode_tcp_frame(std::span<const std::uint8_t> bytes, counters& stats)
{
    using result = proto::decode_result<tcp_adu>;
    if (bytes.size() < mbap_size)
        return result::need_more();
    if (read_u16(bytes, 2) != 0)
        return reject<tcp_adu>(error::bad_protocol_id, mbap_size, stats);

    const std::size_t length = read_u16(bytes, 4);
    if (length < 2 || length > max_mbap_length)
        return reject<tcp_adu>(error::bad_length, mbap_size, stats);

    const std::size_t total = 6 + length;
    if (bytes.size() < total)
        return result::need_more();

    ++stats.frames_ok;
    tcp_adu adu;
    adu.transaction = read_u16(bytes, 0);
    adu.unit = bytes[6];
    adu.pdu.assign(bytes.begin() + mbap_size, bytes.begin() + static_cast<std::ptrdiff_t>(total));
    return result::ok(std::move(adu), total);
}

proto::decode_result<response> decode_tcp_response(std::span<const std::uint8_t> bytes, std::uint16_t transaction,
                                                   std::uint8_t unit, const request& req, counters& stats)
{
    auto framed = decode_tcp_frame(bytes, stats);
    if (!framed.has_frame())
        return forward_failure<response>(framed);
    if (framed.frame().transaction != transaction)
        return reject<response>(error::transaction_mismatch, framed.consumed(), stats);
    if (framed.frame().unit != unit)
        return reject<response>(error::unit_mismatch, framed.consumed(), stats);

    response out;
    if (auto ec = decode_response_pdu(req, framed.frame().pdu, out))
        return reject<response>(ec, framed.consumed(), stats);
    return proto::decode_result<response>::ok(std::move(out), framed.consumed());
}

proto::decode_result<tcp_request> decode_tcp_request(std::span<const std::uint8_t> bytes, counters& stats)
{
    auto framed = decode_tcp_frame(bytes, stats);
    if (!framed.has_frame())
        return forward_failure<tcp_request>(framed);

    tcp_request out;
    out.transaction = framed.frame().transaction;
    out.unit = framed.frame().unit;
    if (auto ec = decode_request_pdu(framed.frame().pdu, out.request))
        return reject<tcp_request>(ec, framed.consumed(), stats);
    return proto::decode_result<tcp_request>::ok(std::move(out), framed.consumed());
}

} // namespace citygate::modbus
