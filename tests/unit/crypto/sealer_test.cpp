// The daemon's seal callback: readings in, an envelope that crypto::open and
// senml::decode_json or senml::decode_cbor turn back into the same readings.

#include "gateway/crypto/envelope.hpp"
#include "gateway/daemon/sealer.hpp"
#include "gateway/senml/senml.hpp"
#include "tests/unit/crypto/envelope_doc_vector.hpp"

#include <doctest/doctest.h>

using namespace citygate;
namespace doc = citygate::test::doc_vector;

namespace {

constexpr std::size_t any_size = senml::max_pack_size;
constexpr auto json = crypto::content_type::senml_json;
constexpr auto cbor = crypto::content_type::senml_cbor;

// Readings with `values` metrics each, so that a few fill a small pack.
std::vector<reading> wide_readings(std::size_t count, std::size_t values) {
    std::vector<reading> readings(count);
    for (std::size_t i = 0; i < count; ++i) {
        readings[i].device_id = "plc-" + std::to_string(i);
        readings[i].ts_ms = 1'700'000'000'000 + static_cast<std::int64_t>(i);
        for (std::size_t v = 0; v < values; ++v)
            readings[i].values.push_back(metric_value{"r" + std::to_string(v), "", static_cast<double>(v) + 0.5});
    }
    return readings;
}

crypto::opened_envelope open_ok(const crypto::key_set& keys, const std::vector<std::uint8_t>& envelope) {
    crypto::opened_envelope opened;
    std::error_code error;
    CHECK_MESSAGE(crypto::open(keys, envelope, opened, error), error.message());
    return opened;
}

} // namespace

TEST_CASE("sealer telemetry batch opens to its readings") {
    const crypto::key_set keys = doc::key_set();
    daemon::seal_counters counters;
    const auto seal = daemon::make_sealer(std::string(doc::gateway_id), keys, [] { return 1'700'000'060'500; },
                                          counters, any_size, json);

    const auto readings = doc::telemetry_readings();
    std::vector<std::uint8_t> envelope;
    REQUIRE(seal(lane::telemetry, 42, readings, envelope).readings == readings.size());
    CHECK(counters.sealed == 1);
    CHECK(counters.failures == 0);

    const auto opened = open_ok(keys, envelope);
    CHECK(opened.header.flags == 0);
    CHECK(opened.header.key_id == 1);
    CHECK(opened.header.sequence == 42);
    CHECK(opened.header.sealed_at_ms == 1'700'000'060'500);
    CHECK(opened.header.content == crypto::content_type::senml_json);
    CHECK(opened.plaintext == senml::encode_json(doc::gateway_id, readings));
}

TEST_CASE("sealer sets the event flag for the event lane") {
    const crypto::key_set keys = doc::key_set();
    daemon::seal_counters counters;
    const auto seal = daemon::make_sealer("gw", keys, [] { return std::int64_t{5}; }, counters, any_size, json);

    std::vector<std::uint8_t> envelope;
    REQUIRE(seal(lane::event, 7, doc::event_readings(), envelope).readings == doc::event_readings().size());
    const auto opened = open_ok(keys, envelope);
    CHECK(opened.header.flags == 1);
    CHECK(opened.header.sequence == 7);

    std::vector<senml::resolved_record> records;
    std::string error;
    REQUIRE(senml::decode_json(opened.plaintext, records, error));
    REQUIRE(records.size() == 2);
    CHECK(records[0].name == "urn:citygate:gw:smoke-0003:alarm");
    CHECK(std::get<interned_string>(records[1].value) == "fire");
}

TEST_CASE("sealer follows a reloaded key set") {
    crypto::key_set keys = doc::key_set();
    daemon::seal_counters counters;
    const auto seal = daemon::make_sealer("gw", keys, [] { return std::int64_t{5}; }, counters, any_size, json);

    crypto::key second = keys.keys[0];
    second.id = 9;
    second.enc_key[0] ^= 0x5a;
    keys.keys.push_back(second);
    keys.current = 9;

    std::vector<std::uint8_t> envelope;
    REQUIRE(seal(lane::telemetry, 1, doc::telemetry_readings(), envelope).readings > 0);
    CHECK(open_ok(keys, envelope).header.key_id == 9);
}

