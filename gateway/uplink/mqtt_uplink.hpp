#pragma once
// The MQTT link to the district platform, built on Paho's async_client.
//
// Paho runs its callbacks on its own threads. Every one of them is posted
// onto the io_context and only there touches uplink state, so the class is
// used from the io_context thread only. Reconnecting is done here on an asio
// timer (capped exponential backoff with full jitter), not by Paho, and the
// session is clean with no Paho persistence: the SQLite outbox is what
// survives a lost link or a restart.

#include "drivers/reading.hpp"
#include "gateway/config/config.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace citygate::uplink {

struct uplink_callbacks {
    std::function<void()> on_connected;
    std::function<void(std::string reason)> on_disconnected;
    std::function<void(std::int64_t batch_id)> on_acked; // PUBACK received
    std::function<void(std::int64_t batch_id, std::string reason)> on_publish_failed;
};

struct uplink_stats {
    std::uint64_t connects = 0;          // successful connections, the first one included
    std::uint64_t reconnects = 0;        // successful connections after the first one
    std::uint64_t connect_failures = 0;  // failed connection attempts
    std::uint64_t published = 0;         // envelopes handed to Paho
    std::uint64_t acked = 0;             // envelopes acknowledged by the broker
    std::uint64_t failed = 0;            // envelopes Paho reported as failed
    std::string broker_uri;              // broker of the current or last connection
    int mqtt_version = 0;                // protocol version of the current or last connection
};

class mqtt_uplink {
public:
    // Validates the configuration, reads the password file and creates the
    // Paho client; nothing is connected before start(). Throws
    // std::system_error with an uplink_error code when the configuration
    // cannot work (bad gateway id, bad URI, password file readable by
    // others, missing TLS file).
    mqtt_uplink(boost::asio::io_context& io, const config::uplink_config& config, std::string gateway_id,
                std::string version, uplink_callbacks callbacks);

    // Disconnects without the shutdown status: when the link is up, it
    // publishes the Last Will's payload itself (waiting at most 1 s for the
    // PUBACK), because the broker drops the Will on a DISCONNECT. Call
    // stop() first for an orderly shutdown.
    ~mqtt_uplink();

    mqtt_uplink(const mqtt_uplink&) = delete;
    mqtt_uplink& operator=(const mqtt_uplink&) = delete;

    // Replaces the callbacks, e.g. once the forwarder that needs this
    // uplink exists. Call it before start().
    void set_callbacks(uplink_callbacks callbacks);

    // Starts connecting; keeps reconnecting until stop().
    void start();

    // Publishes the retained offline status with reason "shutdown", waits
    // for its PUBACK (at most 2 s), disconnects and then calls `done` on the
    // io_context. No reconnect happens afterwards.
    void stop(std::function<void()> done);

    bool connected() const;

    // Publishes one sealed envelope with QoS 1 to {prefix}/telemetry or
    // {prefix}/event. The outcome arrives later as on_acked or
    // on_publish_failed; an error here means nothing was sent and no
    // callback follows.
    std::error_code publish_envelope(citygate::lane lane, std::int64_t batch_id, std::vector<std::uint8_t> bytes);

    // Publishes a health JSON document with QoS 0.
    std::error_code publish_health(std::string json);

    uplink_stats stats() const;

    const std::string& client_id() const;
    const std::string& topic_prefix() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace citygate::uplink
