#pragma once
// CJ/T 188-2004 valve control: the write-data command (C = 04) with data
// identifier A017 and the meter's reply.
//
// Sources (opened for this code):
// - CJ/T 188-2004 text as reproduced in "CJ/T188-2004 详细介绍",
//   https://cnblogs.com/cj94/p/18534595: control code bits (D7 direction,
//   D6 abnormal, D5-D0 function, 000100 write data), L <= 32H for write data,
//   and the abnormal reply 68 T A0..A6 CTR_2 03 SER ST CS 16 (L = 03, no DI).
// - "智能水表188协议汇总", https://cnblogs.com/flyingcloude/p/8136593.html:
//   write valve control (写阀门控制) is C = 04, normal reply 84, abnormal
//   reply C4, DI A0 17.
// - "CJ/T-188 水表协议解析2", https://blog.csdn.net/qingwufeiyang12346/article/details/47306719
//   (English copy: topic.alibabacloud.com/a/common-sensor-protocol-5cjt-188-water-meter-protocol-analysis-2__cjt-188_8_8_20286396.html):
//   open 55, close 99, and the reply 84 05 A0 17 SER ST ST whose ST is
//   00 open, 01 closed, 11 abnormal.
//
// Request:        C = 04, L = 04, DI A017, SER, 55 (open) or 99 (close)
// Normal reply:   C = 84, L = 05, DI A017, SER, ST (2 bytes)
// Abnormal reply: C = C4, L = 03, SER, ST; a DI in front (L = 05) is accepted too.
// NOTE: the reproduced standard text gives the abnormal-reply layout for read
// operations and stops before the write-operation tables, so the C4 layout
// (and the bytes 55 and 99) rest on that read layout and the meter walk-through.
// The DI goes out as A0 17 in the 2004 edition and 17 A0 in the 2018 edition;
// decoders accept both.

#include "protocols/cjt188/codec.hpp"

#include <cstdint>
#include <optional>
#include <span>

namespace citygate::cjt188 {

inline constexpr std::uint8_t ctrl_write_data = 0x04;
inline constexpr std::uint8_t valve_open_byte = 0x55;
inline constexpr std::uint8_t valve_close_byte = 0x99;

// The standard limits the data field of write-data frames to 32H bytes.
inline constexpr std::size_t max_write_data_length = 0x32;
inline constexpr std::size_t valve_request_length = 4; // DI0 DI1 SER command
inline constexpr std::size_t valve_reply_length = 5;   // DI0 DI1 SER ST ST
inline constexpr std::size_t valve_abnormal_reply_length = 3; // SER ST ST

enum class valve_command { open, close };

frame make_valve_request(std::uint8_t meter_type, const address& addr, edition ed, std::uint8_t ser,
                         valve_command command);

// Replies, for the meter simulator and tests. The abnormal reply carries no DI.
frame make_valve_reply(std::uint8_t meter_type, const address& addr, edition ed, std::uint8_t ser,
                       const meter_status& status);
frame make_valve_abnormal_reply(std::uint8_t meter_type, const address& addr, std::uint8_t ser,
                                const meter_status& status);

struct valve_request {
    frame link;
    data_identifier di;
    std::uint8_t ser = 0;
    valve_command command = valve_command::open;
};

struct valve_reply {
    frame link;
    bool abnormal = false;             // C = C4: the meter reports that the command failed
    std::optional<data_identifier> di; // std::nullopt in the standard's abnormal reply
    std::uint8_t ser = 0;
    meter_status status;               // ST after the command: valve position, battery
};

// Decodes a valve-control request (C = 04) for a meter simulator. Errors:
// framing as decode_frame, then unexpected_control, length_too_large (L above
// max_write_data_length), truncated_data, unknown_di, bad_valve_command.
proto::decode_result<valve_request> decode_valve_request(std::span<const std::uint8_t> bytes, counters& stats);

// Decodes the reply to a valve-control request (C = 84 or C4). An abnormal
// reply decodes to a valve_reply with `abnormal` set, so its ST reaches the
// caller; check_valve_reply turns it into an error. Errors: framing as
// decode_frame, then unexpected_control, length_too_large, truncated_data,
// unknown_di. consumed() covers the whole frame on errors after framing.
proto::decode_result<valve_reply> decode_valve_reply(std::span<const std::uint8_t> bytes, counters& stats);

// The outcome of `command` from its decoded reply: valve_command_rejected for
// an abnormal reply, valve_fault when ST reports the valve abnormal, and
// valve_state_mismatch when the valve is in the other position. Bumps the
// counter of the error it returns.
std::error_code check_valve_reply(valve_command command, const valve_reply& reply, counters& stats) noexcept;

} // namespace citygate::cjt188
