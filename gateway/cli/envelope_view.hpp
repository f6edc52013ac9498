#pragma once
// Opening an uplink envelope for a person or a script: verify and decrypt
// (crypto::open), decode the SenML pack, and render it as text lines or as
// one JSON object. Shared by `envelope open` and `monitor`.

#include "gateway/crypto/envelope.hpp"
#include "gateway/senml/senml.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citygate::cli {

struct decoded_envelope {
    crypto::envelope_header header;
    std::vector<senml::resolved_record> records;
    std::string envelope_sm3; // hex SM3 of the whole envelope as received
};

struct envelope_failure {
    std::string code;    // stable name for scripts, e.g. "bad_tag", "senml_invalid"
    std::string message; // translated reason
};

// Verifies, decrypts and decodes `bytes`. On failure fills `failure` and
// returns false. Never throws on input bytes.
bool decode_envelope(const crypto::key_set& keys, std::span<const std::uint8_t> bytes, decoded_envelope& out,
                     envelope_failure& failure);

// "telemetry" or "event", from the header's flag bit 0.
std::string_view lane_name(const crypto::envelope_header& header);

// "senml-cbor" or "senml-json", the config's names of the content types.
std::string_view content_type_name(const crypto::envelope_header& header);

// {"topic"?,"lane","key_id","sequence","sealed_at_ms","content_type","envelope_sm3","records":[...]};
// "topic" is left out when `topic` is empty.
nlohmann::json envelope_to_json(const decoded_envelope& envelope, std::string_view topic);

// One line per record: time, device, metric, value and unit.
void print_envelope_text(const decoded_envelope& envelope, std::ostream& out);

// Lower-case hex of `bytes`.
std::string to_hex(std::span<const std::uint8_t> bytes);

// Parses hex text, ignoring ASCII white space. False on an odd digit count
// or a non-hex character.
bool parse_hex(std::string_view text, std::vector<std::uint8_t>& out);

} // namespace citygate::cli
