// Text and JSON output of `citygate decode`.

#include "gateway/cli/decode_report.hpp"
#include "gateway/cli/i18n.hpp"
#include "gateway/cli/text.hpp"

#include <fmt/format.h>

#include <utility>

namespace citygate::cli {

using nlohmann::json;

void decode_report::add(std::string key, std::string label, std::string text, json value, std::string unit) {
    fields.push_back({std::move(key), std::move(label), std::move(text), std::move(value), std::move(unit)});
}

std::string hex_text(std::span<const std::uint8_t> bytes) {
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i != 0) {
            out += ' ';
        }
        out += fmt::format("{:02X}", bytes[i]);
    }
    return out;
}

std::string hex_value(unsigned value, int digits) {
    return fmt::format("{:0{}X}", value, digits);
}

namespace {

std::string protocol_title(const std::string& protocol) {
    if (protocol == "cjt188") {
        return "CJ/T 188";
    }
    if (protocol == "dlt645") {
        return "DL/T 645";
    }
    return protocol == "modbus-tcp" ? "Modbus TCP" : "Modbus RTU";
}

std::string direction_text(const decode_report& report) {
    const std::string name = *report.direction == frame_direction::request ? _("request") : _("response");
    if (report.direction_rule == "control") {
        return fmt::format(fmt::runtime(_("{direction} (bit 7 of the control code)")), fmt::arg("direction", name));
    }
    if (report.direction_rule == "auto") {
        return fmt::format(fmt::runtime(_("{direction} (chosen by --direction auto)")),
                           fmt::arg("direction", name));
    }
    return name;
}

std::string check_text(const frame_check& check) {
    if (check.ok) {
        return fmt::format(fmt::runtime(_("{received}, matches")), fmt::arg("received", check.received));
    }
    return fmt::format(fmt::runtime(_("{received} received, {computed} computed: mismatch")),
                       fmt::arg("received", check.received), fmt::arg("computed", check.computed));
}

std::string result_text(const decode_report& report) {
    if (report.incomplete) {
        return _("incomplete");
    }
    return report.error ? _("rejected") : _("valid frame");
}

} // namespace

void print_report_text(const decode_report& report, std::ostream& out, std::ostream& err) {
    std::vector<std::pair<std::string, std::string>> lines;
    lines.emplace_back(_("Protocol"), protocol_title(report.protocol));
    if (report.direction) {
        lines.emplace_back(_("Direction"), direction_text(report));
    }
    for (const auto& field : report.fields) {
        lines.emplace_back(field.label, field.unit.empty() ? field.text : field.text + " " + field.unit);
    }
    if (report.check) {
        lines.emplace_back(report.check->name, check_text(*report.check));
    }
    if (!report.trailing.empty()) {
        lines.emplace_back(_("Trailing bytes"), hex_text(report.trailing) + " " + _("(not part of the frame)"));
    }
    lines.emplace_back(_("Result"), result_text(report));
    print_fields(out, lines);
    out.flush();

    if (report.incomplete) {
        err << _("error: ") << _("incomplete frame: the input ends before the end of the frame") << std::endl;
    } else if (report.error) {
        // The codec's message names the protocol and the reason, e.g.
        // "CJ/T 188 frame rejected: checksum mismatch".
        err << _("error: ") << translated_reason(report.error) << std::endl;
    }
}

json report_to_json(const decode_report& report) {
    json fields = json::object();
    for (const auto& field : report.fields) {
        // Only locale-independent members: `text` and `label` are translated.
        json entry{{"value", field.value}};
        if (!field.unit.empty()) {
            entry["unit"] = field.unit;
        }
        fields[field.key] = std::move(entry);
    }

    json out{{"protocol", report.protocol}, {"valid", report.valid()}, {"fields", std::move(fields)}};
    if (report.direction) {
        out["direction"] = *report.direction == frame_direction::request ? "request" : "response";
        out["direction_rule"] = report.direction_rule;
    }
    if (report.check) {
        out["check"] = {{"name", report.check->name},
                        {"received", report.check->received},
                        {"computed", report.check->computed},
                        {"ok", report.check->ok}};
    }
    if (report.incomplete) {
        out["incomplete"] = true;
        out["error"] = {{"message", "incomplete frame: the input ends before the end of the frame"}};
    } else if (report.error) {
        out["error"] = {{"category", report.error.category().name()},
                        {"value", report.error.value()},
                        {"message", report.error.message()}};
    }
    if (!report.trailing.empty()) {
        out["trailing"] = hex_text(report.trailing);
    }
    return out;
}

} // namespace citygate::cli
