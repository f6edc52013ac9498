// Envelope of the uplink contract: round trips, the fixed-IV vector and
// every way a receiver must reject tampered or malformed bytes.

#include "gateway/crypto/envelope.hpp"
#include "gateway/crypto/sm_primitives.hpp"
#include "tests/unit/crypto/envelope_doc_vector.hpp"
#include "tests/unit/crypto/test_hex.hpp"

#include <doctest/doctest.h>

#include <array>
#include <set>
#include <string>

using namespace citygate;
using crypto::envelope_error;
using citygate::test::ascii;
namespace sm = citygate::crypto::sm;
namespace doc = citygate::test::doc_vector;

namespace {

std::vector<std::uint8_t> sealed_sample(const crypto::key_set& keys, std::size_t plaintext_size = 40) {
    std::vector<std::uint8_t> plaintext(plaintext_size);
    for (std::size_t i = 0; i < plaintext.size(); ++i)
        plaintext[i] = static_cast<std::uint8_t>('a' + i % 26);
    std::error_code error;
    auto envelope = crypto::seal_with_iv(*keys.current_key(), doc::telemetry_header(), doc::telemetry_iv, plaintext,
                                         error);
    REQUIRE_FALSE(error);
    return envelope;
}

std::error_code open_error(const crypto::key_set& keys, std::span<const std::uint8_t> bytes) {
    crypto::opened_envelope out;
    std::error_code error;
    const bool ok = crypto::open(keys, bytes, out, error);
    CHECK(ok == !error);
    return error;
}

// Builds an envelope around `ciphertext` with a valid tag, as a sender that
// holds the keys but pads wrongly would.
std::vector<std::uint8_t> envelope_around(const crypto::key& k, std::span<const std::uint8_t> ciphertext) {
    std::vector<std::uint8_t> bytes = {0x43, 0x47, 1, 1, 1, 0, 0, 0, 0, static_cast<std::uint8_t>(k.id)};
    bytes.resize(26, 0x00);
    bytes.insert(bytes.end(), doc::telemetry_iv.begin(), doc::telemetry_iv.end());
    bytes.insert(bytes.end(), ciphertext.begin(), ciphertext.end());
    sm::sm3_digest tag{};
    REQUIRE(sm::hmac_sm3(k.mac_key, bytes, tag));
    bytes.insert(bytes.end(), tag.begin(), tag.end());
    return bytes;
}

crypto::key_set two_keys() {
    crypto::key_set keys = doc::key_set();
    crypto::key second = keys.keys[0];
    second.id = 2;
    second.enc_key[0] ^= 0xff;
    second.mac_key[0] ^= 0xff;
    keys.keys.push_back(second);
    return keys;
}

} // namespace

TEST_CASE("envelope round trip keeps header and plaintext") {
    const auto keys = doc::key_set();
    const auto plaintext = ascii(R"([{"bn":"urn:citygate:gw:dev:","n":"x","v":1}])");
    crypto::envelope_header header;
    header.content = crypto::content_type::senml_cbor;
    header.flags = 1;
    header.key_id = 99; // ignored: the key's own id is written
    header.sequence = 0x0102030405060708;
    header.sealed_at_ms = -5;

    std::error_code error;
    const auto envelope = crypto::seal(keys, header, plaintext, error);
    REQUIRE_FALSE(error);
    CHECK(envelope.size() == crypto::envelope_header_size + 48 + crypto::envelope_tag_size);

    crypto::opened_envelope out;
    REQUIRE(crypto::open(keys, envelope, out, error));
    CHECK_FALSE(error);
    CHECK(out.plaintext == plaintext);
    CHECK(out.header.version == 1);
    CHECK(out.header.suite == 1);
    CHECK(out.header.content == crypto::content_type::senml_cbor);
    CHECK(out.header.flags == 1);
    CHECK(out.header.key_id == 1);
    CHECK(out.header.sequence == 0x0102030405060708);
    CHECK(out.header.sealed_at_ms == -5);
}

