#pragma once
// Private state of one bus in device_manager, shared by device_manager.cpp
// and time_sync.cpp.

#include "gateway/bus/device_manager.hpp"
#include "gateway/bus/io_timer.hpp"

namespace citygate::bus {

struct device_manager::bus_entry {
    // Returns the poller's copy of the bus config. A second copy would add
    // 248 bytes (x86_64) to every bus of a large gateway.
    const config::bus_config& config() const { return poller->bus(); }

    std::unique_ptr<bus_poller> poller;
    device_map devices; // the ones running
    // Allocated only for a bus with a time_sync_interval. Other buses do
    // without it.
    std::unique_ptr<io_timer> time_sync_timer;
    bool time_sync_skip_logged = false;
};

} // namespace citygate::bus
