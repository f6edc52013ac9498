#pragma once
// `citygate bus scan --append`: the found devices as [[device]] blocks at
// the end of a config file.

#include "gateway/cli/commands.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace citygate::cli {

// The [[device]] block of one probe result ("found":true), after a comment
// that names the scan and bus that found it.
std::string device_block(const scan_request& scan, const nlohmann::json& probe);

// Appends a block per found device whose address `file` does not already
// have on the scanned bus, after a confirmation question unless scan.yes. The new content goes to a
// temporary file next to `file`, which must pass the config check before it
// replaces `file` by rename, so `file` is never left invalid or half
// written. Returns an exit code.
int append_found_devices(const std::filesystem::path& file, const scan_request& scan,
                         const std::vector<nlohmann::json>& found);

} // namespace citygate::cli
