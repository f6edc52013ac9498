#pragma once
// How a Modbus PDU travels to one device: RTU (unit id + CRC-16) on a serial
// line, or TCP (MBAP header with a transaction id) over a TCP connection.
// The device codec (device_codec.hpp) is the same for both.

#include "protocols/common/decode_result.hpp"
#include "protocols/modbus/counters.hpp"
#include "protocols/modbus/pdu.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace citygate::drivers {

class modbus_framing {
public:
    virtual ~modbus_framing() = default;

    // Wraps a request PDU for the device. `transaction` receives the id its
    // reply must carry (always 0 for RTU).
    virtual std::vector<std::uint8_t> wrap(std::span<const std::uint8_t> pdu, std::uint16_t& transaction) const = 0;

    // Decodes the reply to `req`, sent with `transaction`, from the start of
    // `bytes`; need_more while it is incomplete. Rejections bump `stats`.
    virtual proto::decode_result<modbus::response> unwrap(std::span<const std::uint8_t> bytes,
                                                          std::uint16_t transaction, const modbus::request& req,
                                                          modbus::counters& stats) const = 0;
};

class modbus_rtu_framing final : public modbus_framing {
public:
    explicit modbus_rtu_framing(std::uint8_t unit) : unit_(unit) {}

    std::vector<std::uint8_t> wrap(std::span<const std::uint8_t> pdu, std::uint16_t& transaction) const override;
    proto::decode_result<modbus::response> unwrap(std::span<const std::uint8_t> bytes, std::uint16_t transaction,
                                                  const modbus::request& req, modbus::counters& stats) const override;

private:
    std::uint8_t unit_;
};

// Each wrap() takes the next transaction id, so a late reply to an earlier
// request is told apart from the reply to the current one.
class modbus_tcp_framing final : public modbus_framing {
public:
    // The first transaction id is `first_transaction`; the driver derives it
    // from the unit id so that devices behind one gateway do not start in step.
    modbus_tcp_framing(std::uint8_t unit, std::uint16_t first_transaction)
        : unit_(unit), next_transaction_(first_transaction)
    {
    }

    std::vector<std::uint8_t> wrap(std::span<const std::uint8_t> pdu, std::uint16_t& transaction) const override;

    // Skips complete frames with another transaction id or unit id (late
    // replies to requests that timed out, for this device or another unit
    // behind the same gateway), counting them as transaction_mismatch or
    // unit_mismatch, and decodes the first frame that matches both. The
    // result's skipped() is the number of frames skipped. The bus poller
    // counts those in every case, but the device codec's `stats` keep only
    // the counts of final results, so there a skipped reply followed by a
    // timeout is not counted.
    proto::decode_result<modbus::response> unwrap(std::span<const std::uint8_t> bytes, std::uint16_t transaction,
                                                  const modbus::request& req, modbus::counters& stats) const override;

private:
    std::uint8_t unit_;
    mutable std::uint16_t next_transaction_;
};

} // namespace citygate::drivers
