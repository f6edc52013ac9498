// Fuzz target for the control socket's request check: any line a local
// client sends is parsed as JSON and checked, and every request the check
// accepts must carry the fields citygated then reads, with the types it
// reads them as, so the daemon's handlers cannot throw on them.

#include "gateway/control/protocol.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

// The accesses of gateway/daemon/app_control.cpp, which run only on
// requests check_request() accepted.
void read_like_the_daemon(const nlohmann::json& request)
{
    const auto command = request.at("cmd").get<std::string>();
    if (command == "read" || command == "write") {
        (void)request.at("device").get<std::string>();
        (void)request.value("raw", false);
    }
    if (command == "write") {
        const auto name = request.at("name").get<std::string>();
        const auto value = request.at("value").get<std::string>();
        if (name.empty() || value.empty() || name.size() > citygate::control::max_command_text ||
            value.size() > citygate::control::max_command_text)
            __builtin_trap();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size > citygate::control::max_request_bytes)
        return 0;

    const auto request = nlohmann::json::parse(data, data + size, nullptr, false);
    if (request.is_discarded())
        return 0;

    const auto rejection = citygate::control::check_request(request);
    if (rejection) {
        // A rejection is a well-formed error response.
        if (!citygate::control::is_valid_response(*rejection))
            __builtin_trap();
        return 0;
    }

    try {
        read_like_the_daemon(request);
    } catch (const nlohmann::json::exception&) {
        __builtin_trap();
    }
    return 0;
}
