#pragma once
// Pumps sealed batches from the outbox through the uplink, keeping at most
// `max_in_flight` of them published and not yet acknowledged. The outbox
// offers event batches before telemetry batches and that order is kept.
//
// Used from the io_context thread only, like the outbox and the uplink.

#include "gateway/store/outbox.hpp"
#include "gateway/uplink/mqtt_uplink.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_set>

namespace citygate::uplink {

struct forwarder_stats {
    std::uint64_t published = 0;      // batches handed to the uplink
    std::uint64_t acknowledged = 0;   // batches deleted from the outbox after their PUBACK
    std::uint64_t failed = 0;         // publish failures reported by the uplink
    std::size_t peak_in_flight = 0;   // largest in-flight window seen
};

class forwarder {
public:
    // `retry_delay` is the pause before batches are offered again after a
    // publish failure on a live link.
    forwarder(boost::asio::io_context& io, store::outbox& outbox, mqtt_uplink& uplink, std::size_t max_in_flight,
              std::chrono::milliseconds retry_delay);

    // Publishes sealed batches while the link is up and the window has room.
    // Call it after sealing; the uplink events below call it too.
    void kick();

    void on_connected();
    // Forgets the in-flight window: those batches are sent again, with the
    // same sealed bytes, after the next connect.
    void on_disconnected();
    void on_acked(std::int64_t batch_id);
    void on_publish_failed(std::int64_t batch_id, const std::string& reason);

    std::size_t in_flight() const { return in_flight_.size(); }
    const forwarder_stats& stats() const { return stats_; }

private:
    void schedule_retry();

    store::outbox& outbox_;
    mqtt_uplink& uplink_;
    std::size_t max_in_flight_;
    std::chrono::milliseconds retry_delay_;
    boost::asio::steady_timer retry_timer_;
    bool retry_pending_ = false;
    std::unordered_set<std::int64_t> in_flight_;
    forwarder_stats stats_;
};

} // namespace citygate::uplink
