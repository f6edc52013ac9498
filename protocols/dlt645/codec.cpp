#include "protocols/dlt645/codec.hpp"

namespace citygate::dlt645 {

namespace {

constexpr std::uint8_t ctrl_read_follow_up_1997 = 0x02;
constexpr std::uint8_t ctrl_read_follow_up_2007 = 0x12;

std::uint8_t read_control(edition ed) noexcept
{
    return ed == edition::v2007 ? ctrl_read_data_2007 : ctrl_read_data_1997;
}

frame make_frame(const address& addr, std::uint8_t control, std::vector<std::uint8_t> data)
{
    frame f;
    f.address = addr;
    f.control = control;
    f.data = std::move(data);
    return f;
}

std::uint8_t to_bcd(int value) noexcept
{
    return static_cast<std::uint8_t>((value / 10 % 10) << 4 | value % 10);
}

int from_bcd(std::uint8_t b) noexcept
{
    return (b >> 4) * 10 + (b & 0x0F);
}

bool valid(const meter_time& t) noexcept
{
    return t.year >= 2000 && t.year <= 2099 && t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= 31 &&
           t.hour >= 0 && t.hour <= 23 && t.minute >= 0 && t.minute <= 59 && t.second >= 0 && t.second <= 59;
}

} // namespace

frame make_read_request(edition ed, const address& addr, data_id di)
{
    std::vector<std::uint8_t> data;
    append_di(data, ed, di);
    return make_frame(addr, read_control(ed), std::move(data));
}

frame make_read_address_request(edition ed)
{
    if (ed == edition::v2007)
        return make_frame(wildcard_address, ctrl_read_address_2007, {});
    return make_read_request(edition::v1997, wildcard_address, di_meter_number_1997);
}

std::optional<frame> make_time_sync(const meter_time& time)
{
    if (!valid(time))
        return std::nullopt;
    std::vector<std::uint8_t> data{to_bcd(time.second), to_bcd(time.minute), to_bcd(time.hour),
                                   to_bcd(time.day),    to_bcd(time.month),  to_bcd(time.year % 100)};
    return make_frame(broadcast_address, ctrl_time_sync, std::move(data));
}

frame make_read_reply(edition ed, const address& addr, data_id di, std::span<const std::uint8_t> value)
{
    std::vector<std::uint8_t> data;
    append_di(data, ed, di);
    data.insert(data.end(), value.begin(), value.end());
    return make_frame(addr, read_control(ed) | ctrl_reply_bit, std::move(data));
}

frame make_read_address_reply(edition ed, const address& addr)
{
    if (ed == edition::v2007) {
        std::vector<std::uint8_t> data(addr.bytes.begin(), addr.bytes.end());
        return make_frame(addr, ctrl_read_address_2007 | ctrl_reply_bit, std::move(data));
    }
    return make_read_reply(edition::v1997, addr, di_meter_number_1997, addr.bytes);
}

frame make_error_reply(edition ed, const address& addr, std::uint8_t error_byte)
{
    return make_frame(addr, read_control(ed) | ctrl_reply_bit | ctrl_abnormal_bit, {error_byte});
}

meter_error decode_meter_error(edition ed, std::uint8_t error_byte) noexcept
{
    if (error_byte & 0x40)
        return meter_error::too_many_tariffs;
    if (error_byte & 0x20)
        return meter_error::too_many_day_periods;
    if (error_byte & 0x10)
        return meter_error::too_many_year_zones;
    if (ed == edition::v2007 && (error_byte & 0x08))
        return meter_error::baud_rate_locked;
    if (error_byte & 0x04)
        return meter_error::unauthorized;
    if (error_byte & 0x02)
        return ed == edition::v2007 ? meter_error::no_requested_data : meter_error::wrong_data_id;
    if (error_byte & 0x01)
        return ed == edition::v2007 ? meter_error::other : meter_error::invalid_data;
    return meter_error::unspecified;
}

namespace {

// Edition of a control code by its function bits; std::nullopt for functions
// this codec does not decode.
std::optional<edition> edition_of(std::uint8_t control) noexcept
{
    switch (control & ctrl_function_mask) {
    case ctrl_read_data_1997:
    case ctrl_read_follow_up_1997:
        return edition::v1997;
    case ctrl_read_data_2007:
    case ctrl_read_follow_up_2007:
    case ctrl_read_address_2007:
        return edition::v2007;
    default:
        return std::nullopt;
    }
}

std::error_code decode_read_body(const frame& f, edition ed, reply& out)
{
    auto di = read_di(ed, f.data);
    if (!di)
        return error::truncated_data;

    if (ed == edition::v1997 && *di == di_meter_number_1997) {
        out.body = address_reply{};
        return {};
    }
    read_reply body;
    body.di = *di;
    body.value.assign(f.data.begin() + static_cast<std::ptrdiff_t>(di_size(ed)), f.data.end());
    body.follow_up = (f.control & ctrl_follow_up_bit) != 0;
    out.body = std::move(body);
    return {};
}

std::error_code decode_reply_body(const frame& f, reply& out)
{
    auto ed = edition_of(f.control);
    if (!ed || !(f.control & ctrl_reply_bit))
        return error::unexpected_control;
    out.edition = *ed;

    if (f.control & ctrl_abnormal_bit) {
        // NOTE: a reply without an error byte is still an abnormal reply; it is reported as unspecified.
        return decode_meter_error(*ed, f.data.empty() ? 0 : f.data.front());
    }
    if ((f.control & ctrl_function_mask) == ctrl_read_address_2007) {
        out.body = address_reply{};
        return {};
    }
    return decode_read_body(f, *ed, out);
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
    return decode_reply_from(nullptr, bytes, stats);
}

proto::decode_result<reply> decode_reply_from(const address* from, std::span<const std::uint8_t> bytes,
                                              counters& stats)
{
    auto framed = decode_frame(bytes, stats);
    if (!framed.has_frame())
        return forward_failure<reply>(framed);

    if (from != nullptr && framed.frame().address != *from) {
        stats.count(error::address_mismatch);
        return proto::decode_result<reply>::fail(error::address_mismatch, framed.consumed());
    }

    reply out;
    out.link = std::move(framed).frame();
    if (auto ec = decode_reply_body(out.link, out)) {
        stats.count(ec);
        return proto::decode_result<reply>::fail(ec, framed.consumed());
    }
    return proto::decode_result<reply>::ok(std::move(out), framed.consumed());
}

std::error_code decode_reading(const reply& r, double& value, const quantity*& which) noexcept
{
    which = nullptr;
    const auto* body = std::get_if<read_reply>(&r.body);
    if (body == nullptr)
        return error::unexpected_control;

    const quantity* q = find_quantity(r.edition, body->di);
    if (q == nullptr)
        return error::unknown_di;
    const auto& format = r.edition == edition::v2007 ? q->format_2007 : q->format_1997;
    if (auto ec = decode_value(format, body->value, value))
        return ec;
    which = q;
    return {};
}

namespace {

std::error_code decode_time_sync(const frame& f, request& out)
{
    if (f.data.size() < 6)
        return error::truncated_data;
    for (std::size_t i = 0; i < 6; ++i) {
        if ((f.data[i] >> 4) > 9 || (f.data[i] & 0x0F) > 9)
            return error::bad_bcd;
    }
    meter_time t{2000 + from_bcd(f.data[5]), from_bcd(f.data[4]), from_bcd(f.data[3]),
                 from_bcd(f.data[2]),        from_bcd(f.data[1]), from_bcd(f.data[0])};
    out.body = time_sync_request{t};
    return {};
}

std::error_code decode_request_body(const frame& f, request& out)
{
    if (f.control == ctrl_time_sync)
        return decode_time_sync(f, out);
    if (f.control == ctrl_read_address_2007) {
        out.edition = edition::v2007;
        out.body = read_address_request{};
        return {};
    }
    if (f.control != ctrl_read_data_2007 && f.control != ctrl_read_data_1997)
        return error::unexpected_control;

    out.edition = f.control == ctrl_read_data_2007 ? edition::v2007 : edition::v1997;
    auto di = read_di(out.edition, f.data);
    if (!di)
        return error::truncated_data;
    if (out.edition == edition::v1997 && *di == di_meter_number_1997 && f.address == wildcard_address)
        out.body = read_address_request{};
    else
        out.body = read_request{*di};
    return {};
}

} // namespace

proto::decode_result<request> decode_request(std::span<const std::uint8_t> bytes, counters& stats)
{
    auto framed = decode_frame(bytes, stats);
    if (!framed.has_frame())
        return forward_failure<request>(framed);

    request out;
    out.link = std::move(framed).frame();
    if (auto ec = decode_request_body(out.link, out)) {
        stats.count(ec);
        return proto::decode_result<request>::fail(ec, framed.consumed());
    }
    return proto::decode_result<request>::ok(std::move(out), framed.consumed());
}

} // namespace citygate::dlt645
