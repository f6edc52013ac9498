#pragma once
// Checks a loaded config against the drivers compiled into this build.
// Kept apart from load() so the config library does not decide which
// drivers exist and tests can use a registry of fake drivers.

#include "drivers/registry.hpp"
#include "gateway/config/config.hpp"

#include <vector>

namespace citygate::config {

// Reports, for each [[device]]: a driver name that is not registered, an
// address or options that the driver's make_codec rejects (with the
// driver's message), and a polled driver without a bus. Issues carry the
// device's line from device_config::line.
std::vector<config_issue> check_drivers(const config& cfg, const drivers::registry& registry);

} // namespace citygate::config
