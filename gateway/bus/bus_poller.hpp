#pragma once
// Polls the devices of one bus: one transaction at a time, a steady-clock
// schedule per device, retries, timeouts, offline detection and backoff.
// Drivers only encode requests and decode answers (drivers/driver.hpp).

#include "drivers/driver.hpp"
#include "drivers/reading.hpp"
#include "gateway/bus/bus_error.hpp"
#include "gateway/bus/transport.hpp"
#include "gateway/config/config.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace citygate::bus {

using std::chrono::milliseconds;

enum class device_state { unknown, online, offline };

// "unknown", "online" or "offline".
std::string_view to_string(device_state state) noexcept;

// What the poller needs to know about one device. poll_interval is in
// milliseconds so tests can run schedules fast.
struct device_spec {
    std::string id;
    std::string driver;
    std::string address;
    milliseconds poll_interval{60000};
    unsigned offline_after = 3; // consecutive failed polls before "offline"
};

device_spec make_device_spec(const config::device_config& device);

// Snapshot of one device for `citygate status` and the health topic.
struct device_status {
    std::string id;
    std::string driver;
    std::string bus;
    std::string address;
    device_state state = device_state::unknown;
    std::int64_t last_reading_ms = 0; // wall clock of the last good answer; 0 if none
    unsigned consecutive_failures = 0;
    std::string last_error;           // empty after a good answer
    std::uint64_t polls = 0;          // completed polls, good or failed
    std::uint64_t failures = 0;       // failed polls (after all retries)
    std::uint64_t rejected_frames = 0; // answers the driver rejected
};

// One request/answer exchange of a poll or command, for `citygate read --raw`.
struct exchange_record {
    std::vector<std::uint8_t> request;  // bytes sent
    std::vector<std::uint8_t> response; // bytes received in the last attempt
    unsigned attempts = 0;
    std::string error;                  // empty when the answer was accepted
};

// Outcome of one poll, command or bus exchange.
struct poll_result {
    std::string device_id;              // empty for a bus exchange
    drivers::poll_answer answer;        // merged answers of the steps that succeeded
    std::vector<exchange_record> exchanges; // in the order they ran
    std::string error_detail;           // why it failed, e.g. the driver's decode error message
};

// Counters of one bus, for `citygate status` and the health topic.
struct bus_status {
    std::string id;
    std::string endpoint;             // transport::describe()
    bool open = false;
    std::uint64_t exchanges = 0;      // request/answer attempts started
    std::uint64_t timeouts = 0;       // attempts without a complete answer in time
    std::uint64_t rejected_frames = 0; // answers rejected on this bus, all devices together
    std::uint64_t late_answers = 0;   // replies to earlier requests that the driver skipped, e.g. Modbus TCP
                                      // replies with an old transaction id
    std::uint64_t port_errors = 0;    // failed opens, reads and writes
    std::uint64_t dropped_bytes = 0;  // received bytes the transport threw away unread (DTU floods)
};

using reading_handler = std::function<void(reading)>;
using poll_handler = std::function<void(std::error_code, poll_result)>;

// Tunables that are not in the config file; tests scale them down.
struct poller_options {
    milliseconds first_poll_stagger{250};   // offset between devices' first polls
    milliseconds offline_backoff_max{600000}; // cap of the poll interval while offline
    unsigned offline_backoff_factor_max = 10; // ...and at most this many poll intervals
    milliseconds reopen_min{1000};           // first retry after a port failure
    milliseconds reopen_max{60000};
    std::size_t max_answer_bytes = 1024;     // answers longer than this are rejected
    std::size_t max_queued_requests = 64;    // on-demand polls waiting per bus
    milliseconds time_sync_first{10000};     // first broadcast time sync after a bus starts
    milliseconds time_sync_retry{60000};     // next check while the clock is not synchronised
};

class bus_poller {
public:
    bus_poller(boost::asio::io_context& io, config::bus_config bus, std::unique_ptr<transport> port,
               poller_options options = {});

    // Shares `options` with other pollers, so a gateway with hundreds of
    // buses keeps one copy.
    bus_poller(boost::asio::io_context& io, config::bus_config bus, std::unique_ptr<transport> port,
               std::shared_ptr<const poller_options> options);

    // Stops the poller; see stop().
    ~bus_poller();

    bus_poller(const bus_poller&) = delete;
    bus_poller& operator=(const bus_poller&) = delete;

    // Telemetry lane: one reading per good answer, ts from the wall clock.
    void on_reading(reading_handler handler);

    // Event lane: "state" ("online"/"offline", with "last_error" when going
    // offline) on every transition, and the driver's alarms when they change.
    void on_event(reading_handler handler);

    // Opens the port (retrying with backoff on failure) and starts the
    // schedules of the devices added so far. Idempotent.
    void start();

    // Cancels timers and the current transaction. Queued on-demand polls
    // complete with bus_error::stopped. The poller cannot be restarted.
    void stop();

    // Adds a device; its first poll follows after a small per-device offset.
    // Replaces a device with the same id (its state starts over).
    void add_device(device_spec spec, std::unique_ptr<drivers::device_codec> codec);

    // Removes a device, abandoning its running transaction. False if unknown.
    bool remove_device(std::string_view device_id);

    bool has_device(std::string_view device_id) const;

    // Polls a device now, queued behind polls already due on this bus.
    // The handler runs from the io_context.
    void poll_now(std::string_view device_id, poll_handler handler);

    // Runs the device's command `name` = `value` (a valve, coil or register
    // write) as one exchange, queued like poll_now. The driver's encoding
    // error, if any, reaches the handler with bus_error::command_rejected.
    void command_now(std::string_view device_id, std::string_view name, std::string_view value,
                     poll_handler handler);

    // Runs an exchange addressed to no configured device (a broadcast time
    // sync, an address scan), queued like poll_now. A broadcast, which has
    // no decoder, succeeds once its request is on the wire.
    void transact(drivers::exchange exchange, poll_handler handler);

    // Devices sorted by id.
    std::vector<device_status> device_states() const;

    bus_status status() const;

    const config::bus_config& bus() const noexcept;

    class impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace citygate::bus
