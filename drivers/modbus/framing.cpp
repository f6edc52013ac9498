#include "drivers/modbus/framing.hpp"

#include "protocols/modbus/rtu.hpp"
#include "protocols/modbus/tcp.hpp"

namespace citygate::drivers {

std::vector<std::uint8_t> modbus_rtu_framing::wrap(std::span<const std::uint8_t> pdu, std::uint16_t& transaction) const
{
    transaction = 0;
    return modbus::encode_rtu(unit_, pdu);
}

proto::decode_result<modbus::response> modbus_rtu_framing::unwrap(std::span<const std::uint8_t> bytes,
                                                                  std::uint16_t, const modbus::request& req,
                                                                  modbus::counters& stats) const
{
    return modbus::decode_rtu_response(bytes, unit_, req, stats);
}

std::vector<std::uint8_t> modbus_tcp_framing::wrap(std::span<const std::uint8_t> pdu, std::uint16_t& transaction) const
{
    transaction = next_transaction_++;
    return modbus::encode_tcp(transaction, unit_, pdu);
}

proto::decode_result<modbus::response> modbus_tcp_framing::unwrap(std::span<const std::uint8_t> bytes,
                                                                  std::uint16_t transaction,
                                                                  const modbus::request& req,
                                                                  modbus::counters& stats) const
{
    using result = proto::decode_result<modbus::response>;
    std::size_t skipped = 0;
    std::size_t late_frames = 0;
    const auto with_late = [&](result r) {
        r.set_skipped(late_frames);
        return r;
    };
    while (true) {
        auto framed = modbus::decode_tcp_frame(bytes.subspan(skipped), stats);
        if (framed.needs_more())
            return with_late(result::need_more());
        if (framed.failed())
            return with_late(result::fail(framed.error(), skipped + framed.consumed()));

        const auto& adu = framed.frame();
        const std::size_t end = skipped + framed.consumed();
        if (adu.transaction != transaction || adu.unit != unit_) {
            stats.count(adu.transaction != transaction ? modbus::error::transaction_mismatch
                                                       : modbus::error::unit_mismatch);
            skipped = end;
            ++late_frames;
            continue;
        }

        modbus::response out;
        if (auto ec = modbus::decode_response_pdu(req, adu.pdu, out)) {
            stats.count(ec);
            return with_late(result::fail(ec, end));
        }
        return with_late(result::ok(std::move(out), end));
    }
}

} // namespace citygate::drivers
