#pragma once
// Reconnect delays: capped exponential backoff with jitter.

#include <chrono>
#include <cstdint>
#include <random>

namespace citygate::uplink {

class reconnect_backoff {
public:
    // `min_delay` below 1 ms counts as 1 ms; `max_delay` below `min_delay`
    // counts as `min_delay`.
    reconnect_backoff(std::chrono::milliseconds min_delay, std::chrono::milliseconds max_delay,
                      std::uint32_t seed = std::random_device{}());

    // Returns the delay before the next attempt, uniform in
    // [min, min(max, min * 2^n)] where n counts the calls since reset().
    // The jitter spreads the reconnects of many gateways after a broker
    // restart.
    std::chrono::milliseconds next();

    // Starts over at the minimum delay, after a successful connect.
    void reset() { attempt_ = 0; }

    std::chrono::milliseconds min_delay() const { return std::chrono::milliseconds(min_ms_); }
    std::chrono::milliseconds max_delay() const { return std::chrono::milliseconds(max_ms_); }

private:
    std::int64_t min_ms_;
    std::int64_t max_ms_;
    unsigned attempt_ = 0;
    std::mt19937 random_;
};

} // namespace citygate::uplink
