#pragma once
// All bus pollers of the gateway, built from the configuration and updated
// in place on reload: unchanged buses and devices keep polling.

#include "drivers/registry.hpp"
#include "gateway/bus/bus_poller.hpp"
#include "gateway/config/config.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace citygate::bus {

// Creates the transport of a bus, or returns nullptr when it cannot make
// one of the bus's type (the bus is then left out with an error).
using transport_factory =
    std::function<std::unique_ptr<transport>(boost::asio::io_context&, const config::bus_config&)>;

// Makes a serial_transport whatever the bus type (tests of serial buses).
transport_factory serial_transport_factory();

class dtu_listener;

// Makes the transport of the bus's type: serial, tcp-client, or dtu when
// `dtus` is set (it must outlive the transports).
transport_factory standard_transport_factory(dtu_listener* dtus = nullptr);

// True when the wall clock may be sent to meters: past the build time and
// marked synchronised by the kernel (NTP, PTP or GNSS discipline).
bool clock_synchronised();

// What apply() changed, by id.
struct apply_summary {
    std::vector<std::string> buses_added;
    std::vector<std::string> buses_removed;
    std::vector<std::string> buses_changed;   // restarted with all their devices
    std::vector<std::string> devices_added;
    std::vector<std::string> devices_removed;
    std::vector<std::string> devices_changed; // re-added; their state starts over
    std::vector<std::string> errors;          // devices left out, with the reason

    bool changed() const noexcept;

    // One line for the log, e.g. "buses +1 -0 ~0, devices +3 -1 ~0, 0 errors".
    std::string to_string() const;
};

class device_manager {
public:
    device_manager(boost::asio::io_context& io, const drivers::registry& drivers,
                   transport_factory make_transport = standard_transport_factory(), poller_options options = {});

    // Replaces the check that gates broadcast time syncs (tests).
    void set_clock_check(std::function<bool()> check) { clock_check_ = std::move(check); }
    ~device_manager();

    device_manager(const device_manager&) = delete;
    device_manager& operator=(const device_manager&) = delete;

    // Set before the first apply(); they apply to every bus.
    void on_reading(reading_handler handler);
    void on_event(reading_handler handler);

    // Brings the running buses and devices in line with `next`. The first
    // call builds everything. Devices whose driver is unknown, whose driver
    // rejects the address, or whose bus is not configured are left out and
    // listed in apply_summary::errors.
    apply_summary apply(const config::config& next);

    // Routes to the device's bus; bus_error::device_unknown if none.
    void poll_now(std::string_view device_id, poll_handler handler);

    // Runs a device command (bus_poller::command_now) on the device's bus.
    void command_now(std::string_view device_id, std::string_view name, std::string_view value,
                     poll_handler handler);

    // Runs an exchange on a bus (bus_poller::transact); bus_error::bus_unknown if none.
    void transact(std::string_view bus_id, drivers::exchange exchange, poll_handler handler);

    // All devices of all buses, sorted by id.
    std::vector<device_status> device_states() const;

    // Counters of every bus, sorted by id.
    std::vector<bus_status> bus_states() const;

    // The configuration of a running bus; nullptr if none.
    const config::bus_config* find_bus(std::string_view bus_id) const;

    bool has_device(std::string_view device_id) const { return device_bus_.find(device_id) != device_bus_.end(); }

    void stop();

private:
    struct bus_entry;

    // The part of a running device's config kept for reload: enough to see
    // whether it changed. The config itself, with its option strings, would
    // cost kilobytes per device.
    struct running_device {
        std::string driver;
        std::size_t fingerprint = 0;
    };
    using device_map = std::map<std::string, running_device, std::less<>>;

    // Returns the devices now running on the bus; none when the bus could not start.
    const device_map& add_bus(const config::bus_config& bus, const std::vector<config::device_config>& devices,
                              apply_summary& summary);
    bool add_device(bus_poller& poller, const config::device_config& device, apply_summary& summary);
    void sync_devices(bus_entry& entry, const std::vector<config::device_config>& devices,
                      apply_summary& summary);
    bus_poller* poller_of(std::string_view device_id);
    void fail_unknown(std::string_view device_id, std::error_code error, poll_handler handler);

    // time_sync.cpp
    void start_time_sync(bus_entry& entry);
    void arm_time_sync(const std::string& bus_id, milliseconds delay);
    void send_time_sync(const std::string& bus_id);

    boost::asio::io_context& io_;
    const drivers::registry& drivers_;
    transport_factory make_transport_;
    std::shared_ptr<const poller_options> options_; // shared with every bus_poller
    reading_handler on_reading_;
    reading_handler on_event_;
    std::function<bool()> clock_check_ = clock_synchronised;
    std::map<std::string, std::unique_ptr<bus_entry>, std::less<>> buses_;
    std::map<std::string, std::string, std::less<>> device_bus_; // device id -> bus id
};

} // namespace citygate::bus
