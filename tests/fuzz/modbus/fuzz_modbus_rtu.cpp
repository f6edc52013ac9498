// libFuzzer target for Modbus RTU: framing in both directions, request
// decoding with a round trip, and response decoding against one request of
// every function code, with a register map over the decoded registers.

#include "protocols/modbus/rtu.hpp"
#include "tests/fuzz/modbus/fuzz_common.hpp"

using namespace modbus_fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::span<const std::uint8_t> input(data, size);
    counters stats;

    for (bool is_request : {true, false})
        drain(input, [&](auto bytes) { return decode_rtu_frame(bytes, is_request, stats); });

    drain(input, [&](auto bytes) {
        auto r = decode_rtu_request(bytes, stats);
        if (r.has_frame())
            check_request_round_trip(r.frame().request);
        return r;
    });

    const std::uint8_t unit = size > 0 ? data[0] : 0;
    for (const auto& req : expected_requests()) {
        drain(input, [&](auto bytes) {
            auto r = decode_rtu_response(bytes, unit, req, stats);
            if (r.has_frame())
                check_register_map(req, r.frame());
            return r;
        });
    }
    return 0;
}
