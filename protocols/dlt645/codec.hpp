#pragma once
// DL/T 645 requests and replies on top of the link frame in frame.hpp: read
// data, read address and broadcast time sync, in the 1997 and 2007 editions.
// The edition of a frame follows from its control code: read data is 11H in
// 2007 and 01H in 1997.

#include "protocols/dlt645/data_id.hpp"
#include "protocols/dlt645/frame.hpp"

#include <cstdint>
#include <span>
#include <variant>
#include <vector>

namespace citygate::dlt645 {

// Read-data request: C = 11H with a 4-byte DI (2007) or 01H with a 2-byte DI (1997).
frame make_read_request(edition ed, const address& addr, data_id di);

// Read-address request to the wildcard address AA..AA. 2007: C = 13H, L = 0.
// 1997 has no such command: the request reads DI C032 (meter number).
// Only one meter may be on the bus, because every meter replies to it.
frame make_read_address_request(edition ed);

// Local time of the meter, set by the broadcast time sync.
struct meter_time {
    int year = 2000; // 2000-2099, sent as two digits
    int month = 1;
    int day = 1;
    int hour = 0;
    int minute = 0;
    int second = 0;

    friend bool operator==(const meter_time&, const meter_time&) = default;
};

// Broadcast time sync: C = 08H to 99..99, data ss mm hh DD MM YY, the same in
// both editions. Meters send no reply. std::nullopt when a field is out of range.
std::optional<frame> make_time_sync(const meter_time& time);

// Replies, for the meter simulator and tests.
frame make_read_reply(edition ed, const address& addr, data_id di, std::span<const std::uint8_t> value);
frame make_read_address_reply(edition ed, const address& addr);
frame make_error_reply(edition ed, const address& addr, std::uint8_t error_byte);

// The meter error of an abnormal reply's error byte: the most specific bit
// set, bit 6 first and bit 0 (the catch-all) last.
meter_error decode_meter_error(edition ed, std::uint8_t error_byte) noexcept;

struct read_reply {
    data_id di = 0;
    std::vector<std::uint8_t> value; // bytes after the DI, 33H subtracted
    bool follow_up = false;          // the meter has more frames for this DI
};

// The meter's address is the reply's link address.
struct address_reply {};

struct reply {
    frame link;
    dlt645::edition edition = edition::v2007;
    std::variant<read_reply, address_reply> body;
};

// Decodes a meter reply: framing as decode_frame, then the data field.
// An abnormal reply fails with its meter_error; other valid frames that
// cannot be decoded (unexpected_control, truncated_data) fail with the
// dlt645::error. Either way consumed() covers the whole frame.
proto::decode_result<reply> decode_reply(std::span<const std::uint8_t> bytes, counters& stats);

// Decodes like decode_reply, but fails a valid frame from any address other
// than `*from` with address_mismatch before reading its data field, because
// on a shared line another meter's abnormal reply is not a refusal by the
// polled one. A null `from` accepts every address.
proto::decode_result<reply> decode_reply_from(const address* from, std::span<const std::uint8_t> bytes,
                                              counters& stats);

// Decodes the value of a read reply with the format of its DI; errors
// unknown_di, truncated_data, bad_bcd. The unit is `quantity.format_*.unit`.
std::error_code decode_reading(const reply& r, double& value, const quantity*& which) noexcept;

// A master request, decoded on the meter side.
struct read_request {
    data_id di = 0;
};
struct read_address_request {};
struct time_sync_request {
    meter_time time;
};

struct request {
    frame link;
    dlt645::edition edition = edition::v2007;
    std::variant<read_request, read_address_request, time_sync_request> body;
};

// Decodes a master request (read data, read address, time sync) for a
// meter simulator; errors as decode_reply.
proto::decode_result<request> decode_request(std::span<const std::uint8_t> bytes, counters& stats);

} // namespace citygate::dlt645
