#pragma once
// CJ/T 188 requests and replies for the read-data (901F) and read-address
// (810A) exchanges, on top of the link frame in frame.hpp.

#include "protocols/cjt188/frame.hpp"
#include "protocols/cjt188/read_data.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

namespace citygate::cjt188 {

// Byte order of the data identifier: the 2018 edition sends 901F as 1F 90
// (low byte first), the 2004 edition as 90 1F. Decoders accept both.
enum class edition { v2004, v2018 };

inline constexpr std::uint16_t di_read_data = 0x901F;
inline constexpr std::uint16_t di_read_address = 0x810A;
inline constexpr std::uint16_t di_valve_control = 0xA017; // write data, valve.hpp

struct data_identifier {
    std::uint16_t value = 0;
    cjt188::edition order = edition::v2018;
};

// Reads DI0 DI1 in either byte order; std::nullopt for an identifier other
// than 901F, 810A and A017.
std::optional<data_identifier> read_data_identifier(std::uint8_t di0, std::uint8_t di1) noexcept;

// Read-data request: C = 01, L = 03, DI 901F, SER.
frame make_read_data_request(std::uint8_t meter_type, const address& addr, edition ed, std::uint8_t ser);

// Read-address request to the broadcast address AA..AA: C = 03, L = 03, DI 810A, SER.
// Only one meter may be on the bus, because every meter answers it.
frame make_read_address_request(std::uint8_t meter_type, edition ed, std::uint8_t ser);

// Read-data reply (C = 81) carrying `values`.
frame make_read_data_reply(std::uint8_t meter_type, const address& addr, edition ed, std::uint8_t ser,
                           const meter_data& values);

// Read-address reply (C = 83): the meter's own address in the address field.
frame make_read_address_reply(std::uint8_t meter_type, const address& addr, edition ed, std::uint8_t ser);

// A request as a meter sees it.
struct request {
    frame link;
    data_identifier di;
    std::uint8_t ser = 0;
};

// Decoded read-data reply.
struct read_data_reply {
    data_identifier di;
    std::uint8_t ser = 0;
    meter_data values;
};

// Decoded read-address reply; the address is link.address.
struct read_address_reply {
    data_identifier di;
    std::uint8_t ser = 0;
};

struct reply {
    frame link;
    std::variant<read_data_reply, read_address_reply> body;
};

// Decodes a meter reply: framing as decode_frame, then the data field.
// A frame that is valid but cannot be decoded (abnormal_response,
// unexpected_control, unknown_di, truncated_data, bad_bcd, bad_unit,
// unknown_meter_type) fails with consumed() covering the whole frame.
proto::decode_result<reply> decode_reply(std::span<const std::uint8_t> bytes, counters& stats);

// Decodes a master request (C = 01 or 03) for a meter simulator; errors as decode_reply.
proto::decode_result<request> decode_request(std::span<const std::uint8_t> bytes, counters& stats);

} // namespace citygate::cjt188
