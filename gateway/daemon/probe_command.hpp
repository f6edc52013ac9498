#pragma once
// The "probe" command of the control socket (shapes in
// gateway/control/protocol.hpp): builds the probe exchange from the
// protocol codecs (drivers/probe.hpp), runs it on the bus between the
// scheduled polls and turns the outcome into the probe result.

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>

namespace citygate::bus {
class device_manager;
struct poll_result;
}

namespace citygate::daemon {

class probe_command {
public:
    explicit probe_command(bus::device_manager& devices) : devices_(devices) {}

    // Runs a probe request that control::check_request accepted; `reply`
    // gets the result or an error response (bus_not_found, probe_failed).
    void run(const nlohmann::json& request, std::function<void(nlohmann::json)> reply);

private:
    bool carries_modbus_tcp(const std::string& bus_id) const;
    using scan_tally = std::map<std::string, unsigned, std::less<>>;

    // Turns the bus outcome into the reply; runs when the exchange is done.
    static void finish(scan_tally& tally, const nlohmann::json& request, nlohmann::json result,
                       std::error_code error, const bus::poll_result& outcome,
                       const std::function<void(nlohmann::json)>& reply);
    static void count_scan_progress(scan_tally& tally, const nlohmann::json& request, const std::string& bus_id,
                                    bool found);

    bus::device_manager& devices_;
    // Devices found by the running sweep, per bus. Shared with queued probes, whose handlers may run after this object is gone.
    std::shared_ptr<scan_tally> scan_found_ = std::make_shared<scan_tally>();
};

} // namespace citygate::daemon
