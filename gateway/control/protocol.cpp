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
    errc_entry{errc::not_supported, "not_supported", "command not supported for this device"},
    errc_entry{errc::read_failed, "read_failed", "device read failed"},
    errc_entry{errc::command_rejected, "command_rejected", "command rejected"},
    errc_entry{errc::write_failed, "write_failed", "device write failed"},
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
    return cmd == "status" || cmd == "devices" || cmd == "read" || cmd == "write" || cmd == "queue";
}

bool is_short_text(const nlohmann::json& request, const char* key) {
    const auto field = request.find(key);
    if (field == request.end() || !field->is_string()) {
        return false;
    }
    const auto& text = field->get_ref<const std::string&>();
    return !text.empty() && text.size() <= max_command_text;
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
                          "unknown command \"" + name + "\"; expected status, devices, read, write or queue");
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
