#pragma once
// Synchronous control socket client for the citygate CLI and tests.

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <system_error>

namespace citygate::control {

enum class client_error {
    not_reachable = 1,   // connect() failed; `cause` has the errno (ENOENT, ECONNREFUSED, EACCES)
    timed_out,           // no complete response line before the deadline
    connection_closed,   // the daemon closed the connection before answering
    response_too_large,  // the response line exceeded max_response_bytes
    malformed_response,  // the response is not a protocol response object
    io_failure,          // read or write failed; `cause` has the errno
};

const std::error_category& client_category() noexcept;
std::error_code make_error_code(client_error e) noexcept;

struct call_result {
    std::optional<nlohmann::json> response; // set when a valid response arrived (ok true or false)
    std::error_code error;                  // client_error when `response` is empty
    std::error_code cause;                  // the underlying system error, if any
};

class client {
public:
    explicit client(std::filesystem::path socket_path, std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // Connects, sends `request` as one line and waits for one response line.
    // The timeout covers the whole exchange. Never throws on I/O errors.
    call_result call(const nlohmann::json& request) const;

    const std::filesystem::path& socket_path() const { return socket_path_; }

private:
    std::filesystem::path socket_path_;
    std::chrono::milliseconds timeout_;
};

} // namespace citygate::control

template <>
struct std::is_error_code_enum<citygate::control::client_error> : std::true_type {};
