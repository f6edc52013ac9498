#pragma once
// Keys that citygated reads at startup only: a reload applies [[bus]],
// [[device]] and the key file, and reports changes to these keys so that
// the operator knows a restart is needed.

#include "gateway/config/config.hpp"

#include <string>
#include <vector>

namespace citygate::config {

// Dotted names of the startup-only keys whose values differ between the
// running and the reloaded config, e.g. "uplink.brokers". Only names are
// returned, never values, because some values are secret or point at
// secrets (uplink.password_file).
std::vector<std::string> changed_restart_keys(const config& running, const config& next);

} // namespace citygate::config
