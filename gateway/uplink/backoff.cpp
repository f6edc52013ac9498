#include "gateway/uplink/backoff.hpp"

#include <algorithm>

namespace citygate::uplink {

reconnect_backoff::reconnect_backoff(std::chrono::milliseconds min_delay, std::chrono::milliseconds max_delay,
                                     std::uint32_t seed)
    : min_ms_(std::max<std::int64_t>(min_delay.count(), 1)),
      max_ms_(std::max<std::int64_t>(max_delay.count(), min_ms_)), random_(seed)
{
}

std::chrono::milliseconds reconnect_backoff::next()
{
    // Stop doubling once the cap is reached, so the shift cannot overflow.
    std::int64_t ceiling = min_ms_;
    for (unsigned i = 0; i < attempt_ && ceiling < max_ms_; ++i)
        ceiling *= 2;
    ceiling = std::min(ceiling, max_ms_);
    if (ceiling < max_ms_)
        ++attempt_;

    std::uniform_int_distribution<std::int64_t> pick(min_ms_, ceiling);
    return std::chrono::milliseconds(pick(random_));
}

} // namespace citygate::uplink
