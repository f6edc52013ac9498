#pragma once
// Error reporting shared by the commands that talk to citygated.

#include "gateway/cli/commands.hpp"
#include "gateway/control/client.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace citygate::cli {

// Prints why the control socket exchange failed (as JSON on stdout too with
// --json) and returns exit_unreachable.
int report_client_failure(const daemon_options& options, const control::call_result& result,
                          std::chrono::milliseconds timeout);

// Prints the daemon's error response for `request` and returns exit_failed.
int report_daemon_error(const daemon_options& options, const nlohmann::json& request, const nlohmann::json& response);

// Reads one line from stdin; true for "y", "yes" and "是" (any case of y/yes).
bool read_confirmation();

} // namespace citygate::cli
