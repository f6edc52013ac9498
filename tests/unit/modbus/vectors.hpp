#pragma once
// Modbus RTU frames from public sources. Every CRC was recomputed from the bytes.
//
// M1: github.com/pazzarpj/aiomodbus, test/test_payload_forming.py at commit
//     171d3cd6c144961d7a8790a6976f9d0c532c5c15. It has requests and replies of
//     slave 0x11 for function codes 01, 03, 05, 06, 0F and 10 (the widely
//     reproduced "Simply Modbus" examples). It also builds exception replies
//     from slave 0x11, function 0x83 and codes 01-04, whose CRC bytes are derived here.
// M2: github.com/pymeasure/pymeasure, tests/instruments/hcp/test_tc038d.py at
//     commit 19cdb93b011fb0f419bf1dbeef5bb984789df552: HCP TC038D temperature
//     controller, slave 0x01, read temperature (taken there from the
//     instrument manual) and two corrupted replies of that test.

#include "protocols/common/hex.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace modbus_vectors {

// M1, FC 01: read 37 coils from 0x0013.
inline constexpr std::string_view m1_read_coils_request = "11 01 00 13 00 25 0E 84";
inline constexpr std::string_view m1_read_coils_response = "11 01 05 CD 6B B2 0E 1B 45 E6";

// M1, FC 03: read 3 holding registers from 0x006B: AE41 5652 4340.
inline constexpr std::string_view m1_read_holding_request = "11 03 00 6B 00 03 76 87";
inline constexpr std::string_view m1_read_holding_response = "11 03 06 AE 41 56 52 43 40 49 AD";

// M1, FC 05: coil 0x00AC on. The reply echoes the request.
inline constexpr std::string_view m1_write_coil_request = "11 05 00 AC FF 00 4E 8B";

// M1, FC 06: register 0x0001 = 3. The reply echoes the request.
inline constexpr std::string_view m1_write_register_request = "11 06 00 01 00 03 9A 9B";

// M1, FC 0F: 10 coils from 0x0013 = T,F,T,T,F,F,T,T,T,F.
inline constexpr std::string_view m1_write_coils_request = "11 0F 00 13 00 0A 02 CD 01 BF 0B";
inline constexpr std::string_view m1_write_coils_response = "11 0F 00 13 00 0A 26 99";

// M1, FC 10: registers 0x0001, 0x0002 = 000A, 0102.
inline constexpr std::string_view m1_write_registers_request = "11 10 00 01 00 02 04 00 0A 01 02 C6 F0";
inline constexpr std::string_view m1_write_registers_response = "11 10 00 01 00 02 12 98";

// M1, exception replies of slave 0x11 to FC 03, codes 01-04.
inline constexpr std::string_view m1_exception_01 = "11 83 01 81 35";
inline constexpr std::string_view m1_exception_02 = "11 83 02 C1 34";
inline constexpr std::string_view m1_exception_03 = "11 83 03 00 F4";
inline constexpr std::string_view m1_exception_04 = "11 83 04 41 36";

// M2: read 2 registers from 0x0000. The reply carries 0000 03E8, the raw
// value 1000 that the instrument scales by 0.1 to 100 degrees.
inline constexpr std::string_view m2_read_temperature_request = "01 03 00 00 00 02 C4 0B";
inline constexpr std::string_view m2_read_temperature_response = "01 03 04 00 00 03 E8 FA 8D";

// M2 negatives: N1 is the M2 reply with 01 02 in place of its CRC FA 8D. N2
// is shaped like exception 02, with 01 02 in place of its CRC C0 F1.
inline constexpr std::string_view m2_n1_bad_crc = "01 03 04 00 00 03 E8 01 02";
inline constexpr std::string_view m2_n2_exception_bad_crc = "01 83 02 01 02";

inline std::vector<std::uint8_t> bytes(std::string_view hex)
{
    return citygate::proto::from_hex(hex).value();
}

} // namespace modbus_vectors
