#include "gateway/daemon/pipeline.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace citygate::daemon {

pipeline::pipeline(boost::asio::io_context& io, store::outbox& outbox, store::seal_function seal,
                   std::string gateway_id, std::function<std::int64_t()> now_ms, pipeline_options options)
    : io_(io), outbox_(outbox), seal_(std::move(seal)), gateway_id_(std::move(gateway_id)),
      now_ms_(std::move(now_ms)), options_(options), flush_timer_(io), retention_timer_(io)
{
}

void pipeline::start()
{
    running_ = true;
    enforce_retention();
    seal();
    schedule_flush();
    schedule_retention();
}

bool pipeline::stop()
{
    running_ = false;
    flush_timer_.cancel();
    retention_timer_.cancel();
    return flush();
}

void pipeline::add(reading r)
{
    ++stats_.received;
    const bool urgent = r.lane == lane::event;

    if (buffer_.size() >= options_.max_buffered)
        drop_oldest_telemetry();
    buffer_.push_back(std::move(r));

    // Alarms and state changes must not wait for the timer, and a burst of
    // telemetry is committed in bounded transactions.
    const bool early = urgent || buffer_.size() >= options_.flush_threshold;
    if (early && running_ && !early_flush_posted_) {
        early_flush_posted_ = true;
        boost::asio::post(io_, [this] {
            early_flush_posted_ = false;
            if (running_)
                flush();
        });
    }
}

bool pipeline::flush()
{
    if (seal_directly())
        return true;

    const bool committed = commit_buffer();
    seal();
    return committed;
}

// With nothing pending in the outbox, the buffer is sealed as it is
// committed, which saves writing, reading and deleting every reading once.
// Any failure falls back to the pending table, which keeps the readings
// whatever the seal does.
bool pipeline::seal_directly()
{
    if (buffer_.empty() || pending_in_outbox_)
        return false;

    std::size_t batches = 0;
    const auto error = outbox_.accept_sealed(buffer_, seal_, batches);
    if (error) {
        if (error != store::store_error::seal_failed && error != store::store_error::invalid_reading)
            spdlog::warn("gateway {}: committing {} sealed readings failed, retrying through the pending table: {}",
                         gateway_id_, buffer_.size(), error.message());
        return false;
    }

    buffer_.clear();
    if (batches > 0 && on_sealed_)
        on_sealed_();
    return true;
}

bool pipeline::commit_buffer()
{
    if (buffer_.empty())
        return true;

    const auto error = outbox_.accept(buffer_);
    if (!error) {
        buffer_.clear();
        return true;
    }
    if (error == store::store_error::invalid_reading)
        return commit_one_by_one();

    ++stats_.commit_failures;
    spdlog::warn("gateway {}: committing {} readings to the outbox failed, keeping them in memory: {}", gateway_id_,
                 buffer_.size(), error.message());
    return false;
}

// One reading the outbox cannot store must not block the others, so the
// batch is retried reading by reading and only the invalid ones are dropped.
bool pipeline::commit_one_by_one()
{
    std::vector<reading> retry_later;
    for (auto& r : buffer_) {
        const auto error = outbox_.accept(std::span<const reading>(&r, 1));
        if (!error)
            continue;
        if (error == store::store_error::invalid_reading) {
            ++stats_.invalid;
            spdlog::error("device {}: dropped a reading the outbox rejects as invalid ({} values)", r.device_id,
                          r.values.size());
            continue;
        }
        retry_later.push_back(std::move(r));
    }
    buffer_ = std::move(retry_later);
    return buffer_.empty();
}

void pipeline::seal()
{
    std::size_t batches = 0;
    const auto error = outbox_.seal_pending(seal_, batches);
    pending_in_outbox_ = static_cast<bool>(error);
    if (error) {
        ++stats_.seal_failures;
        spdlog::error("gateway {}: sealing pending readings failed: {}", gateway_id_, error.message());
    }
    if (batches > 0 && on_sealed_)
        on_sealed_();
}

void pipeline::drop_oldest_telemetry()
{
    auto oldest = std::find_if(buffer_.begin(), buffer_.end(), [](const reading& r) { return r.lane == lane::telemetry; });
    if (oldest == buffer_.end())
        oldest = buffer_.begin();

    ++stats_.overflowed;
    if (stats_.overflowed == 1 || stats_.overflowed % 1000 == 0)
        spdlog::warn("device {}: memory buffer full ({} readings) while the outbox cannot commit, {} readings dropped "
                     "so far",
                     oldest->device_id, buffer_.size(), stats_.overflowed);
    buffer_.erase(oldest);
}

void pipeline::enforce_retention()
{
    std::uint64_t evicted = 0;
    const auto error = outbox_.enforce_retention(now_ms_(), evicted);
    if (error) {
        spdlog::error("gateway {}: applying the retention caps failed: {}", gateway_id_, error.message());
        return;
    }
    if (evicted == 0) {
        // The episode is over; the next eviction raises a new event.
        eviction_raised_ = false;
        return;
    }

    stats_.evicted += evicted;
    spdlog::warn("gateway {}: retention evicted {} unsent readings ({} since start); the uplink is not keeping up or "
                 "the store caps are too small",
                 gateway_id_, evicted, stats_.evicted);
    if (!eviction_raised_)
        raise_eviction_event(evicted);
}

// The platform learns of data loss once per episode, not once per
// retention run, so an outage of days does not flood the event lane.
void pipeline::raise_eviction_event(std::uint64_t evicted)
{
    eviction_raised_ = true;

    reading r;
    r.device_id = gateway_device_id;
    r.lane = lane::event;
    r.ts_ms = now_ms_();
    r.clock_trusted = !options_.clock_trusted || options_.clock_trusted();
    r.values.push_back(metric_value{"store_evicted", "", static_cast<double>(evicted)});
    add(std::move(r));
}

void pipeline::schedule_flush()
{
    flush_timer_.expires_after(options_.flush_interval);
    flush_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || !running_)
            return;
        flush();
        schedule_flush();
    });
}

void pipeline::schedule_retention()
{
    retention_timer_.expires_after(options_.retention_interval);
    retention_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || !running_)
            return;
        enforce_retention();
        schedule_retention();
    });
}

} // namespace citygate::daemon