TEST_CASE("envelope sealed_at past 2038 round trips") {
    // 2040-01-01 and 2100-01-01 00:00:00 UTC: sealed_at is a signed 64-bit
    // count of milliseconds on the wire, whatever the width of time_t.
    const auto keys = doc::key_set();
    const auto plaintext = ascii("[]");
    const std::array<std::pair<std::int64_t, const char*>, 2> cases = {{
        {2208988800000, "0000020251fe2400"},
        {4102444800000, "000003bb2cc3d800"},
    }};
    for (const auto& [sealed_at_ms, wire_hex] : cases) {
        CAPTURE(sealed_at_ms);
        crypto::envelope_header header;
        header.sequence = 7;
        header.sealed_at_ms = sealed_at_ms;

        std::error_code error;
        const auto envelope = crypto::seal(keys, header, plaintext, error);
        REQUIRE_FALSE(error);
        const std::vector<std::uint8_t> sealed_at_bytes(envelope.begin() + 18, envelope.begin() + 26);
        CHECK(test::compact_hex(sealed_at_bytes) == wire_hex);

        crypto::opened_envelope out;
        REQUIRE(crypto::open(keys, envelope, out, error));
        CHECK(out.header.sealed_at_ms == sealed_at_ms);
        CHECK(out.plaintext == plaintext);
    }
}

