#include "gateway/cli/envelope_view.hpp"

#include "gateway/cli/i18n.hpp"
#include "gateway/cli/text.hpp"
#include "gateway/crypto/sm_primitives.hpp"

#include <fmt/format.h>

#include <cmath>
#include <variant>

namespace citygate::cli {
namespace {

using nlohmann::json;

// Stable names for scripts; the translated reason is for people.
std::string envelope_error_name(const std::error_code& error) {
    if (error.category() != crypto::envelope_category()) {
        return "open_failed";
    }
    switch (static_cast<crypto::envelope_error>(error.value())) {
    case crypto::envelope_error::too_short: return "too_short";
    case crypto::envelope_error::too_long: return "too_long";
    case crypto::envelope_error::bad_magic: return "bad_magic";
    case crypto::envelope_error::unsupported_version: return "unsupported_version";
    case crypto::envelope_error::unsupported_suite: return "unsupported_suite";
    case crypto::envelope_error::unsupported_content_type: return "unsupported_content_type";
    case crypto::envelope_error::unknown_flags: return "unknown_flags";
    case crypto::envelope_error::bad_length: return "bad_length";
    case crypto::envelope_error::unknown_key_id: return "unknown_key_id";
    case crypto::envelope_error::bad_tag: return "bad_tag";
    case crypto::envelope_error::bad_padding: return "bad_padding";
    case crypto::envelope_error::crypto_failure: return "crypto_failure";
    }
    return "open_failed";
}

std::string envelope_error_text(const std::error_code& error, std::span<const std::uint8_t> bytes) {
    if (error.category() != crypto::envelope_category()) {
        return error.message();
    }
    switch (static_cast<crypto::envelope_error>(error.value())) {
    case crypto::envelope_error::too_short: return _("the envelope is too short");
    case crypto::envelope_error::too_long: return _("the envelope is larger than 4 MiB");
    case crypto::envelope_error::bad_magic: return _("not a citygate envelope (the magic bytes are not \"CG\")");
    case crypto::envelope_error::unsupported_version: return _("unsupported envelope version");
    case crypto::envelope_error::unsupported_suite: return _("unsupported cipher suite");
    case crypto::envelope_error::unsupported_content_type: return _("unsupported content type");
    case crypto::envelope_error::unknown_flags: return _("unknown flag bits are set");
    case crypto::envelope_error::bad_length: return _("the ciphertext length is not a multiple of 16 bytes");
    case crypto::envelope_error::unknown_key_id: {
        // Bytes 6..9 carry the key id; open() already checked the length.
        std::uint32_t id = 0;
        for (std::size_t i = 6; i < 10 && i < bytes.size(); ++i) {
            id = (id << 8) | bytes[i];
        }
        return fmt::format(fmt::runtime(_("key id {id} is not in the key file")), fmt::arg("id", id));
    }
    case crypto::envelope_error::bad_tag:
        return _("the HMAC-SM3 tag does not match: the envelope was altered or sealed with another key");
    case crypto::envelope_error::bad_padding: return _("the padding is invalid after decryption");
    case crypto::envelope_error::crypto_failure: return _("the crypto library reported an error");
    }
    return error.message();
}

// Splits "urn:citygate:{gateway}:{device}:{metric}" into device and metric;
// any other name is shown whole as the metric.
std::pair<std::string, std::string> device_and_metric(const std::string& name) {
    constexpr std::string_view prefix = "urn:citygate:";
    if (name.rfind(prefix, 0) == 0) {
        const auto gateway_end = name.find(':', prefix.size());
        const auto device_end = gateway_end == std::string::npos ? std::string::npos : name.find(':', gateway_end + 1);
        if (device_end != std::string::npos) {
            return {name.substr(gateway_end + 1, device_end - gateway_end - 1), name.substr(device_end + 1)};
        }
    }
    return {"-", name};
}

std::string value_text(const senml::resolved_record& record) {
    if (!record.has_value) {
        return record.sum ? fmt::format(fmt::runtime(_("sum {value}")), fmt::arg("value", format_number(*record.sum)))
                          : std::string("-");
    }
    if (const auto* number = std::get_if<double>(&record.value)) {
        return format_number(*number);
    }
    if (const auto* flag = std::get_if<bool>(&record.value)) {
        return *flag ? "true" : "false";
    }
    return "\"" + std::get<interned_string>(record.value).str() + "\"";
}

json record_to_json(const senml::resolved_record& record) {
    json out{{"n", record.name}, {"u", record.unit}, {"t", record.time_s}};
    if (record.has_value) {
        if (const auto* number = std::get_if<double>(&record.value)) {
            out["v"] = *number;
        } else if (const auto* flag = std::get_if<bool>(&record.value)) {
            out["vb"] = *flag;
        } else {
            out[record.data_value ? "vd" : "vs"] = std::get<interned_string>(record.value).str();
        }
    }
    if (record.sum) {
        out["s"] = *record.sum;
    }
    return out;
}

} // namespace

bool decode_envelope(const crypto::key_set& keys, std::span<const std::uint8_t> bytes, decoded_envelope& out,
                     envelope_failure& failure) {
    crypto::opened_envelope opened;
    std::error_code error;
    if (!crypto::open(keys, bytes, opened, error)) {
        failure = {envelope_error_name(error), envelope_error_text(error, bytes)};
        return false;
    }
    std::string reason;
    std::vector<senml::resolved_record> records;
    const bool decoded = opened.header.content == crypto::content_type::senml_cbor
                             ? senml::decode_cbor(opened.plaintext, records, reason)
                             : senml::decode_json(opened.plaintext, records, reason);
    if (!decoded) {
        crypto::sm::cleanse(opened.plaintext.data(), opened.plaintext.size());
        failure = {"senml_invalid",
                   fmt::format(fmt::runtime(_("the decrypted SenML pack is invalid: {reason}")), fmt::arg("reason", reason))};
        return false;
    }
    crypto::sm::cleanse(opened.plaintext.data(), opened.plaintext.size());

    crypto::sm::sm3_digest digest{};
    if (!crypto::sm::sm3(bytes, digest)) {
        failure = {"crypto_failure", _("the crypto library reported an error")};
        return false;
    }
    out.header = opened.header;
    out.records = std::move(records);
    out.envelope_sm3 = to_hex(digest);
    return true;
}

std::string_view content_type_name(const crypto::envelope_header& header) {
    return header.content == crypto::content_type::senml_cbor ? "senml-cbor" : "senml-json";
}

std::string_view lane_name(const crypto::envelope_header& header) {
    return (header.flags & 0x01) != 0 ? "event" : "telemetry";
}

json envelope_to_json(const decoded_envelope& envelope, std::string_view topic) {
    json out = json::object();
    if (!topic.empty()) {
        out["topic"] = topic;
    }
    out["lane"] = lane_name(envelope.header);
    out["key_id"] = envelope.header.key_id;
    out["sequence"] = envelope.header.sequence;
    out["sealed_at_ms"] = envelope.header.sealed_at_ms;
    out["content_type"] = content_type_name(envelope.header);
    out["envelope_sm3"] = envelope.envelope_sm3;
    json records = json::array();
    for (const auto& record : envelope.records) {
        records.push_back(record_to_json(record));
    }
    out["records"] = std::move(records);
    return out;
}

void print_envelope_text(const decoded_envelope& envelope, std::ostream& out) {
    const std::string lane = lane_name(envelope.header) == "event" ? _("event") : _("telemetry");
    const std::string tag = fmt::format("[{} #{}]", lane, envelope.header.sequence);
    if (envelope.records.empty()) {
        out << tag << "  " << _("(no records)") << '\n';
        return;
    }
    for (const auto& record : envelope.records) {
        const auto [device, metric] = device_and_metric(record.name);
        const auto ms = std::llround(record.time_s * 1000.0);
        std::string line = format_local_time_ms(ms) + "  " + tag + "  " + device + "  " + metric + " = " +
                           value_text(record);
        if (!record.unit.empty()) {
            line += " " + record.unit;
        }
        out << line << '\n';
    }
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const auto byte : bytes) {
        out.push_back(digits[byte >> 4]);
        out.push_back(digits[byte & 0x0f]);
    }
    return out;
}

bool parse_hex(std::string_view text, std::vector<std::uint8_t>& out) {
    out.clear();
    int high = -1;
    for (const char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;
        }
        int nibble = -1;
        if (c >= '0' && c <= '9') {
            nibble = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            nibble = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            nibble = c - 'A' + 10;
        } else {
            return false;
        }
        if (high < 0) {
            high = nibble;
        } else {
            out.push_back(static_cast<std::uint8_t>((high << 4) | nibble));
            high = -1;
        }
    }
    return high < 0;
}

} // namespace citygate::cli
