#pragma once
// SenML JSON (RFC 8428) packs for the envelope plaintext. Each device gets a
// base name "urn:citygate:{gateway_id}:{device_id}:" and base time in
// seconds; records carry the metric name, unit, time offset and value.

#include "drivers/reading.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace citygate::senml {

// Encodes readings into one SenML JSON pack. A reading taken before the wall
// clock was trusted adds a record "clock_trusted" with vb=false.
std::vector<std::uint8_t> encode_json(std::string_view gateway_id, std::span<const reading> readings);

// One resolved record, as a receiver sees it.
struct resolved_record {
    std::string name; // full resolved name, urn:citygate:gw:dev:metric
    std::string unit;
    double time_s = 0;
    metric_data value;
};

// Resolves a pack (base name, base time) into records; false on invalid JSON
// or a record without a value.
bool decode_json(std::span<const std::uint8_t> pack, std::vector<resolved_record>& out, std::string& error);

} // namespace citygate::senml
