#pragma once
// Register-map templates: TOML files named <name>.toml in a template
// directory, so a technician adds a known device by naming its template.
// A site's own template is named by its absolute path ending in .toml.
//
//   max_block = 125          # optional, as the device option
//   max_gap = 0              # optional, as the device option
//   [points]
//   level = "input 0 u32 order=CDAB scale=0.001 unit=m"   # point.<metric> syntax
//
// The device's own options override the template's, point by point.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <system_error>

namespace citygate::drivers {

inline constexpr std::string_view default_template_dir = "/usr/share/citygate/templates";

// Adds the template's settings to `options` as device option key/values
// (point.<metric>, max_block, max_gap), leaving keys already present alone.
// Fails with modbus_config_error::invalid_template.
std::error_code load_template(const std::filesystem::path& dir, std::string_view name,
                              std::map<std::string, std::string>& options);

} // namespace citygate::drivers
