// The compact body format of pending readings: round trip, truncation at
// every byte, and the hard limits on every length.

#include "gateway/store/reading_codec.hpp"

#include <doctest/doctest.h>

#include <limits>

using namespace citygate;
using namespace citygate::store;

namespace {

reading sample()
{
    reading r;
    r.device_id = "wm-1";
    r.clock_trusted = false;
    r.values = {{"volume", "m3", 1234.5},
                {"neg", "", -0.0},
                {"big", "", std::numeric_limits<double>::max()},
                {"valve_open", "", true},
                {"battery_low", "", false},
                {"status", "", std::string("valve \"stuck\"")},
                {"empty", "", std::string()}};
    return r;
}

} // namespace

TEST_CASE("reading body round trip keeps every value")
{
    reading in = sample();
    std::vector<std::uint8_t> body;
    REQUIRE(encode_reading_body(in, body));

    reading out;
    REQUIRE(decode_reading_body(body, out));
    CHECK(out.clock_trusted == in.clock_trusted);
    REQUIRE(out.values.size() == in.values.size());
    for (std::size_t i = 0; i < in.values.size(); ++i) {
        CHECK(out.values[i].metric == in.values[i].metric);
        CHECK(out.values[i].unit == in.values[i].unit);
        CHECK(out.values[i].value == in.values[i].value);
    }
}

TEST_CASE("reading body decode reuses a reading with more values")
{
    std::vector<std::uint8_t> body;
    reading small;
    small.values = {{"v", "", 1.0}};
    REQUIRE(encode_reading_body(small, body));

    reading out = sample();
    REQUIRE(decode_reading_body(body, out));
    REQUIRE(out.values.size() == 1);
    CHECK(std::get<double>(out.values[0].value) == 1.0);
    CHECK(out.clock_trusted);
}

TEST_CASE("reading body truncated at every byte is rejected")
{
    std::vector<std::uint8_t> body;
    REQUIRE(encode_reading_body(sample(), body));
    for (std::size_t size = 0; size < body.size(); ++size) {
        reading out;
        INFO("size " << size);
        CHECK_FALSE(decode_reading_body(std::span<const std::uint8_t>(body.data(), size), out));
    }
}

TEST_CASE("reading body with trailing bytes is rejected")
{
    std::vector<std::uint8_t> body;
    REQUIRE(encode_reading_body(sample(), body));
    body.push_back(0);
    reading out;
    CHECK_FALSE(decode_reading_body(body, out));
}

TEST_CASE("reading body with unknown format, flag or kind is rejected")
{
    reading r;
    r.values = {{"v", "", true}};
    std::vector<std::uint8_t> good;
    REQUIRE(encode_reading_body(r, good));
    // Layout: format, flags, count, metric "v", unit "", kind, bool.
    REQUIRE(good.size() == 8);
    reading out;

    auto bad = good;
    bad[0] = 2;
    CHECK_FALSE(decode_reading_body(bad, out));

    bad = good;
    bad[1] = 0x02;
    CHECK_FALSE(decode_reading_body(bad, out));

    bad = good;
    bad[6] = 3;
    CHECK_FALSE(decode_reading_body(bad, out));

    bad = good;
    bad[7] = 2; // a bool other than 0 or 1
    CHECK_FALSE(decode_reading_body(bad, out));
}

TEST_CASE("reading body with oversized lengths is rejected")
{
    reading out;

    // Value count above the limit, as a two-byte varint.
    std::vector<std::uint8_t> many{1, 0, 0x81, 0x08};
    CHECK_FALSE(decode_reading_body(many, out));

    // Metric length above the limit, with no bytes behind it.
    std::vector<std::uint8_t> long_name{1, 0, 1, 0x81, 0x02};
    CHECK_FALSE(decode_reading_body(long_name, out));

    // A varint that never ends.
    std::vector<std::uint8_t> endless{1, 0};
    endless.insert(endless.end(), 11, 0xff);
    CHECK_FALSE(decode_reading_body(endless, out));
}

TEST_CASE("reading body encode rejects fields over the limits")
{
    std::vector<std::uint8_t> body;
    reading r = sample();
    r.device_id.assign(max_device_id_size + 1, 'd');
    CHECK_FALSE(encode_reading_body(r, body));

    r = sample();
    r.values[0].metric = std::string(max_name_size + 1, 'm');
    CHECK_FALSE(encode_reading_body(r, body));

    r = sample();
    r.values[0].unit = std::string(max_name_size + 1, 'u');
    CHECK_FALSE(encode_reading_body(r, body));

    r = sample();
    r.values[5].value = std::string(max_string_value_size + 1, 's');
    CHECK_FALSE(encode_reading_body(r, body));

    r = sample();
    r.values.resize(max_values_per_reading + 1, r.values[0]);
    CHECK_FALSE(encode_reading_body(r, body));

    r = sample();
    r.values.resize(max_values_per_reading, r.values[0]);
    CHECK(encode_reading_body(r, body));
}
