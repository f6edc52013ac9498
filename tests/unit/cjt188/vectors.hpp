#pragma once
// CJ/T 188 frames from public sources. Checksums were recomputed from the bytes.
//
// S1: "CJ/T-188 水表协议解析", https://cnblogs.com/yangykaifa/p/7010777.html
//     (mirror https://hftangyu.com/563.html): cold-water request and reply.
// S2: "CJ/T-188 冷热量表协议解析", https://biecuoliao.com/pa/MPREpm3.html:
//     heat-meter request and the byte-position table of its reply.
// S3: github.com/hupengwu/fox-edge-server-protocol,
//     fox-edge-server-protocol-cjt188/src/main/java/cn/foxtech/device/protocol/v1/cjt188/Demo.java
//     at commit 14fd359c0acdf19046fa769606531a83e38a3b02: the S1 reply with a
//     checksum that adds up (... 84 13 16).
// S4: ng-gateway documentation, https://ng-gateway.com/southward/cjt188/address-di.html:
//     the 2018 edition sends DI 901F as 1F 90, the 2004 edition as 90 1F. Every
//     frame below uses 1F 90; tests derive the 90 1F variants from them.

#include "protocols/common/hex.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace cjt188_vectors {

// P1 (S1): cold-water meter 78330011223344, read-data request, SER 0.
inline constexpr std::string_view p1_water_request = "FE FE FE FE 68 10 44 33 22 11 00 33 78 01 03 1F 90 00 80 16";

// P2 (S1 values, checksum 13 as carried by S3): read-data reply, 556677.00 m3
// current and settlement volume, clock 2015-05-11 22:01:31, ST 21 84.
inline constexpr std::string_view p2_water_reply =
    "68 10 44 33 22 11 00 33 78 81 16 1F 90 00 00 77 66 55 2C 00 77 66 55 2C 31 01 22 11 05 15 20 21 84 13 16";

// P3 (S2): heat meter 78330011223344, read-data request, SER 1.
inline constexpr std::string_view p3_heat_request = "FE FE FE FE 68 20 44 33 22 11 00 33 78 01 03 1F 90 01 91 16";

// N1 (S1 as printed): P2 with a preamble and the wrong checksum 08 (the byte sum is 13).
inline constexpr std::string_view n1_water_reply_bad_cs =
    "FE FE FE FE 68 10 44 33 22 11 00 33 78 81 16 1F 90 00 00 77 66 55 2C 00 77 66 55 2C 31 01 22 11 05 15 20 21 84 08 16";

// N2 (S2's byte-position table): heat-meter reply, L = 2E. S2 prints CS 91
// (its request's checksum); the byte sum is 06.
inline constexpr std::string_view n2_heat_reply_bad_cs =
    "FE FE FE FE 68 20 44 33 22 11 00 33 78 81 2E 1F 90 01 78 56 34 12 05 78 56 34 12 05 78 56 34 12 17 78 56 34 12 35 "
    "78 56 34 12 2C 56 34 12 56 34 12 56 34 12 20 14 03 18 12 56 59 00 00 91 16";

// N2 with its checksum corrected to 06, for field extraction. Heat 123456.78
// kWh (settlement and current), power 123456.78 kW, flow rate 123456.78 m3/h
// and, derived from the layout past the end of S2's table, volume 123456.78
// m3, temperatures 1234.56 Cel, working time 123456 h.
inline constexpr std::string_view n2_heat_reply_fixed =
    "FE FE FE FE 68 20 44 33 22 11 00 33 78 81 2E 1F 90 01 78 56 34 12 05 78 56 34 12 05 78 56 34 12 17 78 56 34 12 35 "
    "78 56 34 12 2C 56 34 12 56 34 12 56 34 12 20 14 03 18 12 56 59 00 00 06 16";

// Valve control (write data, C = 04, DI A017), CJ/T 188-2004 byte order A0 17.
// S5: "CJ/T-188 水表协议解析2", https://blog.csdn.net/qingwufeiyang12346/article/details/47306719
//     (English copy: https://topic.alibabacloud.com/a/common-sensor-protocol-5cjt-188-water-meter-protocol-analysis-2__cjt-188_8_8_20286396.html):
//     SC water meter 78331505900569, open and close requests with SER 01 and
//     the open reply with ST 00 00 (checksums 50, 94 and 7C as printed there).
// S6: the CJ/T 188-2004 abnormal reply layout 68 T A0..A6 CTR_2 03 SER ST CS 16,
//     as reproduced in https://cnblogs.com/cj94/p/18534595.
inline constexpr std::string_view valve_meter_address = "78331505900569";

// V1 (S5): open valve, command byte 55.
inline constexpr std::string_view v1_valve_open_request = "FE FE FE FE 68 10 69 05 90 05 15 33 78 04 04 A0 17 01 55 50 16";

// V2 (S5): close valve, command byte 99.
inline constexpr std::string_view v2_valve_close_request = "FE FE FE FE 68 10 69 05 90 05 15 33 78 04 04 A0 17 01 99 94 16";

// V3 (S5): normal reply C = 84, ST 00 00 (valve open).
inline constexpr std::string_view v3_valve_open_reply = "68 10 69 05 90 05 15 33 78 84 05 A0 17 01 00 00 7C 16";

// V4 (derived from V3): ST 01 00 (valve closed), checksum 7D.
inline constexpr std::string_view v4_valve_close_reply = "68 10 69 05 90 05 15 33 78 84 05 A0 17 01 01 00 7D 16";

// V5 (derived from S6): abnormal reply C = C4, L = 03, SER 01, ST 03 00
// (valve abnormal), checksum 06.
inline constexpr std::string_view v5_valve_abnormal_reply = "68 10 69 05 90 05 15 33 78 C4 03 01 03 00 06 16";

inline constexpr std::string_view meter_address = "78330011223344";

inline std::vector<std::uint8_t> bytes(std::string_view hex)
{
    return citygate::proto::from_hex(hex).value();
}

// Recomputes CS (second to last byte) after a test edited a frame without preamble.
inline void fix_checksum(std::vector<std::uint8_t>& frame, std::size_t preamble = 0)
{
    unsigned sum = 0;
    for (std::size_t i = preamble; i + 2 < frame.size(); ++i)
        sum += frame[i];
    frame[frame.size() - 2] = static_cast<std::uint8_t>(sum);
}

} // namespace cjt188_vectors
