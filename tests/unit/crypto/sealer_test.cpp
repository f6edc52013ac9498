// The daemon's seal callback: readings in, an envelope that crypto::open and
// senml::decode_json turn back into the same readings.

#include "gateway/crypto/envelope.hpp"
#include "gateway/daemon/sealer.hpp"
#include "gateway/senml/senml.hpp"
#include "tests/unit/crypto/envelope_doc_vector.hpp"

#include <doctest/doctest.h>

using namespace citygate;
namespace doc = citygate::test::doc_vector;

namespace {

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
                                          counters);

    const auto readings = doc::telemetry_readings();
    std::vector<std::uint8_t> envelope;
    REQUIRE(seal(lane::telemetry, 42, readings, envelope));
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
    const auto seal = daemon::make_sealer("gw", keys, [] { return std::int64_t{5}; }, counters);

    std::vector<std::uint8_t> envelope;
    REQUIRE(seal(lane::event, 7, doc::event_readings(), envelope));
    const auto opened = open_ok(keys, envelope);
    CHECK(opened.header.flags == 1);
    CHECK(opened.header.sequence == 7);

    std::vector<senml::resolved_record> records;
    std::string error;
    REQUIRE(senml::decode_json(opened.plaintext, records, error));
    REQUIRE(records.size() == 2);
    CHECK(records[0].name == "urn:citygate:gw:smoke-0003:alarm");
    CHECK(std::get<std::string>(records[1].value) == "fire");
}

TEST_CASE("sealer follows a reloaded key set") {
    crypto::key_set keys = doc::key_set();
    daemon::seal_counters counters;
    const auto seal = daemon::make_sealer("gw", keys, [] { return std::int64_t{5}; }, counters);

    crypto::key second = keys.keys[0];
    second.id = 9;
    second.enc_key[0] ^= 0x5a;
    keys.keys.push_back(second);
    keys.current = 9;

    std::vector<std::uint8_t> envelope;
    REQUIRE(seal(lane::telemetry, 1, doc::telemetry_readings(), envelope));
    CHECK(open_ok(keys, envelope).header.key_id == 9);
}

TEST_CASE("sealer without a current key fails and counts") {
    crypto::key_set keys = doc::key_set();
    keys.current = 3; // names no listed key
    daemon::seal_counters counters;
    const auto seal = daemon::make_sealer("gw", keys, [] { return std::int64_t{5}; }, counters);

    std::vector<std::uint8_t> envelope = {0xaa};
    CHECK_FALSE(seal(lane::telemetry, 1, doc::telemetry_readings(), envelope));
    CHECK(envelope.empty());
    CHECK_FALSE(seal(lane::telemetry, 1, doc::telemetry_readings(), envelope));
    CHECK(counters.failures == 2);
    CHECK(counters.sealed == 0);
}
