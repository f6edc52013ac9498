// libFuzzer target for the modbus-tcp driver's decode path: replies to the polls of
// every block of a register map with every point type, with late replies
// and replies of other units skipped inside the buffer, and the confirmation
// of a write command. Beyond the codec target, it covers the skip loop and
// the mapping of decoded blocks to metrics.

#include "drivers/modbus/modbus_driver.hpp"

#include <cstdlib>

using namespace citygate;
using namespace citygate::drivers;

namespace {

// Unit 0x11, so the first transaction id is 0x1100 (the driver starts at unit << 8).
std::unique_ptr<modbus_device_codec> make_codec()
{
    std::error_code error;
    auto codec = modbus_tcp_driver().make_codec(
        {"fuzz", "17",
         {{"point.ratio", "holding 0x6B f32 order=CDAB"},
          {"point.count", "holding 0x6D u16 scale=0.5"},
          {"point.energy", "holding 0x70 u64 order=DCBA"},
          {"point.mode", "holding 0x74 bits bit=3 bits=9"},
          {"point.alarm", "holding 0x75 bool bit=15"},
          {"point.level", "input 0 i32 order=BADC offset=-10"},
          {"point.lamp", "coil 0x13 bool"},
          {"point.door", "discrete 0x20 bool"}}},
        error);
    if (error || !codec)
        std::abort();
    return std::unique_ptr<modbus_device_codec>(static_cast<modbus_device_codec*>(codec.release()));
}

template <typename Result>
void check_result(const Result& r, std::size_t size)
{
    if (r.consumed() > size)
        std::abort();
    if (r.has_frame() && r.consumed() == 0)
        std::abort();
    if (r.failed() && (r.has_frame() || r.needs_more()))
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::span<const std::uint8_t> input(data, size);
    auto codec = make_codec();

    for (std::size_t step = 0; step < codec->poll_steps(); ++step) {
        codec->encode_poll(step);
        auto r = codec->decode_answer(step, input);
        check_result(r, size);
        if (r.has_frame()) {
            const auto& block = codec->blocks()[step];
            if (r.frame().values.size() != block.points.size())
                std::abort();
        }
    }

    exchange write;
    if (codec->encode_command("count", "21", write) || !write.decode)
        std::abort();
    auto confirmed = write.decode(input);
    check_result(confirmed, size);
    if (confirmed.has_frame() && confirmed.frame().values.size() != 1)
        std::abort();
    return 0;
}
