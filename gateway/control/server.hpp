#pragma once
// The daemon side of the control socket (protocol in protocol.hpp).
//
// The server validates each request line (JSON, known command, field types)
// before the handler sees it, so the handler only gets well-formed requests.
// The handler answers through `reply`, now or later (e.g. after a bus poll);
// `reply` may be called from any thread and only its first call counts.
// A handler that has not replied after handler_timeout is answered with
// "timed_out" for it.

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace citygate::control {

using reply_fn = std::function<void(nlohmann::json response)>;
using handler = std::function<void(const nlohmann::json& request, reply_fn reply)>;

struct server_options {
    std::size_t max_request_bytes = 64 * 1024;
    std::chrono::milliseconds idle_timeout{30000};    // a connection without a complete request line is closed
    std::chrono::milliseconds handler_timeout{30000}; // longest wait for the handler's reply
    std::size_t max_connections = 16;                 // more are answered "too_many_connections" and closed
    std::string socket_group = "citygate";            // group of the socket file when that group exists
};

// Counts of rejected input, for tests and the health report.
struct server_counters {
    std::uint64_t connections = 0;
    std::uint64_t requests = 0;
    std::uint64_t malformed_json = 0;
    std::uint64_t bad_requests = 0;   // bad_request and unknown_command
    std::uint64_t oversize = 0;
    std::uint64_t idle_timeouts = 0;
    std::uint64_t handler_timeouts = 0;
    std::uint64_t refused_connections = 0;
};

class server {
public:
    // Creates the parent directory if missing (mode 0750), removes a stale
    // socket file, binds and listens with mode 0660. Throws
    // std::system_error when the path is too long, is not a socket, is in
    // use by a running process, or cannot be bound.
    server(boost::asio::io_context& io, std::filesystem::path socket_path, control::handler h,
           server_options options = {});

    // Stops accepting, closes every connection and removes the socket file.
    ~server();

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Same as the destructor's cleanup; safe to call more than once. Must
    // run on the io_context's thread.
    void stop();

    const std::filesystem::path& socket_path() const;
    server_counters counters() const;

    struct state;

private:
    std::shared_ptr<state> state_;
};

} // namespace citygate::control
