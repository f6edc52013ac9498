#pragma once
// The path of a reading inside the daemon: buffered in memory for at most
// one flush interval, committed to the outbox in one transaction, sealed
// into envelopes and handed to the forwarder. Event readings (alarms, state
// changes) are flushed at once instead of waiting for the timer.
//
// Used from the io_context thread only.

#include "drivers/reading.hpp"
#include "gateway/store/outbox.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace citygate::daemon {

struct pipeline_options {
    std::chrono::milliseconds flush_interval{1000};
    std::chrono::milliseconds retention_interval{30000};
    // Readings held in memory while the outbox cannot commit (disk full,
    // I/O error). Beyond this the oldest telemetry reading is dropped.
    std::size_t max_buffered = 100000;
    // A flush is started early once this many readings are buffered.
    std::size_t flush_threshold = 500;
    // Whether the wall clock can be trusted, for the gateway's own events;
    // empty means always.
    std::function<bool()> clock_trusted;
};

struct pipeline_stats {
    std::uint64_t received = 0;        // readings handed to add()
    std::uint64_t commit_failures = 0; // outbox.accept() errors; the readings stay buffered
    std::uint64_t invalid = 0;         // readings the outbox rejected as invalid and dropped
    std::uint64_t overflowed = 0;      // readings dropped because the buffer was full
    std::uint64_t seal_failures = 0;   // seal_pending() errors
    std::uint64_t evicted = 0;         // readings dropped by retention since start
};

class pipeline {
public:
    // `now_ms` supplies the wall clock for retention; `on_sealed` runs after
    // every flush that sealed at least one batch (the forwarder's kick).
    pipeline(boost::asio::io_context& io, store::outbox& outbox, store::seal_function seal, std::string gateway_id,
             std::function<std::int64_t()> now_ms, pipeline_options options);

    pipeline(const pipeline&) = delete;
    pipeline& operator=(const pipeline&) = delete;

    void on_sealed(std::function<void()> handler) { on_sealed_ = std::move(handler); }

    // Starts the flush and retention timers and runs retention once.
    void start();

    // Cancels the timers and commits and seals what is buffered. Returns
    // false when buffered readings could not be committed.
    bool stop();

    void add(reading r);

    // Commits the buffer, then seals everything pending. Returns false when
    // the commit failed and readings remain buffered.
    bool flush();

    void enforce_retention();

    std::size_t buffered() const { return buffer_.size(); }
    const pipeline_stats& stats() const { return stats_; }

private:
    bool seal_directly();
    bool commit_buffer();
    bool commit_one_by_one();
    void seal();
    void drop_oldest_telemetry();
    void schedule_flush();
    void schedule_retention();
    void raise_eviction_event(std::uint64_t evicted);

    boost::asio::io_context& io_;
    store::outbox& outbox_;
    store::seal_function seal_;
    std::string gateway_id_;
    std::function<std::int64_t()> now_ms_;
    pipeline_options options_;
    std::function<void()> on_sealed_;

    boost::asio::steady_timer flush_timer_;
    boost::asio::steady_timer retention_timer_;
    bool running_ = false;
    bool early_flush_posted_ = false;
    bool eviction_raised_ = false;
    bool pending_in_outbox_ = true; // until a seal_pending() call has emptied the pending table

    std::vector<reading> buffer_;
    pipeline_stats stats_;
};

// Device id under which the gateway reports its own events.
inline constexpr const char* gateway_device_id = "gateway";

} // namespace citygate::daemon
