// CJ/T 188 frames for `citygate decode`: the link frame from decode_frame,
// the data field from decode_reply or decode_request. Field names follow the
// standard: meter type T, address A6..A0, control code C, length L, data
// identifier DI, sequence number SER, status ST, checksum CS.

#include "gateway/cli/decode_report.hpp"
#include "gateway/cli/i18n.hpp"

#include "protocols/cjt188/codec.hpp"
#include "protocols/cjt188/valve.hpp"

#include <fmt/format.h>

namespace citygate::cli {
namespace {

namespace cj = citygate::cjt188;

std::string family_text(cj::meter_family family) {
    switch (family) {
    case cj::meter_family::water:
        return _("water meter");
    case cj::meter_family::heat:
        return _("heat meter");
    case cj::meter_family::gas:
        return _("gas meter");
    case cj::meter_family::other:
        break;
    }
    return _("other meter");
}

std::string function_text(std::uint8_t function) {
    switch (function) {
    case cj::ctrl_read_data:
        return _("read data");
    case cj::ctrl_read_address:
        return _("read address");
    case cj::ctrl_write_data:
        return _("write data");
    default:
        return _("not decoded by citygate");
    }
}

void add_link(decode_report& report, const cj::frame& f, std::size_t preamble) {
    const std::uint8_t c = f.control;
    report.add("preamble", _("Preamble"), fmt::format(fmt::runtime(_("{count} bytes FE")), fmt::arg("count", preamble)),
               preamble);
    report.add("meter_type", _("Meter type T"),
               hex_value(f.meter_type, 2) + " (" + family_text(cj::classify_meter_type(f.meter_type)) + ")",
               f.meter_type);
    report.add("address", _("Address A6..A0"), cj::to_string(f.address), cj::to_string(f.address));
    report.add("control", _("Control code C"), hex_value(c, 2), c);
    report.add("control_direction", _("C bit 7, direction"),
               (c & cj::ctrl_reply_bit) ? _("1, sent by the meter") : _("0, sent by the master station"),
               (c & cj::ctrl_reply_bit) != 0);
    report.add("control_abnormal", _("C bit 6, communication status"),
               (c & cj::ctrl_abnormal_bit) ? _("1, abnormal") : _("0, normal"), (c & cj::ctrl_abnormal_bit) != 0);
    report.add("function", _("C bits 5-0, function"), hex_value(c & 0x3Fu, 2) + " " + function_text(c & 0x3F),
               c & 0x3F);
    report.add("length", _("Length L"), std::to_string(f.data.size()), f.data.size());
}

void add_di(decode_report& report, const cj::data_identifier& di, std::uint8_t ser) {
    const std::string order =
        di.order == cj::edition::v2018 ? _("sent low byte first, 2018 edition") : _("sent high byte first, 2004 edition");
    report.add("di", _("Data identifier DI"), hex_value(di.value, 4) + " (" + order + ")", hex_value(di.value, 4));
    report.add("ser", _("Sequence number SER"), hex_value(ser, 2), ser);
}

void add_quantity(decode_report& report, std::string key, std::string label, const cj::quantity& q) {
    report.add(std::move(key), std::move(label), fmt::format("{:.2f}", q.value), q.value,
               std::string(cj::unit_symbol(q.unit)));
}

void add_clock(decode_report& report, const std::optional<cj::meter_clock>& clock) {
    report.add("clock", _("Real-time clock"), clock ? clock->to_iso8601() : _("not set (out of range)"),
               clock ? nlohmann::json(clock->to_iso8601()) : nlohmann::json(nullptr));
}

std::string valve_text(cj::valve_state state) {
    switch (state) {
    case cj::valve_state::open:
        return _("open");
    case cj::valve_state::closed:
        return _("closed");
    case cj::valve_state::abnormal:
        break;
    }
    return _("abnormal");
}

void add_status(decode_report& report, const cj::meter_status& st) {
    report.add("status", _("Status ST"), hex_value(st.st1, 2) + " " + hex_value(st.st2, 2),
               hex_value(st.st1, 2) + hex_value(st.st2, 2));
    report.add("valve", _("ST bits 1-0, valve"), valve_text(st.valve()), std::string(cj::to_string(st.valve())));
    report.add("battery_low", _("ST bit 2, battery"), st.battery_low() ? _("low") : _("normal"), st.battery_low());
}

void add_flow_data(decode_report& report, const cj::flow_meter_data& d) {
    add_quantity(report, "current_volume", _("Current cumulative flow"), d.current_volume);
    add_quantity(report, "settlement_volume", _("Cumulative flow on the settlement day"), d.settlement_volume);
    add_clock(report, d.clock);
    add_status(report, d.status);
}

void add_heat_data(decode_report& report, const cj::heat_meter_data& d) {
    add_quantity(report, "settlement_heat", _("Heat on the settlement day"), d.settlement_heat);
    add_quantity(report, "current_heat", _("Current heat"), d.current_heat);
    add_quantity(report, "power", _("Heat power"), d.power);
    add_quantity(report, "flow_rate", _("Flow rate"), d.flow_rate);
    add_quantity(report, "volume", _("Cumulative flow"), d.volume);
    report.add("supply_temp", _("Supply water temperature"), fmt::format("{:.2f}", d.supply_temp), d.supply_temp,
               "°C");
    report.add("return_temp", _("Return water temperature"), fmt::format("{:.2f}", d.return_temp), d.return_temp,
               "°C");
    report.add("working_hours", _("Cumulative working time"), std::to_string(d.working_hours), d.working_hours, "h");
    add_clock(report, d.clock);
    add_status(report, d.status);
}

void add_reply(decode_report& report, const cj::reply& r) {
    if (const auto* read = std::get_if<cj::read_data_reply>(&r.body)) {
        add_di(report, read->di, read->ser);
        if (const auto* flow = std::get_if<cj::flow_meter_data>(&read->values)) {
            add_flow_data(report, *flow);
        } else {
            add_heat_data(report, std::get<cj::heat_meter_data>(read->values));
        }
        return;
    }
    const auto& address = std::get<cj::read_address_reply>(r.body);
    add_di(report, address.di, address.ser);
}

// The data field of a frame the codec framed but could not decode.
void add_raw_data(decode_report& report, const cj::frame& f) {
    report.add("data", _("Data field"), hex_text(f.data), hex_text(f.data));
}

void add_valve_command(decode_report& report, cj::valve_command command) {
    const bool open = command == cj::valve_command::open;
    report.add("valve_command", _("Valve command"),
               open ? hex_value(cj::valve_open_byte, 2) + " " + _("open the valve")
                    : hex_value(cj::valve_close_byte, 2) + " " + _("close the valve"),
               open ? "open" : "close");
}

void add_valve_reply(decode_report& report, const cj::valve_reply& reply) {
    if (reply.di) {
        add_di(report, *reply.di, reply.ser);
    } else {
        report.add("ser", _("Sequence number SER"), hex_value(reply.ser, 2), reply.ser);
    }
    add_status(report, reply.status);
}

// Valve control (write data, DI A017). An abnormal reply is a valid frame:
// the meter reports that the command failed, with its ST.
void decode_valve(decode_report& report, std::span<const std::uint8_t> frame_bytes, const cj::frame& f) {
    cj::counters stats;
    if (*report.direction == frame_direction::request) {
        auto request = cj::decode_valve_request(frame_bytes, stats);
        if (request.has_frame()) {
            add_di(report, request.frame().di, request.frame().ser);
            add_valve_command(report, request.frame().command);
            return;
        }
        report.error = request.error();
    } else {
        auto reply = cj::decode_valve_reply(frame_bytes, stats);
        if (reply.has_frame()) {
            add_valve_reply(report, reply.frame());
            return;
        }
        report.error = reply.error();
    }
    add_raw_data(report, f);
}

void decode_body(decode_report& report, std::span<const std::uint8_t> frame_bytes, const cj::frame& f) {
    if ((f.control & 0x3F) == cj::ctrl_write_data) {
        decode_valve(report, frame_bytes, f);
        return;
    }
    cj::counters stats;
    if (*report.direction == frame_direction::request) {
        auto request = cj::decode_request(frame_bytes, stats);
        if (request.has_frame()) {
            add_di(report, request.frame().di, request.frame().ser);
            return;
        }
        report.error = request.error();
        add_raw_data(report, f);
        return;
    }

    auto reply = cj::decode_reply(frame_bytes, stats);
    if (reply.has_frame()) {
        add_reply(report, reply.frame());
        return;
    }
    // An abnormal reply is a valid frame in which the meter reports a fault.
    if (reply.error() != cj::error::abnormal_response) {
        report.error = reply.error();
    }
    add_raw_data(report, f);
}

// Received and computed CS of a frame rejected for its checksum. decode_frame
// consumed the preamble and the start byte, so the frame starts one byte before.
void add_bad_checksum(decode_report& report, std::span<const std::uint8_t> bytes, std::size_t consumed) {
    if (consumed == 0 || consumed - 1 + cj::header_size > bytes.size()) {
        return;
    }
    const std::size_t start = consumed - 1;
    const std::size_t length = bytes[start + cj::header_size - 1];
    const std::size_t cs_at = start + cj::header_size + length;
    if (cs_at >= bytes.size()) {
        return;
    }
    const auto computed = cj::checksum(bytes.subspan(start, cj::header_size + length));
    report.check = frame_check{"CS", hex_value(bytes[cs_at], 2), hex_value(computed, 2), false};
}

} // namespace

decode_report decode_cjt188(std::span<const std::uint8_t> bytes) {
    decode_report report;
    report.protocol = "cjt188";
    cj::counters stats;
    auto framed = cj::decode_frame(bytes, stats);
    if (framed.needs_more()) {
        report.incomplete = true;
        return report;
    }
    if (framed.failed()) {
        report.error = framed.error();
        if (framed.error() == cj::error::bad_checksum) {
            add_bad_checksum(report, bytes, framed.consumed());
        }
        return report;
    }

    const auto& f = framed.frame();
    const std::size_t frame_size = cj::header_size + f.data.size() + 2;
    const auto frame_bytes = bytes.first(framed.consumed());
    report.direction = (f.control & cj::ctrl_reply_bit) ? frame_direction::response : frame_direction::request;
    report.direction_rule = "control";
    add_link(report, f, framed.consumed() - frame_size);
    decode_body(report, frame_bytes, f);

    const auto cs = frame_bytes[frame_bytes.size() - 2];
    report.check = frame_check{"CS", hex_value(cs, 2), hex_value(cs, 2), true};
    report.trailing.assign(bytes.begin() + static_cast<std::ptrdiff_t>(framed.consumed()), bytes.end());
    return report;
}

} // namespace citygate::cli