TEST_CASE("sealer without a current key fails and counts") {
    crypto::key_set keys = doc::key_set();
    keys.current = 3; // names no listed key
    daemon::seal_counters counters;
    const auto seal = daemon::make_sealer("gw", keys, [] { return std::int64_t{5}; }, counters, any_size, json);

    std::vector<std::uint8_t> envelope = {0xaa};
    CHECK(seal(lane::telemetry, 1, doc::telemetry_readings(), envelope).readings == 0);
    CHECK(envelope.empty());
    CHECK(seal(lane::telemetry, 1, doc::telemetry_readings(), envelope).readings == 0);
    CHECK(counters.failures == 2);
    CHECK(counters.sealed == 0);
}

TEST_CASE("sealer stops at the pack size limit") {
    const crypto::key_set keys = doc::key_set();
    daemon::seal_counters counters;
    const std::size_t limit = 4096;
    const auto seal = daemon::make_sealer("gw", keys, [] { return std::int64_t{5}; }, counters, limit, json);

    const auto readings = wide_readings(20, 30);
    std::vector<std::uint8_t> envelope;
    const std::size_t sealed = seal(lane::telemetry, 1, readings, envelope).readings;
    REQUIRE(sealed > 0);
    REQUIRE(sealed < readings.size());

    const auto opened = open_ok(keys, envelope);
    CHECK(opened.plaintext.size() <= limit);
    CHECK(opened.plaintext == senml::encode_json("gw", std::span(readings).first(sealed)));
    // The next reading would not have fitted.
    CHECK(senml::encode_json("gw", std::span(readings).first(sealed + 1)).size() > limit);
}

TEST_CASE("sealer seals an oversized reading alone") {
    const crypto::key_set keys = doc::key_set();
    daemon::seal_counters counters;
    const auto seal = daemon::make_sealer("gw", keys, [] { return std::int64_t{5}; }, counters, 1024, json);

    const auto readings = wide_readings(3, 125);
    std::vector<std::uint8_t> envelope;
    REQUIRE(seal(lane::telemetry, 1, readings, envelope).readings == 1);
    const auto opened = open_ok(keys, envelope);
    CHECK(opened.plaintext == senml::encode_json("gw", std::span(readings).first(1)));
}

TEST_CASE("sealer writes CBOR packs") {
    const crypto::key_set keys = doc::key_set();
    daemon::seal_counters counters;
    const auto seal = daemon::make_sealer("gw", keys, [] { return std::int64_t{5}; }, counters, any_size, cbor);

    const auto readings = doc::telemetry_readings();
    std::vector<std::uint8_t> envelope;
    REQUIRE(seal(lane::telemetry, 3, readings, envelope).readings == readings.size());
    const auto opened = open_ok(keys, envelope);
    CHECK(opened.header.content == crypto::content_type::senml_cbor);
    CHECK(opened.plaintext == senml::encode_cbor("gw", readings));

    std::vector<senml::resolved_record> from_cbor;
    std::vector<senml::resolved_record> from_json;
    std::string error;
    REQUIRE_MESSAGE(senml::decode_cbor(opened.plaintext, from_cbor, error), error);
    REQUIRE(senml::decode_json(senml::encode_json("gw", readings), from_json, error));
    REQUIRE(from_cbor.size() == from_json.size());
    for (std::size_t i = 0; i < from_cbor.size(); ++i) {
        CHECK(from_cbor[i].name == from_json[i].name);
        CHECK(from_cbor[i].unit == from_json[i].unit);
        CHECK(from_cbor[i].time_s == from_json[i].time_s);
        CHECK(from_cbor[i].value == from_json[i].value);
    }
}

TEST_CASE("sealer stops at the CBOR size limit") {
    const crypto::key_set keys = doc::key_set();
    daemon::seal_counters counters;
    const std::size_t limit = 2048;
    const auto seal = daemon::make_sealer("gw", keys, [] { return std::int64_t{5}; }, counters, limit, cbor);

    const auto readings = wide_readings(20, 30);
    std::vector<std::uint8_t> envelope;
    const std::size_t sealed = seal(lane::telemetry, 1, readings, envelope).readings;
    REQUIRE(sealed > 0);
    REQUIRE(sealed < readings.size());

    const auto opened = open_ok(keys, envelope);
    CHECK(opened.plaintext.size() <= limit);
    CHECK(opened.plaintext == senml::encode_cbor("gw", std::span(readings).first(sealed)));
    CHECK(senml::encode_cbor("gw", std::span(readings).first(sealed + 1)).size() > limit);
}
