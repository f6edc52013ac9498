// libFuzzer target for the CJ/T 188 codec: framing, reply and request
// decoding (read data, read address, valve control), and the driver's answer
// decoding, on arbitrary bytes.

#include "drivers/cjt188/cjt188_driver.hpp"
#include "protocols/cjt188/codec.hpp"
#include "protocols/cjt188/valve.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

namespace {

using namespace citygate::cjt188;
using citygate::drivers::cjt188_device_codec;

// Feeds the input as a stream: every call must consume at least one byte or
// ask for more, and must never report more bytes than it was given.
template <typename Decode>
void drain(std::span<const std::uint8_t> input, Decode decode)
{
    std::size_t pos = 0;
    while (pos < input.size()) {
        auto result = decode(input.subspan(pos));
        if (result.needs_more())
            return;
        if (result.consumed() == 0 || result.consumed() > input.size() - pos)
            std::abort();
        pos += result.consumed();
    }
}

// Decodes the input as one receive buffer of a water and a heat meter poll.
void check_driver(std::span<const std::uint8_t> input)
{
    static const cjt188_device_codec water(0x10, *parse_address("78330011223344"), edition::v2018);
    static const cjt188_device_codec heat(0x20, *parse_address("78330011223344"), edition::v2004);

    for (const auto* codec : {&water, &heat}) {
        auto result = codec->decode_answer(0, input);
        if (result.consumed() > input.size())
            std::abort();
        if (!result.needs_more() && !result.has_frame() && !result.failed())
            std::abort();
    }
}

void check_round_trip(const frame& f)
{
    counters stats;
    auto again = decode_frame(encode_frame(f, 0), stats);
    if (!again.has_frame() || again.frame().data != f.data || again.frame().address != f.address)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::span<const std::uint8_t> input(data, size);
    counters stats;

    drain(input, [&](auto bytes) {
        auto r = decode_frame(bytes, stats);
        if (r.has_frame())
            check_round_trip(r.frame());
        return r;
    });
    drain(input, [&](auto bytes) { return decode_reply(bytes, stats); });
    drain(input, [&](auto bytes) { return decode_request(bytes, stats); });
    drain(input, [&](auto bytes) { return decode_valve_request(bytes, stats); });
    drain(input, [&](auto bytes) {
        auto r = decode_valve_reply(bytes, stats);
        if (r.has_frame())
            check_valve_reply(valve_command::open, r.frame(), stats);
        return r;
    });
    check_driver(input);
    return 0;
}
