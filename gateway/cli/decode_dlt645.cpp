// DL/T 645 frames for `citygate decode`: the link frame from decode_frame,
// the data field from decode_reply or decode_request. Field names follow the
// standard: address A5..A0, control code C, length L, data identifier DI,
// checksum CS. Data bytes are shown with 33H already subtracted.

#include "gateway/cli/decode_report.hpp"
#include "gateway/cli/i18n.hpp"
#include "gateway/cli/text.hpp"

#include "protocols/dlt645/codec.hpp"

#include <fmt/format.h>

namespace citygate::cli {
namespace {

namespace dl = citygate::dlt645;

constexpr std::uint8_t function_read_follow_up_1997 = 0x02;
constexpr std::uint8_t function_read_follow_up_2007 = 0x12;

std::string function_text(std::uint8_t function) {
    switch (function) {
    case dl::ctrl_read_data_1997:
        return _("read data (1997 edition)");
    case dl::ctrl_read_data_2007:
        return _("read data (2007 edition)");
    case function_read_follow_up_1997:
        return _("read follow-up data (1997 edition)");
    case function_read_follow_up_2007:
        return _("read follow-up data (2007 edition)");
    case dl::ctrl_read_address_2007:
        return _("read address (2007 edition)");
    case dl::ctrl_time_sync:
        return _("broadcast time sync");
    default:
        return _("not decoded by citygate");
    }
}

void add_link(decode_report& report, const dl::frame& f, std::size_t preamble) {
    const std::uint8_t c = f.control;
    report.add("preamble", _("Preamble"), fmt::format(fmt::runtime(_("{count} bytes FE")), fmt::arg("count", preamble)),
               preamble);
    report.add("address", _("Address A5..A0"), dl::to_string(f.address), dl::to_string(f.address));
    report.add("control", _("Control code C"), hex_value(c, 2), c);
    report.add("control_direction", _("C bit 7, direction"),
               (c & dl::ctrl_reply_bit) ? _("1, reply from the meter") : _("0, command from the master station"),
               (c & dl::ctrl_reply_bit) != 0);
    report.add("control_abnormal", _("C bit 6, reply status"),
               (c & dl::ctrl_abnormal_bit) ? _("1, abnormal reply") : _("0, normal"), (c & dl::ctrl_abnormal_bit) != 0);
    report.add("control_follow_up", _("C bit 5, follow-up frame"),
               (c & dl::ctrl_follow_up_bit) ? _("1, more frames follow") : _("0, none"), (c & dl::ctrl_follow_up_bit) != 0);
    const auto function = static_cast<std::uint8_t>(c & dl::ctrl_function_mask);
    report.add("function", _("C bits 4-0, function"), hex_value(function, 2) + " " + function_text(function), function);
    report.add("length", _("Length L"), std::to_string(f.data.size()), f.data.size());
}

void add_edition(decode_report& report, dl::edition ed) {
    report.add("edition", _("Edition"), "DL/T 645-" + std::string(dl::to_string(ed)), std::string(dl::to_string(ed)));
}

void add_di(decode_report& report, dl::edition ed, dl::data_id di) {
    const std::string text = hex_value(di, static_cast<int>(2 * dl::di_size(ed)));
    const auto* quantity = dl::find_quantity(ed, di);
    report.add("di", _("Data identifier DI"), quantity ? text + " (" + std::string(quantity->metric) + ")" : text, text);
}

void add_read_reply(decode_report& report, const dl::reply& r, const dl::read_reply& body) {
    add_di(report, r.edition, body.di);
    report.add("value_bytes", _("Value bytes"), hex_text(body.value), hex_text(body.value));

    double value = 0;
    const dl::quantity* which = nullptr;
    const auto error = dl::decode_reading(r, value, which);
    if (error == dl::error::unknown_di) {
        report.add("value", _("Value"), _("no value format known for this DI"), nullptr);
        return;
    }
    if (error) {
        report.error = error;
        return;
    }
    const auto& format = r.edition == dl::edition::v2007 ? which->format_2007 : which->format_1997;
    report.add("value", _("Value"), format_number(value), value, std::string(format.unit));
}

void add_reply(decode_report& report, const dl::reply& r) {
    add_edition(report, r.edition);
    if (const auto* read = std::get_if<dl::read_reply>(&r.body)) {
        add_read_reply(report, r, *read);
    }
}

void add_request(decode_report& report, const dl::request& r) {
    add_edition(report, r.edition);
    if (const auto* read = std::get_if<dl::read_request>(&r.body)) {
        add_di(report, r.edition, read->di);
    } else if (const auto* sync = std::get_if<dl::time_sync_request>(&r.body)) {
        const auto& t = sync->time;
        const auto time = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", t.year, t.month, t.day, t.hour,
                                      t.minute, t.second);
        report.add("time", _("Time"), time, time);
    }
}

void add_raw_data(decode_report& report, const dl::frame& f) {
    report.add("data", _("Data field"), hex_text(f.data), hex_text(f.data));
}

// An abnormal reply is a valid frame in which the meter reports an error.
void add_abnormal_reply(decode_report& report, const dl::frame& f, std::error_code meter_error) {
    if (!f.data.empty()) {
        report.add("error_byte", _("Error byte"), hex_value(f.data.front(), 2), f.data.front());
    }
    report.add("meter_error", _("Meter error"), translated_reason(meter_error), meter_error.message());
}

void decode_body(decode_report& report, std::span<const std::uint8_t> frame_bytes, const dl::frame& f) {
    dl::counters stats;
    if (*report.direction == frame_direction::request) {
        auto request = dl::decode_request(frame_bytes, stats);
        if (request.has_frame()) {
            add_request(report, request.frame());
            return;
        }
        report.error = request.error();
        add_raw_data(report, f);
        return;
    }

    auto reply = dl::decode_reply(frame_bytes, stats);
    if (reply.has_frame()) {
        add_reply(report, reply.frame());
        return;
    }
    if (reply.error().category() == dl::meter_error_category()) {
        add_abnormal_reply(report, f, reply.error());
        return;
    }
    report.error = reply.error();
    add_raw_data(report, f);
}

// Received and computed CS of a frame rejected for its checksum. decode_frame
// consumed the preamble and the first start byte, so the frame starts one byte before.
void add_bad_checksum(decode_report& report, std::span<const std::uint8_t> bytes, std::size_t consumed) {
    if (consumed == 0 || consumed - 1 + dl::header_size > bytes.size()) {
        return;
    }
    const std::size_t start = consumed - 1;
    const std::size_t length = bytes[start + dl::header_size - 1];
    const std::size_t cs_at = start + dl::header_size + length;
    if (cs_at >= bytes.size()) {
        return;
    }
    const auto computed = dl::checksum(bytes.subspan(start, dl::header_size + length));
    report.check = frame_check{"CS", hex_value(bytes[cs_at], 2), hex_value(computed, 2), false};
}

} // namespace

decode_report decode_dlt645(std::span<const std::uint8_t> bytes) {
    decode_report report;
    report.protocol = "dlt645";
    dl::counters stats;
    auto framed = dl::decode_frame(bytes, stats);
    if (framed.needs_more()) {
        report.incomplete = true;
        return report;
    }
    if (framed.failed()) {
        report.error = framed.error();
        if (framed.error() == dl::error::bad_checksum) {
            add_bad_checksum(report, bytes, framed.consumed());
        }
        return report;
    }

    const auto& f = framed.frame();
    const std::size_t frame_size = dl::header_size + f.data.size() + 2;
    const auto frame_bytes = bytes.first(framed.consumed());
    report.direction = (f.control & dl::ctrl_reply_bit) ? frame_direction::response : frame_direction::request;
    report.direction_rule = "control";
    add_link(report, f, framed.consumed() - frame_size);
    decode_body(report, frame_bytes, f);

    const auto cs = frame_bytes[frame_bytes.size() - 2];
    report.check = frame_check{"CS", hex_value(cs, 2), hex_value(cs, 2), true};
    report.trailing.assign(bytes.begin() + static_cast<std::ptrdiff_t>(framed.consumed()), bytes.end());
    return report;
}

} // namespace citygate::cli
