#pragma once
// The configuration file `citygate init` writes: the commented reference
// config (rootfs/etc/citygate/citygate.toml, built into the program) with
// the box's own values filled in.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace citygate::cli {

// rootfs/etc/citygate/citygate.toml, embedded by cmake/EmbedText.cmake.
extern const std::string_view reference_config;

struct init_values {
    std::string gateway_id;
    std::vector<std::string> brokers;
    std::string location;            // empty: the location line stays commented out
    std::filesystem::path key_file;  // absolute
};

// Returns the reference config with gateway.id, gateway.location,
// gateway.key_file and uplink.brokers set to `values`, each written as a
// TOML string. Throws std::logic_error when `reference` lacks one of those
// lines, which only a change to the reference file can cause.
std::string render_config(std::string_view reference, const init_values& values);

} // namespace citygate::cli
