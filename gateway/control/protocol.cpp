#include "gateway/control/protocol.hpp"

#include <array>
#include <utility>

namespace citygate::control {
namespace {

struct errc_entry {
    errc code;
    std::string_view name;
    std::string_view description;
};

constexpr std::array errc_table{
    errc_entry{errc::malformed_json, "malformed_json", "request is not valid JSON"},
    errc_entry{errc::bad_request, "bad_request", "request is not a valid command object"},
    errc_entry{errc::unknown_command, "unknown_command", "unknown command"},
    errc_entry{errc::request_too_large, "request_too_large", "request line too large"},
    errc_entry{errc::too_many_connections, "too_many_connections", "too many control connections"},
    errc_entry{errc::device_not_found, "device_not_found", "device not found"},
    errc_entry{errc::bus_not_found, "bus_not_found", "bus not found"},
    errc_entry{errc::not_supported, "not_supported", "command not supported for this device"},
    errc_entry{errc::read_failed, "read_failed", "device read failed"},
    errc_entry{errc::command_rejected, "command_rejected", "command rejected"},
    errc_entry{errc::write_failed, "write_failed", "device write failed"},
    errc_entry{errc::probe_failed, "probe_failed", "probe could not be sent on the bus"},
    errc_entry{errc::timed_out, "timed_out", "timed out"},
    errc_entry{errc::shutting_down, "shutting_down", "daemon is shutting down"},
    errc_entry{errc::internal_error, "internal_error", "internal error"},
};

const errc_entry* find_entry(errc e) noexcept {
    for (const auto& entry : errc_table) {
        if (entry.code == e) {
            return &entry;
        }
    }
    return nullptr;
}

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.control"; }

    std::string message(int value) const override {
        const auto* entry = find_entry(static_cast<errc>(value));
        return entry ? std::string(entry->description) : "unknown control error";
    }
};

bool is_known_command(std::string_view cmd) {
    return cmd == "status" || cmd == "devices" || cmd == "read" || cmd == "write" || cmd == "queue" ||
           cmd == "probe";
}

bool is_short_text(const nlohmann::json& request, const char* key) {
    const auto field = request.find(key);
    if (field == request.end() || !field->is_string()) {
        return false;
    }
    const auto& text = field->get_ref<const std::string&>();
    return !text.empty() && text.size() <= max_command_text;
}

bool all_of(std::string_view text, std::string_view allowed) {
    return text.find_first_not_of(allowed) == std::string_view::npos;
}

constexpr std::string_view decimal_digits = "0123456789";
constexpr std::string_view hex_digits = "0123456789ABCDEFabcdef";

// The same rule as config::is_valid_id, which bus ids in the config follow.
bool is_bus_id(const std::string& id) {
    return !id.empty() && id.size() <= 64 &&
           all_of(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
}

// Checks one probed address; broadcast addresses are reached with "address":null.
std::optional<std::string> check_probe_address(const std::string& protocol, const std::string& address) {
    if (protocol == "dlt645") {
        if (address.size() != 12 || !all_of(address, decimal_digits) || address == "999999999999") {
            return "a DL/T 645 \"address\" is 12 decimal digits, not the broadcast 999999999999";
        }
    } else if (protocol == "cjt188") {
        if (address.size() != 14 || !all_of(address, hex_digits) || address == "AAAAAAAAAAAAAA" ||
            address == "aaaaaaaaaaaaaa") {
            return "a CJ/T 188 \"address\" is 14 hex digits, not the broadcast AAAAAAAAAAAAAA";
        }
    } else {
        const bool digits = !address.empty() && address.size() <= 3 && all_of(address, decimal_digits);
        if (!digits || std::stoi(address) < 1 || std::stoi(address) > 247) {
            return "a Modbus \"address\" is a unit id 1-247";
        }
    }
    return std::nullopt;
}

std::optional<std::string> check_probe_options(const nlohmann::json& request, const std::string& protocol) {
    const auto edition = request.find("edition");
    if (edition != request.end()) {
        const bool text = edition->is_string();
        const auto value = text ? edition->get<std::string>() : std::string();
        const bool valid = (protocol == "dlt645" && (value == "2007" || value == "1997")) ||
                           (protocol == "cjt188" && (value == "2018" || value == "2004"));
        if (!valid) {
            return "\"edition\" is 2007 or 1997 for dlt645, 2018 or 2004 for cjt188, and absent for modbus";
        }
    }

    const auto meter_type = request.find("meter_type");
    if (meter_type != request.end()) {
        const auto value = meter_type->is_string() ? meter_type->get<std::string>() : std::string();
        const bool valid = protocol == "cjt188" && value.size() == 2 && all_of(value, hex_digits) &&
                           std::stoi(value, nullptr, 16) >= 0x10 && std::stoi(value, nullptr, 16) <= 0x39;
        if (!valid) {
            return "\"meter_type\" is two hex digits 10-39, and only for cjt188";
        }
    }
    return std::nullopt;
}

std::optional<std::string> check_probe_scan(const nlohmann::json& request) {
    const auto scan = request.find("scan");
    if (scan == request.end()) {
        return std::nullopt;
    }
    const bool shaped = scan->is_object() && scan->contains("index") && scan->contains("total") &&
                        (*scan)["index"].is_number_unsigned() && (*scan)["total"].is_number_unsigned();
    if (!shaped || (*scan)["total"].get<std::uint64_t>() == 0 ||
        (*scan)["total"].get<std::uint64_t>() > max_scan_addresses ||
        (*scan)["index"].get<std::uint64_t>() >= (*scan)["total"].get<std::uint64_t>()) {
        return "\"scan\" is {\"index\":n,\"total\":m} with 0 <= n < m <= " + std::to_string(max_scan_addresses);
    }
    return std::nullopt;
}

// Returns what is wrong with a probe request, std::nullopt when it is valid.
std::optional<std::string> check_probe(const nlohmann::json& request) {
    const auto bus = request.find("bus");
    if (bus == request.end() || !bus->is_string() || !is_bus_id(bus->get<std::string>())) {
        return "\"bus\" must be a bus id: 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'";
    }

    const auto protocol_field = request.find("protocol");
    const auto protocol = protocol_field != request.end() && protocol_field->is_string()
                              ? protocol_field->get<std::string>()
                              : std::string();
    if (protocol != "dlt645" && protocol != "cjt188" && protocol != "modbus") {
        return "\"protocol\" must be dlt645, cjt188 or modbus";
    }

    const auto address = request.find("address");
    if (address == request.end() || !(address->is_null() || address->is_string())) {
        return "\"address\" must be a string, or null for the read-address broadcast";
    }
    if (address->is_null() && protocol == "modbus") {
        return "modbus has no read-address broadcast; probe one unit id per request";
    }
    if (address->is_string()) {
        if (auto problem = check_probe_address(protocol, address->get<std::string>())) {
            return problem;
        }
    }

    if (auto problem = check_probe_options(request, protocol)) {
        return problem;
    }
    return check_probe_scan(request);
}

} // namespace

const std::error_category& control_category() noexcept {
    static const category instance;
    return instance;
}

std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), control_category()};
}

