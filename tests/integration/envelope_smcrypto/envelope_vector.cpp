// citygate-envelope-vector: writes envelopes for checks that run outside
// the C++ code.
//
//   citygate-envelope-vector docs
//       prints the worked vectors of docs/envelope.md
//   citygate-envelope-vector seal DIR
//       writes DIR/keys.toml (a fresh key, id 7) and DIR/expected.json
//       (the header and the resolved records of the sealed readings). It
//       also writes DIR/envelope.bin and DIR/envelope_cbor.bin, the same
//       readings as a SenML JSON and a SenML CBOR pack, each sealed with a
//       fresh IV.
//   citygate-envelope-vector open KEY_FILE ENVELOPE_FILE
//       opens an envelope and prints its header and resolved SenML records
//       as JSON
//   citygate-envelope-vector seeds DIR
//       writes fuzzing seeds sealed with the docs key

#include "gateway/crypto/envelope.hpp"
#include "gateway/senml/senml.hpp"
#include "tests/unit/crypto/envelope_doc_vector.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

using namespace citygate;
namespace fs = std::filesystem;
namespace doc = citygate::test::doc_vector;

namespace {

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const std::uint8_t b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0f]);
    }
    return out;
}

bool write_file(const fs::path& path, std::span<const std::uint8_t> bytes) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(file);
}

