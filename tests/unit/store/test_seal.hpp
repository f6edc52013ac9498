#pragma once
// A SenML-free seal function for the outbox tests and the crash writer, and
// its decoder, so a test can read back exactly which readings a sealed
// batch contains. Layout (little-endian):
//   magic "TSB1" | lane u8 | sequence u64 | count u32 |
//   per reading: device_id (u16 length + bytes) | ts_ms i64 | clock_trusted u8 |
//                first double value as u64 bits (0 when there is none)

#include "drivers/reading.hpp"
#include "gateway/store/outbox.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace citygate::store::test {

struct sealed_reading {
    std::string device_id;
    std::int64_t ts_ms = 0;
    bool clock_trusted = false;
    double value = 0;
};

struct decoded_batch {
    citygate::lane lane = citygate::lane::telemetry;
    std::uint64_t sequence = 0;
    std::vector<sealed_reading> readings;
};

inline void put_le(std::vector<std::uint8_t>& out, std::uint64_t v, int size)
{
    for (int i = 0; i < size; ++i) {
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
}

inline sealed_prefix test_seal(citygate::lane l, std::uint64_t sequence, std::span<const reading> readings,
                               std::vector<std::uint8_t>& out)
{
    out = {'T', 'S', 'B', '1'};
    out.push_back(static_cast<std::uint8_t>(l));
    put_le(out, sequence, 8);
    put_le(out, readings.size(), 4);
    for (const reading& r : readings) {
        put_le(out, r.device_id.size(), 2);
        out.insert(out.end(), r.device_id.begin(), r.device_id.end());
        put_le(out, static_cast<std::uint64_t>(r.ts_ms), 8);
        out.push_back(r.clock_trusted ? 1 : 0);
        double first = 0;
        if (!r.values.empty() && std::holds_alternative<double>(r.values.front().value)) {
            first = std::get<double>(r.values.front().value);
        }
        put_le(out, std::bit_cast<std::uint64_t>(first), 8);
    }
    return sealed_prefix{readings.size()};
}

// A seal function that takes at most `max` readings per batch, as a sealer
// with a size limit does.
inline seal_function test_seal_at_most(std::size_t max)
{
    return [max](citygate::lane l, std::uint64_t sequence, std::span<const reading> readings,
                 std::vector<std::uint8_t>& out) {
        return test_seal(l, sequence, readings.first(std::min(max, readings.size())), out);
    };
}

// Returns nullopt when `bytes` is not exactly one batch written by test_seal.
inline std::optional<decoded_batch> decode_test_batch(std::span<const std::uint8_t> bytes)
{
    std::size_t pos = 0;
    auto get = [&](int size, std::uint64_t& v) {
        if (bytes.size() - pos < static_cast<std::size_t>(size)) {
            return false;
        }
        v = 0;
        for (int i = 0; i < size; ++i) {
            v |= static_cast<std::uint64_t>(bytes[pos++]) << (8 * i);
        }
        return true;
    };

    decoded_batch batch;
    std::uint64_t magic = 0;
    std::uint64_t lane_value = 0;
    std::uint64_t count = 0;
    if (!get(4, magic) || magic != 0x31425354 || !get(1, lane_value) || lane_value > 1 || !get(8, batch.sequence) ||
        !get(4, count)) {
        return std::nullopt;
    }
    batch.lane = static_cast<citygate::lane>(lane_value);
    for (std::uint64_t i = 0; i < count; ++i) {
        sealed_reading r;
        std::uint64_t size = 0;
        std::uint64_t ts = 0;
        std::uint64_t trusted = 0;
        std::uint64_t bits = 0;
        if (!get(2, size) || bytes.size() - pos < size) {
            return std::nullopt;
        }
        r.device_id.assign(reinterpret_cast<const char*>(bytes.data() + pos), static_cast<std::size_t>(size));
        pos += static_cast<std::size_t>(size);
        if (!get(8, ts) || !get(1, trusted) || !get(8, bits)) {
            return std::nullopt;
        }
        r.ts_ms = static_cast<std::int64_t>(ts);
        r.clock_trusted = trusted != 0;
        r.value = std::bit_cast<double>(bits);
        batch.readings.push_back(std::move(r));
    }
    if (pos != bytes.size()) {
        return std::nullopt;
    }
    return batch;
}

} // namespace citygate::store::test
