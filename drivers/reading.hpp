#pragma once
// The unit of data that flows from drivers through the store to the uplink.

#include "drivers/interned_string.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace citygate {

// Outbox lane. Values match the envelope's flag bit 0.
enum class lane : std::uint8_t {
    telemetry = 0,
    event = 1, // alarms and state changes; always sent before telemetry
};

// SenML value kinds: `v` (double), `vb` (bool), `vs` (string). Text values
// are interned like names because a few texts (valve and device states)
// repeat. The 8-byte handle keeps the variant at 16 bytes instead of 40.
using metric_data = std::variant<double, bool, interned_string>;

struct metric_value {
    interned_string metric; // SenML record name below the device's base name, e.g. "volume"
    interned_string unit;   // SenML unit from the IANA registry ("m3", "Cel"), empty if none
    metric_data value;
};

struct reading {
    std::string device_id;
    citygate::lane lane = lane::telemetry;
    std::int64_t ts_ms = 0;     // wall clock, ms since the Unix epoch (UTC)
    bool clock_trusted = true;  // false when taken before the wall clock was synchronised
    std::vector<metric_value> values;
};

} // namespace citygate
