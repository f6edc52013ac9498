// status, devices, read, write and queue: one request over the control socket,
// then the result as a table or as JSON.

#include "gateway/cli/commands.hpp"
#include "gateway/cli/daemon_call.hpp"
#include "gateway/cli/daemon_render.hpp"
#include "gateway/cli/exit_codes.hpp"
#include "gateway/cli/i18n.hpp"
#include "gateway/control/client.hpp"
#include "gateway/control/protocol.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace citygate::cli {

using nlohmann::json;

namespace {

std::chrono::milliseconds timeout_for(const daemon_options& options, bool slow_command) {
    const double seconds = options.timeout_s.value_or(slow_command ? 40.0 : 10.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

std::string reason_for_connect_error(const std::error_code& cause) {
    if (cause == std::errc::no_such_file_or_directory) {
        return _("the socket file does not exist");
    }
    if (cause == std::errc::connection_refused) {
        return _("nothing is listening on the socket");
    }
    if (cause == std::errc::permission_denied) {
        return _("permission denied; add your user to the 'citygate' group and log in again, or use sudo");
    }
    return cause ? std::strerror(cause.value()) : _("unknown error");
}

void print_json_error(std::string_view code, const std::string& message) {
    std::cout << json{{"error", {{"code", code}, {"message", message}}}}.dump() << std::endl;
}

} // namespace

int report_client_failure(const daemon_options& options, const control::call_result& result,
                          std::chrono::milliseconds timeout) {
    std::string message;
    if (result.error == control::client_error::not_reachable) {
        message = fmt::format(fmt::runtime(_("cannot reach citygated at {socket}: {reason}.")),
                              fmt::arg("socket", options.socket.string()),
                              fmt::arg("reason", reason_for_connect_error(result.cause)));
    } else if (result.error == control::client_error::timed_out) {
        message = fmt::format(fmt::runtime(_("citygated at {socket} did not answer within {seconds} s.")),
                              fmt::arg("socket", options.socket.string()),
                              fmt::arg("seconds", static_cast<double>(timeout.count()) / 1000.0));
    } else {
        message = fmt::format(fmt::runtime(_("the exchange with citygated at {socket} failed: {reason}.")),
                              fmt::arg("socket", options.socket.string()), fmt::arg("reason", result.error.message()));
    }
    const std::string hint = _("Check the daemon with 'systemctl status citygated', or pass --socket PATH.");

    if (options.json) {
        print_json_error("not_reachable", message);
    }
    std::cerr << _("error: ") << message << '\n' << hint << std::endl;
    return exit_unreachable;
}

namespace {

// Translated text for the daemon's error codes; the daemon's own message
// is English and is shown after it as detail.
std::string describe_daemon_error(const std::string& code, const json& request) {
    const std::string device =
        request.contains("device") && request["device"].is_string() ? request["device"].get<std::string>() : std::string();
    if (code == "device_not_found") {
        return fmt::format(fmt::runtime(_("device '{device}' is not configured on this gateway; "
                                          "'citygate devices' lists the configured devices")),
                           fmt::arg("device", device));
    }
    if (code == "read_failed") {
        return fmt::format(fmt::runtime(_("device '{device}' did not answer or sent an invalid answer")),
                           fmt::arg("device", device));
    }
    if (code == "write_failed") {
        // The request went out on the bus, so the device may have acted on
        // it even though its confirmation never arrived.
        return fmt::format(fmt::runtime(_("the command was sent to device '{device}' but the device did not confirm "
                                          "it; its state is unknown: check it with 'citygate read {device}'")),
                           fmt::arg("device", device));
    }
    if (code == "command_rejected") {
        return fmt::format(fmt::runtime(_("device '{device}' has no such command or value; nothing was sent "
                                          "(see docs/drivers.md for the commands of each driver)")),
                           fmt::arg("device", device));
    }
    if (code == "not_supported") {
        return fmt::format(fmt::runtime(_("device '{device}' sends its data on its own and cannot be read on demand")),
                           fmt::arg("device", device));
    }
    if (code == "bus_not_found") {
        const std::string bus = request.contains("bus") && request["bus"].is_string() ? request["bus"].get<std::string>()
                                                                                      : std::string();
        return fmt::format(fmt::runtime(_("bus '{bus}' is not configured on this gateway; "
                                          "'citygate status' lists the configured buses")),
                           fmt::arg("bus", bus));
    }
    if (code == "probe_failed") {
        return _("the probe could not be sent: the bus port is closed or failed");
    }
    if (code == "timed_out") {
        return _("the daemon did not finish the request in time");
    }
    if (code == "shutting_down") {
        return _("the daemon is shutting down");
    }
    if (code == "too_many_connections") {
        return _("the daemon has too many control connections open; try again shortly");
    }
    if (code == "internal_error") {
        return _("internal error in the daemon; see 'journalctl -u citygated'");
    }
    return _("the daemon rejected the request");
}

} // namespace

int report_daemon_error(const daemon_options& options, const json& request, const json& response) {
    const auto& error = response["error"];
    const std::string code = error["code"].get<std::string>();
    const std::string detail = error.contains("message") && error["message"].is_string()
                                   ? error["message"].get<std::string>()
                                   : std::string();

    if (options.json) {
        std::cout << json{{"error", error}}.dump() << std::endl;
        return exit_failed;
    }
    std::cerr << _("error: ") << describe_daemon_error(code, request) << " [" << code << "]";
    if (!detail.empty()) {
        std::cerr << " (" << detail << ")";
    }
    std::cerr << std::endl;
    return exit_failed;
}

namespace {

using renderer = void (*)(const json& result, std::ostream& out);

int call_and_render(const daemon_options& options, const json& request, bool slow_command, renderer render) {
    const auto timeout = timeout_for(options, slow_command);
    const control::client client(options.socket, timeout);
    const auto result = client.call(request);

    if (!result.response) {
        return report_client_failure(options, result, timeout);
    }
    const json& response = *result.response;
    if (!response["ok"].get<bool>()) {
        return report_daemon_error(options, request, response);
    }

    if (options.json) {
        std::cout << response["result"].dump() << std::endl;
        return exit_ok;
    }
    render(response["result"], std::cout);
    std::cout.flush();
    return exit_ok;
}

} // namespace

int run_status(const daemon_options& options) {
    return call_and_render(options, {{"cmd", "status"}}, false, render_status);
}

int run_devices(const daemon_options& options) {
    return call_and_render(options, {{"cmd", "devices"}}, false, render_devices);
}

int run_read(const daemon_options& options, const std::string& device, bool raw) {
    return call_and_render(options, {{"cmd", "read"}, {"device", device}, {"raw", raw}}, true, render_read);
}

bool read_confirmation() {
    std::string answer;
    if (!std::getline(std::cin, answer)) {
        return false;
    }
    while (!answer.empty() && (answer.back() == '\r' || answer.back() == ' ')) {
        answer.pop_back();
    }
    return answer == "y" || answer == "yes" || answer == "Y" || answer == "YES" || answer == "是";
}

namespace {

// Asks on stderr and reads the answer from stdin.
bool confirm_write(const std::string& device, const std::string& assignment) {
    std::cerr << fmt::format(fmt::runtime(_("Send {command} to device {device}? Type 'yes' to confirm: ")),
                             fmt::arg("command", assignment), fmt::arg("device", device))
              << std::flush;
    return read_confirmation();
}

} // namespace

int run_write(const daemon_options& options, const write_request& request) {
    const auto equals = request.assignment.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == request.assignment.size()) {
        std::cerr << fmt::format(fmt::runtime(_("error: expected NAME=VALUE, e.g. valve=close, got \"{text}\"")),
                                 fmt::arg("text", request.assignment))
                  << '\n';
        return exit_usage;
    }
    const auto name = request.assignment.substr(0, equals);
    const auto value = request.assignment.substr(equals + 1);

    if (!request.yes && !confirm_write(request.device, request.assignment)) {
        std::cerr << _("Not confirmed; nothing was sent. Pass --yes to skip the question.") << '\n';
        return exit_failed;
    }
    return call_and_render(options,
                           {{"cmd", "write"}, {"device", request.device}, {"name", name}, {"value", value},
                            {"raw", request.raw}},
                           true, render_write);
}

int run_queue(const daemon_options& options) {
    return call_and_render(options, {{"cmd", "queue"}}, false, render_queue);
}

} // namespace citygate::cli
