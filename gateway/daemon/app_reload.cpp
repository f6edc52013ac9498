// SIGHUP: the config file and the key file are read again. Buses and devices
// change in place; the other sections are read at startup only.

#include "gateway/daemon/app.hpp"

#include "gateway/bus/device_manager.hpp"
#include "gateway/bus/dtu_listener.hpp"
#include "gateway/config/check_drivers.hpp"
#include "gateway/config/restart_keys.hpp"
#include "gateway/daemon/systemd_notify.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace citygate::daemon {

namespace {

void log_issues(const std::string& gateway_id, const std::vector<config::config_issue>& issues)
{
    for (const auto& issue : issues) {
        if (issue.severity == config::severity::error)
            spdlog::error("gateway {}: {}", gateway_id, config::to_string(issue));
        else
            spdlog::warn("gateway {}: {}", gateway_id, config::to_string(issue));
    }
}

// Names the changed startup-only keys, without their values.
void warn_restart_keys(const config::config& running, const config::config& next)
{
    const auto changed = config::changed_restart_keys(running, next);
    if (changed.empty())
        return;
    std::string names;
    for (const auto& key : changed)
        names += (names.empty() ? "" : ", ") + key;
    spdlog::warn("gateway {}: changed keys take effect after a restart (a reload applies only [[bus]], [[device]] "
                 "and the key file): {}",
                 running.gateway.id, names);
}

} // namespace

bool app::reload_keys()
{
    std::error_code error;
    std::string detail;
    auto keys = crypto::load_key_file(config_.gateway.key_file, error, detail);
    if (!keys) {
        spdlog::error("gateway {}: key file {} rejected: {}{}{}", config_.gateway.id, config_.gateway.key_file.string(),
                      error.message(), detail.empty() ? "" : ": ", detail);
        return false;
    }
    if (keys->current != keys_.current)
        spdlog::info("gateway {}: sealing with key id {} from {}", config_.gateway.id, keys->current,
                     config_.gateway.key_file.string());
    // The sealer holds a reference to keys_, so it picks up the new set.
    keys_ = std::move(*keys);
    return true;
}

void app::reload()
{
    if (stopping_)
        return;
    notify_reloading();
    spdlog::info("gateway {}: reloading {}", config_.gateway.id, config_path_.string());

    std::vector<config::config_issue> issues;
    auto next = config::load(config_path_, issues);
    if (next) {
        auto driver_issues = config::check_drivers(*next, drivers_);
        issues.insert(issues.end(), driver_issues.begin(), driver_issues.end());
    }
    log_issues(config_.gateway.id, issues);

    if (!next || config::has_errors(issues)) {
        spdlog::error("gateway {}: reload rejected, {} stays in effect until the errors above are fixed",
                      config_.gateway.id, "the running configuration");
        notify_ready();
        return;
    }

    const auto old_key_file = config_.gateway.key_file;
    config_.gateway.key_file = next->gateway.key_file;
    if (!reload_keys()) {
        config_.gateway.key_file = old_key_file;
        spdlog::error("gateway {}: reload rejected, the running configuration and keys stay in effect",
                      config_.gateway.id);
        notify_ready();
        return;
    }

    warn_restart_keys(config_, *next);

    const auto summary = devices_->apply(*next);
    for (const auto& error : summary.errors)
        spdlog::error("gateway {}: {}", config_.gateway.id, error);

    const bool has_dtu_bus = std::any_of(next->buses.begin(), next->buses.end(),
                                         [](const config::bus_config& b) { return b.type == config::bus_type::dtu; });
    if (has_dtu_bus && dtus_->counters().listening.empty())
        spdlog::warn("gateway {}: the DTU listener is not running, so dtu buses stay closed until citygated "
                     "restarts with a [dtu] listen address",
                     config_.gateway.id);
    spdlog::info("gateway {}: reload applied: {}", config_.gateway.id, summary.to_string());
    notify_ready();
}

} // namespace citygate::daemon