std::string_view wire_name(errc e) noexcept {
    const auto* entry = find_entry(e);
    return entry ? entry->name : "internal_error";
}

std::optional<errc> errc_from_wire(std::string_view name) noexcept {
    for (const auto& entry : errc_table) {
        if (entry.name == name) {
            return entry.code;
        }
    }
    return std::nullopt;
}

nlohmann::json make_result(nlohmann::json result) {
    return {{"ok", true}, {"result", std::move(result)}};
}

nlohmann::json make_error(errc code, std::string message) {
    return {{"ok", false}, {"error", {{"code", std::string(wire_name(code))}, {"message", std::move(message)}}}};
}

std::optional<nlohmann::json> check_request(const nlohmann::json& request) {
    if (!request.is_object()) {
        return make_error(errc::bad_request, "request must be a JSON object");
    }

    const auto cmd = request.find("cmd");
    if (cmd == request.end() || !cmd->is_string()) {
        return make_error(errc::bad_request, "request needs a string field \"cmd\"");
    }

    const auto& name = cmd->get_ref<const std::string&>();
    if (!is_known_command(name)) {
        return make_error(errc::unknown_command,
                          "unknown command \"" + name + "\"; expected status, devices, read, write, queue or probe");
    }

    if (name == "read" || name == "write") {
        const auto device = request.find("device");
        if (device == request.end() || !device->is_string() || device->get_ref<const std::string&>().empty()) {
            return make_error(errc::bad_request, "\"" + name + "\" needs a non-empty string field \"device\"");
        }
        const auto raw = request.find("raw");
        if (raw != request.end() && !raw->is_boolean()) {
            return make_error(errc::bad_request, "\"raw\" must be true or false");
        }
    }
    if (name == "write" && (!is_short_text(request, "name") || !is_short_text(request, "value"))) {
        return make_error(errc::bad_request, "\"write\" needs string fields \"name\" and \"value\" of 1 to " +
                                                 std::to_string(max_command_text) + " characters");
    }
    if (name == "probe") {
        if (auto problem = check_probe(request)) {
            return make_error(errc::bad_request, "\"probe\": " + *problem);
        }
    }
    return std::nullopt;
}

bool is_valid_response(const nlohmann::json& response) {
    if (!response.is_object()) {
        return false;
    }

    const auto ok = response.find("ok");
    if (ok == response.end() || !ok->is_boolean()) {
        return false;
    }
    if (ok->get<bool>()) {
        return response.contains("result");
    }

    const auto error = response.find("error");
    if (error == response.end() || !error->is_object()) {
        return false;
    }
    const auto code = error->find("code");
    return code != error->end() && code->is_string();
}

} // namespace citygate::control
