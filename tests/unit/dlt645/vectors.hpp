#pragma once
// DL/T 645-2007 frames from public sources, copied byte for byte. Every
// checksum was recomputed from the bytes and matches, except in N1.
//
// D1: github.com/rulego/rulego-components-iot, external/dlt645/dlt645_test.go
//     at commit c1bea999bb4f638ada108472f246320aa3557dad (Go unit test).
// D2: github.com/600888/dlt645, cpp/tests/core_test.cpp at commit
//     11f082bd42ca194e2954ea8bc8d10597755ae89e (C++ test with wire frames).
// D3: "DLT645-2007 规约 常见报文解析" (2012), reprinted at
//     https://hwhale.com/article/138066: request/reply pairs for meter
//     000000000161. The source sends each request after FE FE FE FE.

#include "protocols/common/hex.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace dlt645_vectors {

// D1 #1: read request, address 000000000001, DI 00010000 (forward active total energy).
inline constexpr std::string_view d1_read_energy = "68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16";
// D1 #2: read request, address 123456789012, DI 02010100 (phase A voltage).
inline constexpr std::string_view d1_read_voltage = "68 12 90 78 56 34 12 68 11 04 33 34 34 35 6B 16";
// D1 #3: normal reply, DI 00010000, 123456.78 kWh.
inline constexpr std::string_view d1_energy_reply = "68 01 00 00 00 00 00 68 91 08 33 33 34 33 AB 89 67 45 17 16";
// D1 #4: abnormal reply (C = D1), error byte 03 after removing 33H.
inline constexpr std::string_view d1_abnormal_reply = "68 01 00 00 00 00 00 68 D1 01 36 D9 16";

// D2: read communication address (C = 13) to the wildcard address, no data.
inline constexpr std::string_view d2_read_address = "FE FE FE FE 68 AA AA AA AA AA AA 68 13 00 DF 16";

// D3 #1-#5: requests and replies for meter 000000000161.
inline constexpr std::string_view d3_address = "000000000161";
inline constexpr std::string_view d3_req_forward_active = "68 61 01 00 00 00 00 68 11 04 33 33 34 33 14 16";
inline constexpr std::string_view d3_rep_forward_active =
    "68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16"; // 0.26 kWh
inline constexpr std::string_view d3_req_reverse_active = "68 61 01 00 00 00 00 68 11 04 33 33 35 33 15 16";
inline constexpr std::string_view d3_rep_reverse_active =
    "68 61 01 00 00 00 00 68 91 08 33 33 35 33 59 34 33 33 8C 16"; // 1.26 kWh
inline constexpr std::string_view d3_req_reactive_1 = "68 61 01 00 00 00 00 68 11 04 33 33 36 33 16 16";
inline constexpr std::string_view d3_rep_reactive_1 =
    "68 61 01 00 00 00 00 68 91 08 33 33 36 33 59 33 34 33 8D 16"; // 100.26 kvarh
inline constexpr std::string_view d3_req_reactive_2 = "68 61 01 00 00 00 00 68 11 04 33 33 37 33 17 16";
inline constexpr std::string_view d3_rep_reactive_2 =
    "68 61 01 00 00 00 00 68 91 08 33 33 37 33 56 33 34 33 8B 16"; // 100.23 kvarh
inline constexpr std::string_view d3_req_voltage_a = "68 61 01 00 00 00 00 68 11 04 33 34 34 35 17 16";
inline constexpr std::string_view d3_rep_voltage_a = "68 61 01 00 00 00 00 68 91 06 33 34 34 35 34 43 10 16"; // 100.1 V

// N1 (D1's checksum-failure case): D1 #3 with its checksum raised by one (the byte sum is 17).
inline constexpr std::string_view n1_energy_reply_bad_cs =
    "68 01 00 00 00 00 00 68 91 08 33 33 34 33 AB 89 67 45 18 16";

inline constexpr std::string_view all_requests[] = {d1_read_energy,        d1_read_voltage,   d2_read_address,
                                                    d3_req_forward_active, d3_req_reverse_active,
                                                    d3_req_reactive_1,     d3_req_reactive_2, d3_req_voltage_a};

inline constexpr std::string_view all_replies[] = {d1_energy_reply,       d1_abnormal_reply,     d3_rep_forward_active,
                                                   d3_rep_reverse_active, d3_rep_reactive_1,     d3_rep_reactive_2,
                                                   d3_rep_voltage_a};

inline std::vector<std::uint8_t> bytes(std::string_view hex)
{
    return citygate::proto::from_hex(hex).value();
}

// Recomputes CS (second to last byte) after a test edited a frame without preamble.
inline void fix_checksum(std::vector<std::uint8_t>& frame)
{
    unsigned sum = 0;
    for (std::size_t i = 0; i + 2 < frame.size(); ++i)
        sum += frame[i];
    frame[frame.size() - 2] = static_cast<std::uint8_t>(sum);
}

} // namespace dlt645_vectors
