#include "gateway/uplink/forwarder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace citygate::uplink {

forwarder::forwarder(boost::asio::io_context& io, store::outbox& outbox, mqtt_uplink& uplink,
                     std::size_t max_in_flight, std::chrono::milliseconds retry_delay)
    : outbox_(outbox), uplink_(uplink), max_in_flight_(std::max<std::size_t>(max_in_flight, 1)),
      retry_delay_(retry_delay), retry_timer_(io)
{
}

void forwarder::kick()
{
    while (uplink_.connected() && !retry_pending_ && in_flight_.size() < max_in_flight_) {
        const std::size_t room = max_in_flight_ - in_flight_.size();
        auto batches = outbox_.next_batches(room, in_flight_);
        if (batches.empty())
            return;

        // The outbox returns event batches first; publishing in its order
        // keeps an alarm from waiting behind telemetry.
        for (auto& batch : batches) {
            if (in_flight_.size() >= max_in_flight_)
                return;
            const std::int64_t id = batch.id;
            if (auto ec = uplink_.publish_envelope(batch.lane, id, std::move(batch.bytes))) {
                spdlog::debug("forwarder: batch {} not published: {}", id, ec.message());
                return;
            }
            in_flight_.insert(id);
            ++stats_.published;
            stats_.peak_in_flight = std::max(stats_.peak_in_flight, in_flight_.size());
        }
    }
}

void forwarder::on_connected()
{
    kick();
}

void forwarder::on_disconnected()
{
    in_flight_.clear();
}

void forwarder::on_acked(std::int64_t batch_id)
{
    // An id outside the window belongs to a link that is gone; the batch is
    // (or will be) in flight again and is acknowledged then.
    if (in_flight_.erase(batch_id) == 0)
        return;

    if (auto ec = outbox_.acknowledge(batch_id))
        spdlog::warn("forwarder: acknowledging batch {} in the outbox failed: {}", batch_id, ec.message());
    else
        ++stats_.acknowledged;

    kick();
}

void forwarder::on_publish_failed(std::int64_t batch_id, const std::string& reason)
{
    if (in_flight_.erase(batch_id) == 0)
        return;

    ++stats_.failed;
    spdlog::debug("forwarder: batch {} failed ({}), retrying in {} ms", batch_id, reason, retry_delay_.count());
    schedule_retry();
}

void forwarder::schedule_retry()
{
    // A broker that rejects a batch would otherwise be flooded with resends.
    if (retry_pending_)
        return;
    retry_pending_ = true;

    retry_timer_.expires_after(retry_delay_);
    retry_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec)
            return;
        retry_pending_ = false;
        kick();
    });
}

} // namespace citygate::uplink
