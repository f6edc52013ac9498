// The worked vectors of docs/envelope.md and docs/zh-CN/envelope.md. The
// envelope bytes are fixed here, so a change to the envelope layout, the
// SenML encoder or the primitives fails this test, and the test also
// requires that both docs print the same bytes.

#include "gateway/crypto/envelope.hpp"
#include "gateway/senml/senml.hpp"
#include "tests/unit/crypto/envelope_doc_vector.hpp"
#include "tests/unit/crypto/test_hex.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <string>

using namespace citygate;
namespace doc = citygate::test::doc_vector;
using citygate::test::compact_hex;

namespace {

const std::string telemetry_plaintext =
    R"([{"bn":"urn:citygate:changle-gw-01:wm-0001:","bt":1700000000,"n":"volume","u":"m3","v":123.456},{"n":"valve_open","vb":true},{"t":60,"n":"volume","u":"m3","v":123.5},{"bn":"urn:citygate:changle-gw-01:th-0007:","bt":1700000001.25,"n":"temperature","u":"Cel","v":21.5},{"n":"humidity","u":"%RH","v":48},{"n":"clock_trusted","vb":false}])";

const std::string telemetry_envelope =
    "4347010101000000000100000000000003e90000018bcfe65454f0f1f2f3f4f5"
    "f6f7f8f9fafbfcfdfefff625899045e1d6bf5ba11305981502231b1db9e9ae67"
    "3efb2fbfec1ba3eb63a4a720924cd3facba0721b907ac688d83dcfc97fc595c9"
    "4f93482a379d3fd3b14e382b323c3b740c9e633e2799a5f7d81ee48bf3aff50d"
    "208641d271682e8d89a53d70d2635d8688fd459343d7aec9712a8f1ed9f77624"
    "3f6e9ff8faacfdbbf8881719366eb371f56e35825578ebd8dc20fc3cf6922c2c"
    "b13672fcbe6b59ef575f320047a0f29365c0afd07a4890ba1a8041c44a52f782"
    "b8ab84f8e10a196c58acad7bc13807cf3cd8a5e741f893b5640d1183afc55027"
    "ca292af66ea7a96524b0713ea23cfe2f187da0b356d041fe5baa181d7d707fba"
    "a7af7c2c3c2c07de0d272a45a6d8f43f294e78289b2d5527128548441f346386"
    "638602e35bf9185099a0ba853613a56753030e87a933a0687798c2667ea2330a"
    "1ba035812704237f441b0133d8b85326a551be94e846efddec607427452682c8"
    "7ff55ad66a01f4b62e0e474cb591e7ed01acef0fdab0f9bee60e";

const std::string event_plaintext = R"([{"bn":"urn:citygate:changle-gw-01:smoke-0003:","bt":1700000002,"n":"alarm","vb":true},{"n":"state","vs":"fire"}])";

const std::string event_envelope =
    "4347010101010000000100000000000003ea0000018bcfe57034001122334455"
    "66778899aabbccddeeff34a00ceaec68d2733d72bec93fb45909a61e0861e624"
    "1d148b3efc497862732cc9808e7ded9d63973da5f61e984b43d9c859eb6d4c7b"
    "521cb1be2a38ac924e435db8b7335d0ffb4759f57011f16c53871db109953f7e"
    "29aa2ccb34a253b6db9a54a8dd68ff11cad111a69aa8335979ff73de483a852b"
    "568df58dcc4c2c8f63cab4902347f12c5ff19ce821b38a97d50eb76574f4f740"
    "11b4aae4f9a10432af45";

std::vector<std::uint8_t> seal_doc_vector(const crypto::envelope_header& header, std::span<const std::uint8_t, 16> iv,
                                          const std::vector<std::uint8_t>& plaintext) {
    const crypto::key_set keys = doc::key_set();
    std::error_code error;
    auto envelope = crypto::seal_with_iv(*keys.current_key(), header, iv, plaintext, error);
    REQUIRE_FALSE(error);
    return envelope;
}

// The doc text with all whitespace removed, so hex wrapped over several
// lines still matches.
std::string doc_without_whitespace(const char* relative_path) {
    std::ifstream file(std::string(CITYGATE_SOURCE_DIR) + "/" + relative_path);
    REQUIRE_MESSAGE(file.good(), "cannot read ", relative_path);
    std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    text.erase(std::remove_if(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; }),
               text.end());
    return text;
}

std::string without_whitespace(std::string text) {
    text.erase(std::remove_if(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; }),
               text.end());
    return text;
}

} // namespace

TEST_CASE("doc vector telemetry plaintext and envelope") {
    const auto plaintext = senml::encode_json(doc::gateway_id, doc::telemetry_readings());
    CHECK(std::string(plaintext.begin(), plaintext.end()) == telemetry_plaintext);
    CHECK(compact_hex(seal_doc_vector(doc::telemetry_header(), doc::telemetry_iv, plaintext)) == telemetry_envelope);
}

TEST_CASE("doc vector event plaintext and envelope") {
    const auto plaintext = senml::encode_json(doc::gateway_id, doc::event_readings());
    CHECK(std::string(plaintext.begin(), plaintext.end()) == event_plaintext);
    CHECK(compact_hex(seal_doc_vector(doc::event_header(), doc::event_iv, plaintext)) == event_envelope);
}

TEST_CASE("doc vector envelopes open to their plaintext") {
    const crypto::key_set keys = doc::key_set();
    const std::pair<const std::string*, const std::string*> vectors[] = {
        {&telemetry_envelope, &telemetry_plaintext}, {&event_envelope, &event_plaintext}};
    for (const auto& [envelope, plaintext] : vectors) {
        crypto::opened_envelope opened;
        std::error_code error;
        REQUIRE(crypto::open(keys, test::hex(*envelope), opened, error));
        CHECK(std::string(opened.plaintext.begin(), opened.plaintext.end()) == *plaintext);
    }
}

TEST_CASE("doc vector appears in both docs") {
    for (const char* path : {"docs/envelope.md", "docs/zh-CN/envelope.md"}) {
        CAPTURE(path);
        const std::string text = doc_without_whitespace(path);
        CHECK(text.find(telemetry_envelope) != std::string::npos);
        CHECK(text.find(event_envelope) != std::string::npos);
        CHECK(text.find(without_whitespace(telemetry_plaintext)) != std::string::npos);
        CHECK(text.find("0123456789abcdeffedcba9876543210") != std::string::npos);
        CHECK(text.find("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f") != std::string::npos);
    }
}
