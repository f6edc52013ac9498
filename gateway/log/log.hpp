#pragma once
// Logging setup for citygated: spdlog to journald when started by systemd,
// to stderr otherwise, and a limiter for messages that would otherwise repeat
// on every poll.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace citygate::log {

// Installs the default logger, replacing any earlier one. `level` is a spdlog level name ("info",
// "debug", ...); an unknown name falls back to "info" and returns false.
bool init(std::string_view program, std::string_view level);

// Lets one message per key through every `interval`; the rest are counted so
// the next line that passes can say how many were suppressed.
class rate_limiter {
public:
    explicit rate_limiter(std::chrono::steady_clock::duration interval) : interval_(interval) {}

    // True when a line for `key` may be logged now. `suppressed` receives the
    // number of lines held back since the last one that passed.
    bool allow(const std::string& key, std::uint64_t& suppressed);

private:
    struct entry {
        std::chrono::steady_clock::time_point last;
        std::uint64_t suppressed = 0;
    };

    std::chrono::steady_clock::duration interval_;
    std::unordered_map<std::string, entry> entries_;
};

} // namespace citygate::log
