#pragma once
// The health and status payloads of the uplink contract. Both are plain
// JSON; neither contains keys nor readings.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace citygate::uplink {

struct lane_queue {
    std::uint64_t pending_readings = 0; // readings not yet sealed
    std::uint64_t sealed_batches = 0;   // envelopes waiting for their PUBACK
    std::uint64_t bytes = 0;            // payload bytes of both
};

enum class device_state { unknown, online, offline };

struct device_health {
    std::string id;
    device_state state = device_state::unknown;
    std::optional<std::int64_t> last_reading_ms; // ms since the Unix epoch, none before the first reading
    std::uint32_t consecutive_failures = 0;
    std::string last_error;                      // empty when the last poll succeeded
    std::uint64_t rejected_frames = 0;           // answers from this device that were rejected
};

struct bus_health {
    std::string id;
    bool open = false;                 // the serial port or TCP link is up
    std::uint64_t rejected_frames = 0; // rejected answers of all devices on the bus
    std::uint64_t late_answers = 0;    // replies to earlier requests that were skipped
    std::uint64_t timeouts = 0;        // exchanges that got no complete answer in time
    std::uint64_t port_errors = 0;     // failed opens, reads and writes of the link
    std::uint64_t dropped_bytes = 0;   // received bytes thrown away unread (a flooding DTU)
};

// Counters of the listener that 4G DTUs connect to.
struct dtu_health {
    std::uint64_t attached = 0;   // DTUs registered now
    std::uint64_t registered = 0; // registrations matched to a bus since start
    std::uint64_t replaced = 0;   // registrations that replaced a stale connection
    std::uint64_t rejected = 0;   // unknown registrations
    std::uint64_t timed_out = 0;  // connections that sent no registration in time
    std::uint64_t over_limit = 0; // connections closed at max_connections
};

struct health_snapshot {
    std::int64_t ts_ms = 0;             // when the snapshot was taken, ms since the Unix epoch
    std::uint64_t uptime_s = 0;
    std::string version;
    bool clock_trusted = true;          // false while the wall clock is not synchronised
    lane_queue telemetry;
    lane_queue event;
    std::optional<std::uint64_t> oldest_unsent_age_s; // none when nothing is waiting
    std::uint64_t readings_accepted = 0;
    std::uint64_t readings_sent = 0;
    std::uint64_t readings_evicted = 0;
    double publish_rate_per_s = 0;      // envelopes acknowledged per second since the last snapshot
    std::uint64_t reconnects = 0;
    std::optional<std::uint64_t> disk_free_bytes; // none when the data directory cannot be queried
    std::vector<device_health> devices;
    std::vector<bus_health> buses;
    std::optional<dtu_health> dtu;      // none when no [dtu] listener is configured
};

const char* to_string(device_state state) noexcept;

// Serialises a snapshot as the compact JSON object published on
// {prefix}/health. Keys keep the order of the contract.
std::string to_json(const health_snapshot& snapshot);

// {"state":"online","version":"…","started_at":<ms>}
std::string status_online_json(std::string_view version, std::int64_t started_at_ms);

// {"state":"offline","reason":"…"}, with reason "connection-lost" (the Last
// Will) or "shutdown".
std::string status_offline_json(std::string_view reason);

} // namespace citygate::uplink
