#pragma once
// Fixed inputs of the worked envelope vectors in docs/envelope.md. The
// citygate-envelope-vector tool prints the bytes for the docs, and
// envelope_doc_vector_test asserts that the code still produces them.

#include "drivers/reading.hpp"
#include "gateway/crypto/envelope.hpp"

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace citygate::test::doc_vector {

inline constexpr std::string_view gateway_id = "changle-gw-01";

inline crypto::key_set key_set() {
    crypto::key k;
    k.id = 1;
    k.enc_key = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
    for (std::size_t i = 0; i < k.mac_key.size(); ++i)
        k.mac_key[i] = static_cast<std::uint8_t>(i);
    crypto::key_set keys;
    keys.current = 1;
    keys.keys.push_back(k);
    return keys;
}

inline constexpr std::array<std::uint8_t, 16> telemetry_iv = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
                                                                0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff};
inline constexpr std::array<std::uint8_t, 16> event_iv = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                                            0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

// Two readings of one water meter a minute apart, and one of a climate
// sensor taken before the wall clock was synchronised.
inline std::vector<reading> telemetry_readings() {
    return {
        reading{"wm-0001", lane::telemetry, 1'700'000'000'000, true,
                {{"volume", "m3", 123.456}, {"valve_open", "", true}}},
        reading{"wm-0001", lane::telemetry, 1'700'000'060'000, true, {{"volume", "m3", 123.5}}},
        reading{"th-0007", lane::telemetry, 1'700'000'001'250, false,
                {{"temperature", "Cel", 21.5}, {"humidity", "%RH", 48.0}}},
    };
}

inline std::vector<reading> event_readings() {
    return {reading{"smoke-0003", lane::event, 1'700'000'002'000, true,
                    {{"alarm", "", true}, {"state", "", std::string("fire")}}}};
}

inline crypto::envelope_header telemetry_header() {
    crypto::envelope_header header;
    header.flags = 0;
    header.key_id = 1;
    header.sequence = 1001;
    header.sealed_at_ms = 1'700'000'060'500;
    return header;
}

inline crypto::envelope_header event_header() {
    crypto::envelope_header header;
    header.flags = 1;
    header.key_id = 1;
    header.sequence = 1002;
    header.sealed_at_ms = 1'700'000'002'100;
    return header;
}

} // namespace citygate::test::doc_vector
