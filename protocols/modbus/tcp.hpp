#pragma once
// Modbus TCP framing (Modbus Messaging on TCP/IP Implementation Guide V1.0b):
//   MBAP header: transaction id (2) | protocol id (2, always 0) | length (2) | unit id (1)
//   then the PDU. Length counts the unit id and the PDU, so it is 2-254 and
//   the whole ADU at most 260 bytes. All fields are big-endian.

#include "protocols/common/decode_result.hpp"
#include "protocols/modbus/counters.hpp"
#include "protocols/modbus/pdu.hpp"
#include "protocols/modbus/rtu.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace citygate::modbus {

inline constexpr std::size_t mbap_size = 7;
inline constexpr std::size_t max_tcp_adu_size = 260;
inline constexpr std::uint16_t max_mbap_length = 254;

// Precondition: pdu.size() <= max_pdu_size.
std::vector<std::uint8_t> encode_tcp(std::uint16_t transaction, std::uint8_t unit, std::span<const std::uint8_t> pdu);

struct tcp_adu {
    std::uint16_t transaction = 0;
    std::uint8_t unit = 0;
    std::vector<std::uint8_t> pdu;
};

// Decodes one MBAP frame from the start of `bytes`. A bad protocol id or
// length consumes the 7 header bytes; the stream is then out of step, and
// the caller should close the connection.
proto::decode_result<tcp_adu> decode_tcp_frame(std::span<const std::uint8_t> bytes, counters& stats);

// Decodes the reply to `req` sent with `transaction` to `unit`. A reply with
// another transaction id (typically a late reply to an earlier, timed-out
// request) fails with transaction_mismatch and consumes the whole frame, so
// the caller can drop it and keep waiting.
proto::decode_result<response> decode_tcp_response(std::span<const std::uint8_t> bytes, std::uint16_t transaction,
                                                   std::uint8_t unit, const request& req, counters& stats);

struct tcp_request {
    std::uint16_t transaction = 0;
    std::uint8_t unit = 0;
    modbus::request request;
};

// Decodes a client's request, for a server simulator.
proto::decode_result<tcp_request> decode_tcp_request(std::span<const std::uint8_t> bytes, counters& stats);

} // namespace citygate::modbus
