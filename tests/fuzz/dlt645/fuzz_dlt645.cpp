// libFuzzer target for the DL/T 645 codec: framing, reply and request
// decoding (with and without an expected meter address), value decoding,
// and the driver's decode_answer, on arbitrary bytes.

#include "drivers/dlt645/dlt645_driver.hpp"
#include "protocols/dlt645/codec.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

namespace {

using namespace citygate::dlt645;
using citygate::drivers::dlt645_device_codec;

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

// Decodes the input as one receive buffer of each step of a 2007 poll of
// energy and voltage, and of a 1997 voltage poll.
void check_driver(std::span<const std::uint8_t> input)
{
    static const dlt645_device_codec energy(*parse_address("000000000161"), edition::v2007,
                                            {find_quantity("energy_import"), find_quantity("voltage_a")});
    static const dlt645_device_codec voltage(*parse_address("000000000001"), edition::v1997,
                                             {find_quantity("voltage_a")});

    for (const auto* codec : {&energy, &voltage}) {
        for (std::size_t step = 0; step < codec->poll_steps(); ++step) {
            auto result = codec->decode_answer(step, input);
            if (result.consumed() > input.size())
                std::abort();
            if (!result.needs_more() && !result.has_frame() && !result.failed())
                std::abort();
        }
    }
}

void check_round_trip(const frame& f)
{
    counters stats;
    auto again = decode_frame(encode_frame(f, 0), stats);
    if (!again.has_frame() || again.frame().data != f.data || again.frame().address != f.address ||
        again.frame().control != f.control)
        std::abort();
}

void check_reading(const reply& r)
{
    double value = 0;
    const quantity* which = nullptr;
    auto ec = decode_reading(r, value, which);
    if (!ec && which == nullptr)
        std::abort();
}

// Decodes replies that must come from the address of the input's first
// valid frame, so both the matching and the mismatching paths run.
void check_reply_from(std::span<const std::uint8_t> input)
{
    counters stats;
    auto first = decode_frame(input, stats);
    const address expected = first.has_frame() ? first.frame().address : *parse_address("000000000161");

    drain(input, [&](auto bytes) {
        auto r = decode_reply_from(&expected, bytes, stats);
        if (r.has_frame() && r.frame().link.address != expected)
            std::abort();
        return r;
    });
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
    drain(input, [&](auto bytes) {
        auto r = decode_reply(bytes, stats);
        if (r.has_frame())
            check_reading(r.frame());
        return r;
    });
    drain(input, [&](auto bytes) { return decode_request(bytes, stats); });
    check_reply_from(input);
    check_driver(input);
    return 0;
}