TEST_CASE("envelope header bytes are big-endian at contract offsets") {
    const auto envelope = sealed_sample(doc::key_set());
    const std::vector<std::uint8_t> header(envelope.begin(), envelope.begin() + 42);
    // sequence 1001 = 0x3e9, sealed_at 1700000060500 = 0x18bcfe65454
    CHECK(test::compact_hex(header) ==
          "4347010101000000000100000000000003e9"
          "0000018bcfe65454"
          "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
}

TEST_CASE("envelope seal uses a fresh IV each time") {
    const auto keys = doc::key_set();
    const auto plaintext = ascii("same plaintext");
    std::error_code error;
    const auto first = crypto::seal(keys, doc::telemetry_header(), plaintext, error);
    const auto second = crypto::seal(keys, doc::telemetry_header(), plaintext, error);
    REQUIRE_FALSE(error);
    CHECK(std::vector(first.begin() + 26, first.begin() + 42) != std::vector(second.begin() + 26, second.begin() + 42));
    CHECK(first != second);
}

TEST_CASE("envelope with empty plaintext is one padding block") {
    const auto keys = doc::key_set();
    const auto envelope = sealed_sample(keys, 0);
    CHECK(envelope.size() == crypto::envelope_min_size);
    crypto::opened_envelope out;
    std::error_code error;
    REQUIRE(crypto::open(keys, envelope, out, error));
    CHECK(out.plaintext.empty());
}

TEST_CASE("envelope seal rejects headers it could not open") {
    const auto keys = doc::key_set();
    std::error_code error;

    crypto::envelope_header bad_version = doc::telemetry_header();
    bad_version.version = 2;
    CHECK(crypto::seal(keys, bad_version, {}, error).empty());
    CHECK(error == envelope_error::unsupported_version);

    crypto::envelope_header bad_suite = doc::telemetry_header();
    bad_suite.suite = 0;
    CHECK(crypto::seal(keys, bad_suite, {}, error).empty());
    CHECK(error == envelope_error::unsupported_suite);

    crypto::envelope_header bad_content = doc::telemetry_header();
    bad_content.content = static_cast<crypto::content_type>(3);
    CHECK(crypto::seal(keys, bad_content, {}, error).empty());
    CHECK(error == envelope_error::unsupported_content_type);

    crypto::envelope_header bad_flags = doc::telemetry_header();
    bad_flags.flags = 0x02;
    CHECK(crypto::seal(keys, bad_flags, {}, error).empty());
    CHECK(error == envelope_error::unknown_flags);
}

TEST_CASE("envelope seal without a current key") {
    crypto::key_set keys = doc::key_set();
    keys.current = 5;
    std::error_code error;
    CHECK(crypto::seal(keys, doc::telemetry_header(), ascii("x"), error).empty());
    CHECK(error == envelope_error::unknown_key_id);
}

TEST_CASE("envelope seal rejects plaintext over the size limit") {
    const auto keys = doc::key_set();
    // Header, tag and one padding block leave this much room below 4 MiB.
    const std::size_t largest = crypto::envelope_max_size - 42 - 32 - 16 - 10;
    std::vector<std::uint8_t> plaintext(largest, 0x20);
    std::error_code error;
    CHECK_FALSE(crypto::seal(keys, doc::telemetry_header(), plaintext, error).empty());
    CHECK_FALSE(error);

    plaintext.resize(crypto::envelope_max_size);
    CHECK(crypto::seal(keys, doc::telemetry_header(), plaintext, error).empty());
    CHECK(error == envelope_error::too_long);
}

TEST_CASE("envelope open rejects input over the size limit unread") {
    std::vector<std::uint8_t> bytes(crypto::envelope_max_size + 1, 0x00);
    CHECK(open_error(doc::key_set(), bytes) == envelope_error::too_long);
}

TEST_CASE("envelope open rejects each header field") {
    const auto keys = doc::key_set();
    const auto good = sealed_sample(keys);
    REQUIRE_FALSE(open_error(keys, good));

    struct tamper {
        const char* field;
        std::size_t offset;
        std::uint8_t value;
        envelope_error expected;
    };
    const tamper cases[] = {
        {"magic byte 0", 0, 0x44, envelope_error::bad_magic},
        {"magic byte 1", 1, 0x00, envelope_error::bad_magic},
        {"version 0", 2, 0, envelope_error::unsupported_version},
        {"version 2", 2, 2, envelope_error::unsupported_version},
        {"suite 0", 3, 0, envelope_error::unsupported_suite},
        {"suite 2", 3, 2, envelope_error::unsupported_suite},
        {"content type 0", 4, 0, envelope_error::unsupported_content_type},
        {"content type 3", 4, 3, envelope_error::unsupported_content_type},
        {"content type switched to CBOR", 4, 2, envelope_error::bad_tag},
        {"event lane flag set", 5, 1, envelope_error::bad_tag},
        {"key id unknown", 9, 9, envelope_error::unknown_key_id},
        {"key id high byte", 6, 1, envelope_error::unknown_key_id},
    };
    for (const tamper& t : cases) {
        CAPTURE(t.field);
        auto bytes = good;
        bytes[t.offset] = t.value;
        CHECK(open_error(keys, bytes) == t.expected);
    }
}

TEST_CASE("envelope open rejects every unknown flag bit") {
    const auto keys = doc::key_set();
    const auto good = sealed_sample(keys);
    for (int bit = 1; bit < 8; ++bit) {
        CAPTURE(bit);
        auto bytes = good;
        bytes[5] = static_cast<std::uint8_t>(1u << bit);
        CHECK(open_error(keys, bytes) == envelope_error::unknown_flags);
    }
}

TEST_CASE("envelope open rejects a key id switched to another known key") {
    const auto keys = two_keys();
    auto bytes = sealed_sample(keys);
    bytes[9] = 2;
    CHECK(open_error(keys, bytes) == envelope_error::bad_tag);
}

namespace {

// The error a receiver must report when bit `mask` of byte `offset` of a
// telemetry envelope sealed with key id 1 (the only key) is flipped.
envelope_error expected_flip_error(std::size_t offset, std::uint8_t mask) {
    if (offset < 2)
        return envelope_error::bad_magic;
    if (offset == 2)
        return envelope_error::unsupported_version;
    if (offset == 3)
        return envelope_error::unsupported_suite;
    if (offset == 4) // content type 1 becomes 0 or 0x81, neither of them defined
        return envelope_error::unsupported_content_type;
    if (offset == 5) // bit 0 is the event lane flag, still valid but under the tag
        return mask == 0x01 ? envelope_error::bad_tag : envelope_error::unknown_flags;
    if (offset < 10)
        return envelope_error::unknown_key_id;
    return envelope_error::bad_tag;
}

} // namespace

TEST_CASE("envelope open rejects a flip of every byte") {
    const auto keys = doc::key_set();
    const auto good = sealed_sample(keys);
    for (std::size_t i = 0; i < good.size(); ++i) {
        for (const std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
            CAPTURE(i);
            CAPTURE(int{mask});
            auto bytes = good;
            bytes[i] ^= mask;
            CHECK(open_error(keys, bytes) == expected_flip_error(i, mask));
        }
    }
}

TEST_CASE("envelope open rejects truncation at every length") {
    const auto keys = doc::key_set();
    const auto good = sealed_sample(keys, 40); // 48 bytes of ciphertext
    for (std::size_t length = 0; length < good.size(); ++length) {
        CAPTURE(length);
        envelope_error expected = envelope_error::bad_tag;
        if (length < crypto::envelope_min_size)
            expected = envelope_error::too_short;
        else if ((length - 42 - 32) % 16 != 0)
            expected = envelope_error::bad_length;
        CHECK(open_error(keys, std::span(good).first(length)) == expected);
    }
}

TEST_CASE("envelope open rejects appended bytes") {
    const auto keys = doc::key_set();
    auto bytes = sealed_sample(keys);
    bytes.push_back(0x00);
    CHECK(open_error(keys, bytes) == envelope_error::bad_length);

    bytes.resize(bytes.size() + 15, 0x00);
    CHECK(open_error(keys, bytes) == envelope_error::bad_tag);
}

TEST_CASE("envelope open rejects an unknown key id") {
    const auto keys = doc::key_set();
    const auto bytes = sealed_sample(keys);
    crypto::key_set other = doc::key_set();
    other.keys[0].id = 2;
    other.current = 2;
    CHECK(open_error(other, bytes) == envelope_error::unknown_key_id);
    CHECK(open_error(crypto::key_set{}, bytes) == envelope_error::unknown_key_id);
}

TEST_CASE("envelope open rejects bad padding under a valid tag") {
    const auto keys = doc::key_set();
    const crypto::key& k = keys.keys[0];

    struct padding_case {
        const char* name;
        std::vector<std::uint8_t> last_block;
    };
    std::vector<std::uint8_t> zero_pad(16, 0x41);
    zero_pad.back() = 0x00;
    std::vector<std::uint8_t> pad_too_long(16, 0x11);
    std::vector<std::uint8_t> pad_inconsistent(16, 0x41);
    pad_inconsistent[14] = 0x03;
    pad_inconsistent[15] = 0x02;
    const padding_case cases[] = {
        {"pad length 0", zero_pad},
        {"pad length 17", pad_too_long},
        {"pad bytes differ", pad_inconsistent},
    };

    for (const padding_case& c : cases) {
        CAPTURE(c.name);
        std::vector<std::uint8_t> ciphertext;
        REQUIRE(sm::sm4_cbc_encrypt(k.enc_key, doc::telemetry_iv, c.last_block, sm::padding::none, ciphertext));
        const auto bytes = envelope_around(k, ciphertext);

        crypto::opened_envelope out;
        out.plaintext = ascii("untouched");
        std::error_code error;
        CHECK_FALSE(crypto::open(keys, bytes, out, error));
        CHECK(error == envelope_error::bad_padding);
        CHECK(out.plaintext == ascii("untouched"));
    }
}

TEST_CASE("envelope open accepts a hand-built envelope with valid padding") {
    // Guards the bad-padding case above: the same construction with correct
    // padding must open, so those rejections come from the padding alone.
    const auto keys = doc::key_set();
    const crypto::key& k = keys.keys[0];
    std::vector<std::uint8_t> block(16, 0x41);
    block[15] = 0x01;
    std::vector<std::uint8_t> ciphertext;
    REQUIRE(sm::sm4_cbc_encrypt(k.enc_key, doc::telemetry_iv, block, sm::padding::none, ciphertext));

    crypto::opened_envelope out;
    std::error_code error;
    REQUIRE(crypto::open(keys, envelope_around(k, ciphertext), out, error));
    CHECK(out.plaintext == std::vector<std::uint8_t>(15, 0x41));
}

TEST_CASE("envelope error messages are distinct") {
    std::set<std::string> messages;
    for (int e = 1; e <= static_cast<int>(envelope_error::crypto_failure); ++e)
        messages.insert(std::error_code(static_cast<envelope_error>(e)).message());
    CHECK(messages.size() == static_cast<std::size_t>(envelope_error::crypto_failure));
    CHECK(std::string(crypto::envelope_category().name()) == "citygate.envelope");
}
