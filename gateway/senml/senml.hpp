#pragma once
// SenML packs (RFC 8428) for the envelope plaintext, in JSON or CBOR. Each
// device gets a base name "urn:citygate:{gateway_id}:{device_id}:" and base
// time in seconds. Records carry the metric name, unit, time offset and value.

#include "drivers/reading.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citygate::senml {

// Encodes readings into one SenML JSON pack. A reading taken before the wall
// clock was trusted adds a record "clock_trusted" with vb=false.
// Consecutive readings of one device share a bn/bt and carry offsets in `t`;
// times are written as exact decimal seconds from the millisecond stamps.
// Strings are escaped and invalid UTF-8 becomes U+FFFD. A NaN or infinite
// `v` is left out because JSON cannot carry it. Receivers (and decode_json)
// accept only resolved names made of letters, digits and "-:./_", so
// gateway, device and metric names must keep to that set.
std::vector<std::uint8_t> encode_json(std::string_view gateway_id, std::span<const reading> readings);

// Encodes the longest prefix of `readings` whose pack fits in `max_bytes`
// into `out` and returns the number of readings encoded. The first reading
// is always encoded, so a single reading larger than max_bytes makes a
// larger pack. With no readings the pack is "[]".
std::size_t encode_json_prefix(std::string_view gateway_id, std::span<const reading> readings, std::size_t max_bytes,
                               std::vector<std::uint8_t>& out);

// Encodes the same records as encode_json_prefix into a SenML CBOR pack
// (RFC 8428 section 6) with integer labels. Whole numbers become CBOR
// integers, other numbers the narrowest float that keeps them exact, and
// times are seconds (an integer, or the double nearest to ms / 1000). The
// pack is at most max_bytes long unless its first reading alone is longer.
std::size_t encode_cbor_prefix(std::string_view gateway_id, std::span<const reading> readings, std::size_t max_bytes,
                               std::vector<std::uint8_t>& out);

std::vector<std::uint8_t> encode_cbor(std::string_view gateway_id, std::span<const reading> readings);

// One resolved record, as a receiver sees it.
struct resolved_record {
    std::string name; // full resolved name, urn:citygate:gw:dev:metric
    std::string unit;
    double time_s = 0;    // bt + t, as sent; RFC 8428 reads values below 2^28 as relative to now
    metric_data value;    // bv, when the pack sets one, is added to v
    bool has_value = true; // false for a record that carries only a sum
    bool data_value = false; // value came from `vd`: the base64url text, not decoded
    std::optional<double> sum; // `s` plus `bs`
};

// Largest pack decode_json reads, the envelope size limit (4 MiB).
inline constexpr std::size_t max_pack_size = 4 * 1024 * 1024;

// Resolves a pack (bn, bt, bu, bv, bs; n, t, u, v/vb/vs/vd, s) into records
// per RFC 8428. Returns false with a reason in `error` on invalid JSON, a
// pack over max_pack_size, a field of the wrong type or two value fields. It
// also rejects an invalid resolved name, a record with neither value nor sum
// and an unknown must-understand field (one ending in "_"). A resolved name
// must start with a letter or digit (RFC 8428 section 4.5.1), so LwM2M packs
// whose names start with "/" are rejected. Never throws on input bytes.
bool decode_json(std::span<const std::uint8_t> pack, std::vector<resolved_record>& out, std::string& error);

// Resolves a SenML CBOR pack like decode_json. Integer labels follow the
// SenML registry and text labels are read as in JSON. It accepts definite
// and indefinite lengths and rejects tags, chunked strings, nested arrays or
// maps as values, invalid UTF-8 and bytes after the pack. A "vd" byte
// string is returned as its base64url text. Never throws on input bytes.
bool decode_cbor(std::span<const std::uint8_t> pack, std::vector<resolved_record>& out, std::string& error);

} // namespace citygate::senml
