// SenML CBOR encoder and decoder.
//
// The RFC 8428 example is ex3 in CBOR, file ex3.gen.cbor.hex of the
// specification's working repository core-wg/senml-spec (snapshot
// aced339e9aafd7675024e5c6c46a19d564506e90), the example RFC 8428 section 6
// shows. The LwM2M packs are Tables 7.4.4-2 and 7.4.4-5 of
// OMA-TS-LightweightM2M_Core-V1_1-20180710-A, as kept in
// eclipse-wakaama/wakaama tests/data_senml_cbor_tests.c (snapshot
// f91cfe0e0943e67f3b8701880ca925d2d893c88a).

#include "gateway/senml/senml.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

using namespace citygate;
using senml::resolved_record;

namespace {

// Spaces in `hex` only separate items for the reader.
std::vector<std::uint8_t> from_hex(std::string_view spaced) {
    std::string hex(spaced);
    std::erase(hex, ' ');
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

std::vector<resolved_record> decode_ok(const std::vector<std::uint8_t>& pack) {
    std::vector<resolved_record> out;
    std::string error;
    CHECK_MESSAGE(senml::decode_cbor(pack, out, error), error);
    return out;
}

std::string decode_error(const std::vector<std::uint8_t>& pack) {
    std::vector<resolved_record> out;
    std::string error;
    CHECK_FALSE(senml::decode_cbor(pack, out, error));
    CHECK_FALSE(error.empty());
    return error;
}

double number(const resolved_record& r) { return std::get<double>(r.value); }

reading make_reading(std::string device, std::int64_t ts_ms, std::vector<metric_value> values) {
    reading r;
    r.device_id = std::move(device);
    r.ts_ms = ts_ms;
    r.values = std::move(values);
    return r;
}

constexpr std::string_view rfc8428_ex3 =
    "87a721781b75726e3a6465763a6f773a3130653230373361303130383030363a22fb41d303a15b00106223614120050067766f6c74616765"
    "01615602fb405e066666666666a3006763757272656e74062402fb3ff3333333333333a3006763757272656e74062302fb3ff4cccccccccc"
    "cda3006763757272656e74062202fb3ff6666666666666a3006763757272656e74062102f93e00a3006763757272656e74062002fb3ff999"
    "999999999aa3006763757272656e74060002fb3ffb333333333333";

} // namespace

TEST_CASE("cbor decode RFC 8428 example 3") {
    const auto records = decode_ok(from_hex(rfc8428_ex3));
    REQUIRE(records.size() == 7);
    CHECK(records[0].name == "urn:dev:ow:10e2073a0108006:voltage");
    CHECK(records[0].unit == "V");
    CHECK(number(records[0]) == 120.1);
    CHECK(records[0].time_s == doctest::Approx(1276020076.001).epsilon(1e-12));

    // 1.5 is a half-precision float, the others are doubles.
    const double currents[] = {1.2, 1.3, 1.4, 1.5, 1.6, 1.7};
    const double times[] = {1276020071.001, 1276020072.001, 1276020073.001,
                            1276020074.001, 1276020075.001, 1276020076.001};
    for (std::size_t i = 0; i < 6; ++i) {
        CAPTURE(i);
        const resolved_record& r = records[i + 1];
        CHECK(r.name == "urn:dev:ow:10e2073a0108006:current");
        CHECK(r.unit == "A");
        CHECK(number(r) == currents[i]);
        CHECK(r.time_s == doctest::Approx(times[i]).epsilon(1e-12));
    }
}

// As in the JSON decoder, LwM2M object paths are not valid resolved names.
TEST_CASE("cbor decode rejects LwM2M path names") {
    const auto single = from_hex("81a221662f332f302f3003744f70656e204d6f62696c6520416c6c69616e6365");
    const std::string error = decode_error(single);
    CHECK_MESSAGE(error.find("invalid resolved name \"/3/0/0\"") != std::string::npos, error);
}

TEST_CASE("cbor encode one reading") {
    const reading r = make_reading("d", 1'700'000'000'000, {{"t", "Cel", 21.5}, {"n2", "", 3.0}});
    const auto pack = senml::encode_cbor("gw", std::span(&r, 1));
    // [{-2: "urn:citygate:gw:d:", -3: 1700000000, 0: "t", 1: "Cel", 2: 21.5}, {0: "n2", 2: 3}]
    CHECK(pack == from_hex("82a5217275726e3a63697479676174653a67773a643a221a6553f100006174016343656c02fa41ac0000"
                           "a200626e320203"));
}

TEST_CASE("cbor encode numbers in narrowest form") {
    const auto value_bytes = [](double v) {
        const reading r = make_reading("d", 0, {{"x", "", v}});
        const auto pack = senml::encode_cbor("g", std::span(&r, 1));
        // The value is the last item of the only record, after the label 0x02.
        const auto label = std::find(pack.rbegin(), pack.rend(), 0x02);
        return std::vector<std::uint8_t>(label.base(), pack.end());
    };
    CHECK(value_bytes(3) == from_hex("03"));
    CHECK(value_bytes(-4) == from_hex("23"));
    CHECK(value_bytes(65535) == from_hex("19ffff"));
    CHECK(value_bytes(21.5) == from_hex("fa41ac0000"));
    CHECK(value_bytes(0.1) == from_hex("fb3fb999999999999a"));
    CHECK(value_bytes(-0.0) == from_hex("fa80000000"));
}

TEST_CASE("cbor encode empty input") {
    CHECK(senml::encode_cbor("gw", {}) == from_hex("80"));
}

TEST_CASE("cbor round trip keeps records") {
    std::vector<reading> readings;
    readings.push_back(make_reading("m1", 1'700'000'000'123, {{"volume", "m3", 1234.567}, {"valve", "", std::string("open")}}));
    readings.push_back(make_reading("m1", 1'700'000'001'123, {{"low_battery", "", true}, {"flow", "m3/h", -0.25}}));
    readings.push_back(make_reading("m2", 1'700'000'000'000, {{"count", "", 9007199254740993.0}}));
    readings.back().clock_trusted = false;

    const auto from_cbor = decode_ok(senml::encode_cbor("gw-1", readings));
    std::vector<resolved_record> from_json;
    std::string error;
    REQUIRE(senml::decode_json(senml::encode_json("gw-1", readings), from_json, error));

    REQUIRE(from_cbor.size() == 6);
    REQUIRE(from_cbor.size() == from_json.size());
    for (std::size_t i = 0; i < from_cbor.size(); ++i) {
        CAPTURE(i);
        CHECK(from_cbor[i].name == from_json[i].name);
        CHECK(from_cbor[i].unit == from_json[i].unit);
        CHECK(from_cbor[i].time_s == from_json[i].time_s);
        CHECK(from_cbor[i].value == from_json[i].value);
    }
    CHECK(from_cbor[2].time_s == 1'700'000'001.123);
    CHECK(from_cbor[5].name == "urn:citygate:gw-1:m2:clock_trusted");
}

TEST_CASE("cbor encode prefix stops at the limit") {
    std::vector<reading> readings;
    for (int i = 0; i < 10; ++i)
        readings.push_back(make_reading("plc-" + std::to_string(i), 1'700'000'000'000, {{"a", "", 1.5}, {"b", "", 2.0}}));
    const std::size_t full = senml::encode_cbor("gw", readings).size();

    std::vector<std::uint8_t> out;
    const std::size_t encoded = senml::encode_cbor_prefix("gw", readings, full / 2, out);
    CHECK(encoded > 0);
    CHECK(encoded < readings.size());
    CHECK(out.size() <= full / 2);
    CHECK(out == senml::encode_cbor("gw", std::span(readings).first(encoded)));
    CHECK(decode_ok(out).size() == encoded * 2);

    // The first reading is encoded even when it alone is over the limit.
    CHECK(senml::encode_cbor_prefix("gw", readings, 4, out) == 1);
    CHECK(decode_ok(out).size() == 2);
}

TEST_CASE("cbor encode replaces invalid UTF-8") {
    const reading r = make_reading("d", 0, {{"label", "", std::string("ok\xff\xc3(")}});
    const auto records = decode_ok(senml::encode_cbor("gw", std::span(&r, 1)));
    REQUIRE(records.size() == 1);
    CHECK(std::get<interned_string>(records[0].value) == "ok\xEF\xBF\xBD\xEF\xBF\xBD(");
}

TEST_CASE("cbor decode truncated pack at every byte") {
    const auto pack = from_hex(rfc8428_ex3);
    for (std::size_t length = 0; length < pack.size(); ++length) {
        CAPTURE(length);
        std::vector<resolved_record> out;
        std::string error;
        CHECK_FALSE(senml::decode_cbor(std::span(pack).first(length), out, error));
        CHECK(error == "pack is truncated");
    }
}

TEST_CASE("cbor decode indefinite lengths") {
    // [_ {_ -2: "d:", 0: "a", 2: 1}, {0: "b", 4: true}]
    const auto records = decode_ok(from_hex("9fbf2162643a006161020 1ffa200616204f5ff"));
    REQUIRE(records.size() == 2);
    CHECK(records[0].name == "d:a");
    CHECK(number(records[0]) == 1);
    CHECK(records[1].name == "d:b");
    CHECK(std::get<bool>(records[1].value));
}

TEST_CASE("cbor decode vd byte string as base64url") {
    // [{0: "d", 8: h'fbff'}]
    const auto records = decode_ok(from_hex("81a2006164084 2fbff"));
    REQUIRE(records.size() == 1);
    CHECK(records[0].data_value);
    CHECK(std::get<interned_string>(records[0].value) == "-_8");
}

TEST_CASE("cbor decode rejects malformed packs") {
    struct bad_pack {
        const char* hex;
        const char* reason;
    };
    const bad_pack cases[] = {
        {"a0", "pack is not a CBOR array"},
        {"8101", "record 0 is not a CBOR map"},
        {"81a1410002", "record 0 has a label that is neither an integer nor a text string"},
        {"81a2006161 0280", "record 0 field \"v\" is an array or map, which SenML does not use"},
        {"81a20061610 2c101", "pack has a CBOR tag or a chunked string, which SenML packs do not use"},
        {"8000", "pack ends after 1 of 2 bytes"},
        {"81a2006161 0362ff41", "record 0 field \"vs\" is not valid UTF-8"},
        {"81a200616102ff", "pack is not valid CBOR"},
        {"81a2006161 0261 78", "record 0 field \"v\" is not a number"},
        {"81a1006161", "record 0 has neither a value nor a sum"},
        {"9bffffffffffffffff", "pack is truncated"},
        {"81a20061610 2f7", "record 0 field \"v\" is not a number"},
        {"1c", "pack is not valid CBOR"},
    };
    for (const bad_pack& c : cases) {
        CAPTURE(c.hex);
        CHECK(decode_error(from_hex(c.hex)) == c.reason);
    }
}

TEST_CASE("cbor decode rejects a pack over the size limit") {
    std::vector<std::uint8_t> pack(senml::max_pack_size + 1, 0x80);
    CHECK(decode_error(pack).find("larger than") != std::string::npos);
}

TEST_CASE("cbor decode keeps output unchanged on failure") {
    std::vector<resolved_record> out(1);
    out[0].name = "kept";
    std::string error;
    CHECK_FALSE(senml::decode_cbor(from_hex("81a1006161"), out, error));
    REQUIRE(out.size() == 1);
    CHECK(out[0].name == "kept");
}
