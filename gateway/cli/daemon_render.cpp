#include "gateway/cli/daemon_render.hpp"

#include "gateway/cli/i18n.hpp"
#include "gateway/cli/text.hpp"

#include <fmt/format.h>

#include <optional>

namespace citygate::cli {
namespace {

using nlohmann::json;

const json& field(const json& object, const char* key) {
    static const json missing;
    if (!object.is_object()) {
        return missing;
    }
    const auto it = object.find(key);
    return it == object.end() ? missing : *it;
}

std::string text_of(const json& value) {
    if (value.is_string()) {
        return value.get<std::string>();
    }
    if (value.is_number_float()) {
        return format_number(value.get<double>());
    }
    if (value.is_null()) {
        return "-";
    }
    return value.dump();
}

std::optional<std::int64_t> integer_of(const json& value) {
    if (value.is_number_integer()) {
        return value.get<std::int64_t>();
    }
    return std::nullopt;
}

std::string time_or(const json& value, const char* fallback) {
    const auto ms = integer_of(value);
    return ms ? format_local_time_ms(*ms) : std::string(fallback);
}

std::string translate_state(const std::string& state) {
    if (state == "online") {
        return _("online");
    }
    if (state == "offline") {
        return _("offline");
    }
    if (state == "unknown") {
        return _("unknown");
    }
    return state;
}

std::string describe_uplink(const json& uplink) {
    const auto& connected = field(uplink, "connected");
    const std::string broker = text_of(field(uplink, "broker"));
    const std::string reconnects = text_of(field(uplink, "reconnects"));
    if (connected.is_boolean() && connected.get<bool>()) {
        return fmt::format(fmt::runtime(_("connected to {broker} (reconnects: {count})")), fmt::arg("broker", broker),
                           fmt::arg("count", reconnects));
    }
    return fmt::format(fmt::runtime(_("NOT connected (broker {broker}, reconnects: {count})")),
                       fmt::arg("broker", broker), fmt::arg("count", reconnects));
}

std::string describe_clock(const json& trusted) {
    if (trusted.is_boolean() && !trusted.get<bool>()) {
        return _("NOT synchronised; readings are flagged clock_trusted=false");
    }
    return trusted.is_boolean() ? _("synchronised") : "-";
}

std::string value_text(const json& value) {
    if (value.is_boolean()) {
        return value.get<bool>() ? "true" : "false";
    }
    return text_of(value);
}

// The raw frames of each step of a read or write, numbered when there are several.
void render_exchanges(const json& exchanges, std::ostream& out) {
    if (!exchanges.is_array()) {
        return;
    }
    for (std::size_t i = 0; i < exchanges.size(); ++i) {
        const auto& exchange = exchanges[i];
        if (exchanges.size() > 1) {
            out << fmt::format(fmt::runtime(_("Step {step} of {count} (attempts: {attempts})")), fmt::arg("step", i + 1),
                               fmt::arg("count", exchanges.size()), fmt::arg("attempts", text_of(field(exchange, "attempts"))))
                << '\n';
        }
        out << _("Request frame:  ") << text_of(field(exchange, "request_hex")) << '\n';
        const auto& response = field(exchange, "response_hex");
        out << _("Response frame: ")
            << (response.is_string() && !response.get<std::string>().empty() ? response.get<std::string>() : _("(none)"))
            << '\n';
        const auto& error = field(exchange, "error");
        if (error.is_string() && !error.get<std::string>().empty()) {
            out << _("Error:          ") << error.get<std::string>() << '\n';
        }
    }
}

// The DTU listener's addresses and counters; nothing when none is configured.
void render_dtu_listener(const json& dtu, std::ostream& out) {
    if (!dtu.is_object()) {
        return;
    }
    std::string addresses;
    for (const auto& address : field(dtu, "listening")) {
        addresses += (addresses.empty() ? "" : ", ") + text_of(address);
    }
    const std::string counters = fmt::format(
        fmt::runtime(_("{attached} attached, {registered} registered, {replaced} replaced, {rejected} unknown "
                       "registrations, {timed_out} timed out, {over_limit} over the connection limit")),
        fmt::arg("attached", text_of(field(dtu, "attached"))), fmt::arg("registered", text_of(field(dtu, "registered"))),
        fmt::arg("replaced", text_of(field(dtu, "replaced"))), fmt::arg("rejected", text_of(field(dtu, "rejected"))),
        fmt::arg("timed_out", text_of(field(dtu, "timed_out"))),
        fmt::arg("over_limit", text_of(field(dtu, "over_limit"))));

    out << '\n';
    print_fields(out, {
                          {_("DTU listener"), addresses.empty() ? _("not listening") : addresses},
                          {_("DTUs"), counters},
                      });
}

// The daemon describes a DTU bus as "dtu PATTERN from PEER" or "dtu
// PATTERN (not registered)"; the connecting words are translated.
std::string translate_endpoint(const std::string& endpoint) {
    if (!endpoint.starts_with("dtu ")) {
        return endpoint;
    }
    const std::string not_registered = " (not registered)";
    if (endpoint.ends_with(not_registered)) {
        return fmt::format(fmt::runtime(_("{dtu} (not registered)")),
                           fmt::arg("dtu", endpoint.substr(0, endpoint.size() - not_registered.size())));
    }
    const auto from = endpoint.rfind(" from ");
    if (from == std::string::npos) {
        return endpoint;
    }
    return fmt::format(fmt::runtime(_("{dtu} from {peer}")), fmt::arg("dtu", endpoint.substr(0, from)),
                       fmt::arg("peer", endpoint.substr(from + 6)));
}

} // namespace

void render_status(const json& result, std::ostream& out) {
    const auto uptime = integer_of(field(result, "uptime_s"));
    std::string uptime_text = uptime ? format_duration(static_cast<std::uint64_t>(*uptime)) : "-";
    if (const auto started = integer_of(field(result, "started_at_ms"))) {
        uptime_text += fmt::format(fmt::runtime(_(" (since {time})")), fmt::arg("time", format_local_time_ms(*started)));
    }

    const std::string devices =
        fmt::format(fmt::runtime(_("{online} of {total} online")), fmt::arg("online", text_of(field(result, "devices_online"))),
                    fmt::arg("total", text_of(field(result, "devices_total"))));

    // Daemons before gateway.location existed send no "location" field.
    const auto& location_field = field(result, "location");
    const std::string location = location_field.is_string() ? location_field.get<std::string>() : "";

    print_fields(out, {
                          {_("Gateway"), text_of(field(result, "gateway_id"))},
                          {_("Location"), location.empty() ? "-" : location},
                          {_("Version"), text_of(field(result, "version"))},
                          {_("Uptime"), uptime_text},
                          {_("Clock"), describe_clock(field(result, "clock_trusted"))},
                          {_("Uplink"), describe_uplink(field(result, "uplink"))},
                          {_("Devices"), devices},
                      });

    const auto& buses = field(result, "buses");
    if (!buses.is_array() || buses.empty()) {
        return;
    }
    out << '\n';
    table rows({_("BUS"), _("LINK"), _("ENDPOINT"), _("EXCHANGES"), _("TIMEOUTS"), _("REJECTED FRAMES"),
                _("LATE ANSWERS"), _("PORT ERRORS"), _("DROPPED BYTES")});
    for (const auto& bus : buses) {
        const auto& open = field(bus, "open");
        std::string link = "-";
        if (open.is_boolean()) {
            link = open.get<bool>() ? _("up") : _("DOWN");
        }
        rows.add_row({text_of(field(bus, "id")), link,
                      translate_endpoint(text_of(field(bus, "endpoint"))), text_of(field(bus, "exchanges")),
                      text_of(field(bus, "timeouts")), text_of(field(bus, "rejected_frames")),
                      text_of(field(bus, "late_answers")), text_of(field(bus, "port_errors")),
                      text_of(field(bus, "dropped_bytes"))});
    }
    rows.print(out);
    render_dtu_listener(field(result, "dtu"), out);
}

void render_devices(const json& result, std::ostream& out) {
    const auto& devices = field(result, "devices");
    if (!devices.is_array() || devices.empty()) {
        out << _("No devices are configured.") << '\n';
        return;
    }

    table rows({_("DEVICE"), _("DRIVER"), _("BUS"), _("ADDRESS"), _("STATE"), _("LAST READING"), _("FAILURES"),
                _("REJECTED"), _("LAST ERROR")});
    for (const auto& device : devices) {
        const auto& state = field(device, "state");
        const auto& last_error = field(device, "last_error");
        rows.add_row({text_of(field(device, "id")), text_of(field(device, "driver")), text_of(field(device, "bus")),
                      text_of(field(device, "address")),
                      state.is_string() ? translate_state(state.get<std::string>()) : "-",
                      time_or(field(device, "last_reading_ms"), _("never")),
                      text_of(field(device, "consecutive_failures")), text_of(field(device, "rejected_frames")),
                      last_error.is_string() && !last_error.get<std::string>().empty() ? last_error.get<std::string>()
                                                                                        : "-"});
    }
    rows.print(out);
}

void render_read(const json& result, std::ostream& out) {
    out << fmt::format(fmt::runtime(_("Device {device}, read at {time}")),
                       fmt::arg("device", text_of(field(result, "device"))),
                       fmt::arg("time", time_or(field(result, "ts_ms"), "-")))
        << '\n';

    const auto& values = field(result, "values");
    if (!values.is_array() || values.empty()) {
        out << _("The device returned no values.") << '\n';
    } else {
        table rows({_("METRIC"), _("VALUE"), _("UNIT")});
        for (const auto& value : values) {
            const auto& unit = field(value, "unit");
            rows.add_row({text_of(field(value, "metric")), value_text(field(value, "value")),
                          unit.is_string() ? unit.get<std::string>() : ""});
        }
        rows.print(out);
    }

    render_exchanges(field(result, "exchanges"), out);
}

void render_write(const json& result, std::ostream& out) {
    out << fmt::format(fmt::runtime(_("Device {device} confirmed the command.")),
                       fmt::arg("device", text_of(field(result, "device"))))
        << '\n';
    const auto& values = field(result, "values");
    if (values.is_array() && !values.empty()) {
        table rows({_("METRIC"), _("VALUE"), _("UNIT")});
        for (const auto& value : values) {
            const auto& unit = field(value, "unit");
            rows.add_row({text_of(field(value, "metric")), value_text(field(value, "value")),
                          unit.is_string() ? unit.get<std::string>() : ""});
        }
        rows.print(out);
    }
    render_exchanges(field(result, "exchanges"), out);
}

void render_queue(const json& result, std::ostream& out) {
    table lanes({_("LANE"), _("PENDING ROWS"), _("SEALED ROWS"), _("BYTES")});
    for (const auto& [key, label] : {std::pair{"event", _("event")}, std::pair{"telemetry", _("telemetry")}}) {
        const auto& lane = field(result, key);
        lanes.add_row({label, text_of(field(lane, "pending_rows")), text_of(field(lane, "sealed_rows")),
                       text_of(field(lane, "bytes"))});
    }
    lanes.print(out);
    out << '\n';

    print_fields(out, {
                          {_("Oldest unsent reading"), time_or(field(result, "oldest_unsent_ms"), _("none"))},
                          {_("Accepted"), text_of(field(result, "accepted"))},
                          {_("Sent"), text_of(field(result, "sent"))},
                          {_("Evicted"), text_of(field(result, "evicted"))},
                          {_("Next sequence"), text_of(field(result, "next_sequence"))},
                          {_("In flight"), text_of(field(result, "in_flight"))},
                      });
}

} // namespace citygate::cli
