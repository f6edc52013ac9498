#include "protocols/cjt188/valve.hpp"

namespace citygate::cjt188 {

namespace {

void append_di(std::vector<std::uint8_t>& out, std::uint16_t di, edition ed)
{
    const auto high = static_cast<std::uint8_t>(di >> 8);
    const auto low = static_cast<std::uint8_t>(di & 0xFF);
    if (ed == edition::v2018) {
        out.push_back(low);
        out.push_back(high);
    } else {
        out.push_back(high);
        out.push_back(low);
    }
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

frame make_valve_request(std::uint8_t meter_type, const address& addr, edition ed, std::uint8_t ser,
                         valve_command command)
{
    std::vector<std::uint8_t> data;
    append_di(data, di_valve_control, ed);
    data.push_back(ser);
    data.push_back(command == valve_command::open ? valve_open_byte : valve_close_byte);
    return make_frame(meter_type, addr, ctrl_write_data, std::move(data));
}

frame make_valve_reply(std::uint8_t meter_type, const address& addr, edition ed, std::uint8_t ser,
                       const meter_status& status)
{
    std::vector<std::uint8_t> data;
    append_di(data, di_valve_control, ed);
    data.insert(data.end(), {ser, status.st1, status.st2});
    return make_frame(meter_type, addr, ctrl_write_data | ctrl_reply_bit, std::move(data));
}

frame make_valve_abnormal_reply(std::uint8_t meter_type, const address& addr, std::uint8_t ser,
                                const meter_status& status)
{
    return make_frame(meter_type, addr, ctrl_write_data | ctrl_reply_bit | ctrl_abnormal_bit,
                      {ser, status.st1, status.st2});
}

namespace {

template <typename T>
proto::decode_result<T> forward_failure(const proto::decode_result<frame>& framed)
{
    if (framed.needs_more())
        return proto::decode_result<T>::need_more();
    return proto::decode_result<T>::fail(framed.error(), framed.consumed());
}

template <typename T>
proto::decode_result<T> reject(std::error_code e, std::size_t consumed, counters& stats)
{
    stats.count(e);
    return proto::decode_result<T>::fail(e, consumed);
}

// Checks the DI A017 at the start of `data`; sets `di`.
std::error_code read_valve_di(std::span<const std::uint8_t> data, data_identifier& di)
{
    auto found = read_data_identifier(data[0], data[1]);
    if (!found || found->value != di_valve_control)
        return error::unknown_di;
    di = *found;
    return {};
}

std::error_code check_write_length(const frame& f, std::size_t minimum)
{
    if (f.data.size() > max_write_data_length)
        return error::length_too_large;
    if (f.data.size() < minimum)
        return error::truncated_data;
    return {};
}

std::error_code read_request_body(const frame& f, valve_request& out)
{
    if (f.control != ctrl_write_data)
        return error::unexpected_control;
    if (auto ec = check_write_length(f, valve_request_length))
        return ec;
    if (auto ec = read_valve_di(f.data, out.di))
        return ec;

    out.ser = f.data[2];
    const std::uint8_t command = f.data[3];
    if (command != valve_open_byte && command != valve_close_byte)
        return error::bad_valve_command;
    out.command = command == valve_open_byte ? valve_command::open : valve_command::close;
    return {};
}

// Normal reply: DI SER ST. Abnormal reply: SER ST as the standard gives it,
// or DI SER ST as some meters send it.
std::error_code read_reply_body(const frame& f, valve_reply& out)
{
    const auto normal = static_cast<std::uint8_t>(ctrl_write_data | ctrl_reply_bit);
    if ((f.control & ~ctrl_abnormal_bit) != normal)
        return error::unexpected_control;
    out.abnormal = (f.control & ctrl_abnormal_bit) != 0;

    const bool has_di = !out.abnormal || f.data.size() >= valve_reply_length;
    if (auto ec = check_write_length(f, has_di ? valve_reply_length : valve_abnormal_reply_length))
        return ec;

    std::size_t at = 0;
    if (has_di) {
        data_identifier di;
        if (auto ec = read_valve_di(f.data, di))
            return ec;
        out.di = di;
        at = 2;
    }
    out.ser = f.data[at];
    out.status = {f.data[at + 1], f.data[at + 2]};
    return {};
}

} // namespace

proto::decode_result<valve_request> decode_valve_request(std::span<const std::uint8_t> bytes, counters& stats)
{
    auto framed = decode_frame(bytes, stats);
    if (!framed.has_frame())
        return forward_failure<valve_request>(framed);

    valve_request out;
    out.link = std::move(framed).frame();
    if (auto ec = read_request_body(out.link, out))
        return reject<valve_request>(ec, framed.consumed(), stats);
    return proto::decode_result<valve_request>::ok(std::move(out), framed.consumed());
}

proto::decode_result<valve_reply> decode_valve_reply(std::span<const std::uint8_t> bytes, counters& stats)
{
    auto framed = decode_frame(bytes, stats);
    if (!framed.has_frame())
        return forward_failure<valve_reply>(framed);

    valve_reply out;
    out.link = std::move(framed).frame();
    if (auto ec = read_reply_body(out.link, out))
        return reject<valve_reply>(ec, framed.consumed(), stats);
    return proto::decode_result<valve_reply>::ok(std::move(out), framed.consumed());
}

std::error_code check_valve_reply(valve_command command, const valve_reply& reply, counters& stats) noexcept
{
    std::error_code outcome;
    const valve_state expected = command == valve_command::open ? valve_state::open : valve_state::closed;
    if (reply.abnormal)
        outcome = error::valve_command_rejected;
    else if (reply.status.valve() == valve_state::abnormal)
        outcome = error::valve_fault;
    else if (reply.status.valve() != expected)
        outcome = error::valve_state_mismatch;

    stats.count(outcome);
    return outcome;
}

} // namespace citygate::cjt188
