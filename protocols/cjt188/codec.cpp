#include "protocols/cjt188/codec.hpp"

namespace citygate::cjt188 {

std::optional<data_identifier> read_data_identifier(std::uint8_t di0, std::uint8_t di1) noexcept
{
    for (std::uint16_t known : {di_read_data, di_read_address, di_valve_control}) {
        const auto high = static_cast<std::uint8_t>(known >> 8);
        const auto low = static_cast<std::uint8_t>(known & 0xFF);
        if (di0 == low && di1 == high)
            return data_identifier{known, edition::v2018};
        if (di0 == high && di1 == low)
            return data_identifier{known, edition::v2004};
    }
    return std::nullopt;
}

namespace {

std::vector<std::uint8_t> di_and_ser(std::uint16_t di, edition ed, std::uint8_t ser)
{
    const auto high = static_cast<std::uint8_t>(di >> 8);
    const auto low = static_cast<std::uint8_t>(di & 0xFF);
    if (ed == edition::v2018)
        return {low, high, ser};
    return {high, low, ser};
}

frame make_frame(std::uint8_t meter_type, const address& addr, std::uint8_t control, std::vector<std::uint8_t> data)
{
    frame f;
    f.meter_type = meter_type;
    f.address = addr;
    f.control = control;
    f.data = std::move(data);
    return f;
}

} // namespace

frame make_read_data_request(std::uint8_t meter_type, const address& addr, edition ed, std::uint8_t ser)
{
    return make_frame(meter_type, addr, ctrl_read_data, di_and_ser(di_read_data, ed, ser));
}

frame make_read_address_request(std::uint8_t meter_type, edition ed, std::uint8_t ser)
{
    return make_frame(meter_type, broadcast_address, ctrl_read_address, di_and_ser(di_read_address, ed, ser));
}

frame make_read_data_reply(std::uint8_t meter_type, const address& addr, edition ed, std::uint8_t ser,
                           const meter_data& values)
{
    auto data = di_and_ser(di_read_data, ed, ser);
    append_meter_data(data, values);
    return make_frame(meter_type, addr, ctrl_read_data | ctrl_reply_bit, std::move(data));
}

frame make_read_address_reply(std::uint8_t meter_type, const address& addr, edition ed, std::uint8_t ser)
{
    return make_frame(meter_type, addr, ctrl_read_address | ctrl_reply_bit, di_and_ser(di_read_address, ed, ser));
}

namespace {

// Checks the DI against the one the control code implies; sets `di` and `ser`.
std::error_code read_header(const frame& f, std::uint16_t expected, data_identifier& di, std::uint8_t& ser)
{
    if (f.data.size() < 3)
        return error::truncated_data;

    auto found = read_data_identifier(f.data[0], f.data[1]);
    if (!found || found->value != expected)
        return error::unknown_di;

    di = *found;
    ser = f.data[2];
    return {};
}

std::error_code decode_body(const frame& f, reply& out)
{
    if (f.control & ctrl_abnormal_bit)
        return error::abnormal_response;

    if (f.control == (ctrl_read_data | ctrl_reply_bit)) {
        read_data_reply body;
        if (auto ec = read_header(f, di_read_data, body.di, body.ser))
            return ec;
        if (auto ec = decode_meter_data(f.meter_type, f.data, body.values))
            return ec;
        out.body = std::move(body);
        return {};
    }

    if (f.control == (ctrl_read_address | ctrl_reply_bit)) {
        read_address_reply body;
        if (auto ec = read_header(f, di_read_address, body.di, body.ser))
            return ec;
        out.body = body;
        return {};
    }
    return error::unexpected_control;
}

template <typename T>
proto::decode_result<T> forward_failure(const proto::decode_result<frame>& framed)
{
    if (framed.needs_more())
        return proto::decode_result<T>::need_more();
    return proto::decode_result<T>::fail(framed.error(), framed.consumed());
}

} // namespace

proto::decode_result<reply> decode_reply(std::span<const std::uint8_t> bytes, counters& stats)
{
    auto framed = decode_frame(bytes, stats);
    if (!framed.has_frame())
        return forward_failure<reply>(framed);

    reply out;
    out.link = std::move(framed).frame();
    if (auto ec = decode_body(out.link, out)) {
        stats.count(ec);
        return proto::decode_result<reply>::fail(ec, framed.consumed());
    }
    return proto::decode_result<reply>::ok(std::move(out), framed.consumed());
}

proto::decode_result<request> decode_request(std::span<const std::uint8_t> bytes, counters& stats)
{
    auto framed = decode_frame(bytes, stats);
    if (!framed.has_frame())
        return forward_failure<request>(framed);

    request out;
    out.link = std::move(framed).frame();
    std::error_code ec;
    if (out.link.control == ctrl_read_data)
        ec = read_header(out.link, di_read_data, out.di, out.ser);
    else if (out.link.control == ctrl_read_address)
        ec = read_header(out.link, di_read_address, out.di, out.ser);
    else
        ec = error::unexpected_control;

    if (ec) {
        stats.count(ec);
        return proto::decode_result<request>::fail(ec, framed.consumed());
    }
    return proto::decode_result<request>::ok(std::move(out), framed.consumed());
}

} // namespace citygate::cjt188
