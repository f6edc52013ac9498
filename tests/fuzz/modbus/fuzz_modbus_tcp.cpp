// libFuzzer target for Modbus TCP: MBAP framing, request decoding with a
// round trip, and response decoding against one request of every function
// code, with a register map over the decoded registers.

#include "protocols/modbus/tcp.hpp"
#include "tests/fuzz/modbus/fuzz_common.hpp"

using namespace modbus_fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::span<const std::uint8_t> input(data, size);
    counters stats;

    drain(input, [&](auto bytes) {
        auto r = decode_tcp_frame(bytes, stats);
        if (r.has_frame() && (r.frame().pdu.empty() || r.frame().pdu.size() > max_pdu_size))
            std::abort();
        return r;
    });

    drain(input, [&](auto bytes) {
        auto r = decode_tcp_request(bytes, stats);
        if (r.has_frame())
            check_request_round_trip(r.frame().request);
        return r;
    });

    // The transaction and unit ids of the first frame, so responses get past the id checks.
    const std::uint16_t transaction = size >= 2 ? static_cast<std::uint16_t>(data[0] << 8 | data[1]) : 0;
    const std::uint8_t unit = size >= 7 ? data[6] : 0;
    for (const auto& req : expected_requests()) {
        drain(input, [&](auto bytes) {
            auto r = decode_tcp_response(bytes, transaction, unit, req, stats);
            if (r.has_frame())
                check_register_map(req, r.frame());
            return r;
        });
    }
    return 0;
}