std::vector<std::uint8_t> read_file(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

int print_vector(const char* title, const crypto::envelope_header& header, std::span<const std::uint8_t, 16> iv,
                 const std::vector<reading>& readings) {
    const auto keys = doc::key_set();
    const std::vector<std::uint8_t> plaintext = senml::encode_json(doc::gateway_id, readings);
    std::error_code error;
    const auto envelope = crypto::seal_with_iv(*keys.current_key(), header, iv, plaintext, error);
    if (error) {
        std::cerr << "seal failed: " << error.message() << '\n';
        return 1;
    }
    std::cout << "## " << title << "\nplaintext: " << std::string(plaintext.begin(), plaintext.end())
              << "\nplaintext length: " << plaintext.size() << "\nenvelope length: " << envelope.size()
              << "\nheader: " << to_hex(std::span(envelope).first(42))
              << "\nciphertext: " << to_hex(std::span(envelope).subspan(42, envelope.size() - 74))
              << "\ntag: " << to_hex(std::span(envelope).last(32)) << "\nenvelope: " << to_hex(envelope) << "\n\n";
    return 0;
}

int print_docs() {
    const auto keys = doc::key_set();
    std::cout << "gateway_id: " << doc::gateway_id << "\nkey id: 1\nenc_key: " << to_hex(keys.keys[0].enc_key)
              << "\nmac_key: " << to_hex(keys.keys[0].mac_key) << "\n\n";
    if (print_vector("telemetry", doc::telemetry_header(), doc::telemetry_iv, doc::telemetry_readings()) != 0)
        return 1;
    return print_vector("event", doc::event_header(), doc::event_iv, doc::event_readings());
}

nlohmann::json value_json(const metric_data& value) {
    return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

std::string resolved_name(const reading& r, std::string_view metric) {
    return "urn:citygate:" + std::string(doc::gateway_id) + ":" + r.device_id + ":" + std::string(metric);
}

// One entry per SenML record that encode_json writes for `readings`, with
// the time in integer milliseconds.
nlohmann::json expected_records(const std::vector<reading>& readings) {
    nlohmann::json records = nlohmann::json::array();
    for (const reading& r : readings) {
        for (const metric_value& m : r.values)
            records.push_back({{"n", resolved_name(r, m.metric)}, {"u", m.unit}, {"t_ms", r.ts_ms},
                               {"value", value_json(m.value)}});
        if (!r.clock_trusted)
            records.push_back({{"n", resolved_name(r, "clock_trusted")}, {"u", ""}, {"t_ms", r.ts_ms},
                               {"value", false}});
    }
    return records;
}

int seal_fresh(const fs::path& dir) {
    const fs::path key_path = dir / "keys.toml";
    if (const std::error_code error = crypto::generate_key_file(key_path, 7); error) {
        std::cerr << "cannot write " << key_path << ": " << error.message() << '\n';
        return 1;
    }
    std::error_code error;
    std::string detail;
    const auto keys = crypto::load_key_file(key_path, error, detail);
    if (!keys) {
        std::cerr << detail << '\n';
        return 1;
    }

    std::vector<reading> readings = doc::telemetry_readings();
    readings[0].values.push_back({"label", "", std::string("Room \"B\"\n\\ 长乐")});
    readings.push_back(doc::event_readings()[0]);
    crypto::envelope_header header = doc::telemetry_header();
    header.sealed_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    const auto envelope = crypto::seal(*keys, header, senml::encode_json(doc::gateway_id, readings), error);
    if (error) {
        std::cerr << "seal failed: " << error.message() << '\n';
        return 1;
    }
    crypto::envelope_header cbor_header = header;
    cbor_header.content = crypto::content_type::senml_cbor;
    const auto cbor_envelope = crypto::seal(*keys, cbor_header, senml::encode_cbor(doc::gateway_id, readings), error);
    if (error) {
        std::cerr << "seal failed: " << error.message() << '\n';
        return 1;
    }

    // The expected records come from the readings, not from senml::decode_json,
    // so the receiver's SenML resolution is checked against the input.
    nlohmann::json expected = {{"key_id", 7}, {"sequence", header.sequence}, {"sealed_at_ms", header.sealed_at_ms},
                               {"flags", header.flags}, {"records", expected_records(readings)}};
    const std::string expected_text = expected.dump(2);
    if (!write_file(dir / "envelope.bin", envelope) || !write_file(dir / "envelope_cbor.bin", cbor_envelope) ||
        !write_file(dir / "expected.json", std::span(reinterpret_cast<const std::uint8_t*>(expected_text.data()),
                                                      expected_text.size()))) {
        std::cerr << "cannot write into " << dir << '\n';
        return 1;
    }
    return 0;
}

int open_file(const fs::path& key_path, const fs::path& envelope_path) {
    std::error_code error;
    std::string detail;
    const auto keys = crypto::load_key_file(key_path, error, detail);
    if (!keys) {
        std::cerr << detail << '\n';
        return 1;
    }
    crypto::opened_envelope opened;
    if (!crypto::open(*keys, read_file(envelope_path), opened, error)) {
        std::cerr << "open failed: " << error.message() << '\n';
        return 1;
    }
    std::vector<senml::resolved_record> records;
    std::string reason;
    const bool decoded = opened.header.content == crypto::content_type::senml_cbor
                             ? senml::decode_cbor(opened.plaintext, records, reason)
                             : senml::decode_json(opened.plaintext, records, reason);
    if (!decoded) {
        std::cerr << "pack does not decode: " << reason << '\n';
        return 1;
    }

    nlohmann::json out = {{"key_id", opened.header.key_id}, {"sequence", opened.header.sequence},
                          {"sealed_at_ms", opened.header.sealed_at_ms}, {"flags", opened.header.flags},
                          {"records", nlohmann::json::array()}};
    for (const auto& r : records)
        out["records"].push_back({{"n", r.name}, {"u", r.unit}, {"t", r.time_s}, {"value", value_json(r.value)}});
    std::cout << out.dump(2) << '\n';
    return 0;
}

int write_seeds(const fs::path& dir) {
    const auto keys = doc::key_set();
    std::error_code error;
    const auto write_seed = [&](const char* name, const crypto::envelope_header& header,
                                std::span<const std::uint8_t, 16> iv, std::span<const std::uint8_t> plaintext) {
        const auto envelope = crypto::seal_with_iv(*keys.current_key(), header, iv, plaintext, error);
        return !error && write_file(dir / name, envelope);
    };
    const auto telemetry = senml::encode_json(doc::gateway_id, doc::telemetry_readings());
    const auto event = senml::encode_json(doc::gateway_id, doc::event_readings());
    const bool ok = write_seed("telemetry.bin", doc::telemetry_header(), doc::telemetry_iv, telemetry) &&
                    write_seed("event.bin", doc::event_header(), doc::event_iv, event) &&
                    write_seed("empty.bin", doc::telemetry_header(), doc::telemetry_iv, {});
    if (!ok)
        std::cerr << "cannot write seeds into " << dir << '\n';
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "docs" && argc == 2)
        return print_docs();
    if (command == "seal" && argc == 3)
        return seal_fresh(argv[2]);
    if (command == "open" && argc == 4)
        return open_file(argv[2], argv[3]);
    if (command == "seeds" && argc == 3)
        return write_seeds(argv[2]);
    std::cerr << "usage: citygate-envelope-vector docs | seal DIR | open KEY_FILE ENVELOPE_FILE | seeds DIR\n";
    return 2;
}
