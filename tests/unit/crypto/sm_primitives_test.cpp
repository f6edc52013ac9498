// Published SM4, SM3 and HMAC-SM3 vectors run against the primitive layer.
//
// Sources:
//   [GB/T 32907-2016] SM4 block cipher. ECB/CBC rows as carried in OpenSSL
//     test/recipes/30-test_evp_data/evpciph_sm4.txt, commit
//     12380b2e05da6842e9f604f85a1bfbc92ed4b83c (taken there from IETF
//     draft-ribose-cfrg-sm4); the 1,000,000-iteration vector from Bouncy
//     Castle core/src/test/java/org/bouncycastle/crypto/test/SM4Test.java,
//     commit 0e13eaadf83a7c368f1c8ebb350456725330a57f.
//   [GB/T 32905-2016] SM3 hash. OpenSSL test/recipes/30-test_evp_data/evpmd_sm3.txt,
//     commit b6d76a1264792d8a81139adc100e8b0303202cf0 (inputs from draft-shen-sm3-hash-01).
//   [GM/T 0042-2015] HMAC-SM3, Appendix D.3, and RFC 2104-style inputs from
//     OpenSSL test/recipes/30-test_evp_data/evpmac_sm3.txt, commit
//     33bf1514313a289a5edd08de5fe95b1caf1c7e32.

#include "gateway/crypto/sm_primitives.hpp"
#include "tests/unit/crypto/test_hex.hpp"

#include <doctest/doctest.h>

#include <array>

using namespace citygate;
using citygate::test::ascii;
using citygate::test::hex;
using citygate::test::repeat;
namespace sm = citygate::crypto::sm;

namespace {

// K = P = IV for the GB/T 32907-2016 rows.
const std::vector<std::uint8_t> standard_block = hex("0123456789ABCDEFFEDCBA9876543210");

sm::sm4_key_view key_of(const std::vector<std::uint8_t>& bytes) { return sm::sm4_key_view{bytes.data(), 16}; }
sm::sm4_iv_view iv_of(const std::vector<std::uint8_t>& bytes) { return sm::sm4_iv_view{bytes.data(), 16}; }

std::vector<std::uint8_t> digest_bytes(const sm::sm3_digest& d) { return {d.begin(), d.end()}; }

} // namespace

TEST_CASE("SM4 ECB one block, GB/T 32907-2016") {
    std::vector<std::uint8_t> out;
    REQUIRE(sm::sm4_ecb_encrypt(key_of(standard_block), standard_block, out));
    CHECK(out == hex("681EDF34D206965E86B3E94F536E4246"));

    std::vector<std::uint8_t> back;
    REQUIRE(sm::sm4_ecb_decrypt(key_of(standard_block), out, back));
    CHECK(back == standard_block);
}

TEST_CASE("SM4 ECB 1,000,000 iterations, GB/T 32907-2016 example 2") {
    std::vector<std::uint8_t> block = standard_block;
    std::vector<std::uint8_t> next;
    bool all_ok = true;
    for (int i = 0; i < 1'000'000 && all_ok; ++i) {
        all_ok = sm::sm4_ecb_encrypt(key_of(standard_block), block, next);
        block.swap(next);
    }
    REQUIRE(all_ok);
    CHECK(block == hex("595298C7C6FD271F0402F804C33D3F66"));

    for (int i = 0; i < 1'000'000 && all_ok; ++i) {
        all_ok = sm::sm4_ecb_decrypt(key_of(standard_block), block, next);
        block.swap(next);
    }
    REQUIRE(all_ok);
    CHECK(block == standard_block);
}

TEST_CASE("SM4 CBC without padding, whole-block vectors") {
    struct row {
        std::size_t blocks;
        const char* expected;
    };
    const row rows[] = {
        {1, "2677F46B09C122CC975533105BD4A22A"},
        {2, "2677F46B09C122CC975533105BD4A22AF6125F7275CE552C3A2BBCF533DE8A3B"},
        {6, "2677F46B09C122CC975533105BD4A22AF6125F7275CE552C3A2BBCF533DE8A3BFFF5A4F208092C0901BA02D577297736"
            "9915E3FA2356C9F4EB6460ECC457E7F8E3CFA3DEEBFE9883E3A48BCF7C4A11AA3EC9E0D317C5D319BE72A5CDDDEC640C"},
        {14, "2677F46B09C122CC975533105BD4A22AF6125F7275CE552C3A2BBCF533DE8A3BFFF5A4F208092C0901BA02D577297736"
             "9915E3FA2356C9F4EB6460ECC457E7F8E3CFA3DEEBFE9883E3A48BCF7C4A11AA3EC9E0D317C5D319BE72A5CDDDEC640C"
             "6FC70BFA3DDAAFFFDD7C09B2774DCB2CEC29F0C6F0B6773E985B3E395E924238505A8F120D9CA84DE5C3CF7E45F097B1"
             "4B3A46C5B1068669982A5C1F5F61BE291B984F331D44FFB2758F771672448FC957FA1416C446427A41E25D5524A2418B"
             "9D96B2F17582F0F1AA9C204C6807F54F7B6833C5F00856659DDABC245936868C"},
    };
    for (const row& r : rows) {
        CAPTURE(r.blocks);
        const auto plaintext = repeat(standard_block, r.blocks);
        std::vector<std::uint8_t> out;
        REQUIRE(sm::sm4_cbc_encrypt(key_of(standard_block), iv_of(standard_block), plaintext, sm::padding::none, out));
        CHECK(out == hex(r.expected));

        std::vector<std::uint8_t> back;
        REQUIRE(sm::sm4_cbc_decrypt(key_of(standard_block), iv_of(standard_block), out, sm::padding::none, back) ==
                sm::decrypt_status::ok);
        CHECK(back == plaintext);
    }
}

TEST_CASE("SM4 CBC with PKCS#7 padding appends a full block") {
    // A whole-block input gets one block of 0x10 bytes, so the first block
    // of ciphertext matches the unpadded vector above.
    std::vector<std::uint8_t> out;
    REQUIRE(sm::sm4_cbc_encrypt(key_of(standard_block), iv_of(standard_block), standard_block, sm::padding::pkcs7,
                                out));
    REQUIRE(out.size() == 32);
    CHECK(std::vector<std::uint8_t>(out.begin(), out.begin() + 16) == hex("2677F46B09C122CC975533105BD4A22A"));

    std::vector<std::uint8_t> raw;
    REQUIRE(sm::sm4_cbc_decrypt(key_of(standard_block), iv_of(standard_block), out, sm::padding::none, raw) ==
            sm::decrypt_status::ok);
    CHECK(std::vector<std::uint8_t>(raw.begin() + 16, raw.end()) == std::vector<std::uint8_t>(16, 0x10));
}

TEST_CASE("SM4 CBC PKCS#7 round trip at every length up to three blocks") {
    for (std::size_t length = 0; length <= 48; ++length) {
        CAPTURE(length);
        std::vector<std::uint8_t> plaintext(length);
        for (std::size_t i = 0; i < length; ++i)
            plaintext[i] = static_cast<std::uint8_t>(i * 7 + 1);

        std::vector<std::uint8_t> ciphertext;
        REQUIRE(sm::sm4_cbc_encrypt(key_of(standard_block), iv_of(standard_block), plaintext, sm::padding::pkcs7,
                                    ciphertext));
        CHECK(ciphertext.size() == (length / 16 + 1) * 16);

        std::vector<std::uint8_t> back;
        REQUIRE(sm::sm4_cbc_decrypt(key_of(standard_block), iv_of(standard_block), ciphertext, sm::padding::pkcs7,
                                    back) == sm::decrypt_status::ok);
        CHECK(back == plaintext);
    }
}

TEST_CASE("SM4 CBC PKCS#7 decryption reports bad padding") {
    // Encrypting a block that ends in 0x00 without padding gives a
    // ciphertext whose plaintext has an impossible pad length.
    std::vector<std::uint8_t> bad_pad(16, 0x41);
    bad_pad.back() = 0x00;
    std::vector<std::uint8_t> ciphertext;
    REQUIRE(sm::sm4_cbc_encrypt(key_of(standard_block), iv_of(standard_block), bad_pad, sm::padding::none, ciphertext));

    std::vector<std::uint8_t> out;
    CHECK(sm::sm4_cbc_decrypt(key_of(standard_block), iv_of(standard_block), ciphertext, sm::padding::pkcs7, out) ==
          sm::decrypt_status::bad_padding);
    CHECK(out.empty());
}

TEST_CASE("SM4 rejects partial blocks without padding") {
    std::vector<std::uint8_t> out;
    const std::vector<std::uint8_t> fifteen(15, 0x00);
    CHECK_FALSE(sm::sm4_ecb_encrypt(key_of(standard_block), fifteen, out));
    CHECK_FALSE(sm::sm4_cbc_encrypt(key_of(standard_block), iv_of(standard_block), fifteen, sm::padding::none, out));
    CHECK(sm::sm4_cbc_decrypt(key_of(standard_block), iv_of(standard_block), fifteen, sm::padding::pkcs7, out) ==
          sm::decrypt_status::failure);
}

TEST_CASE("SM3 digests, GB/T 32905-2016") {
    sm::sm3_digest digest{};
    REQUIRE(sm::sm3(ascii("abc"), digest));
    CHECK(digest_bytes(digest) == hex("66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0"));

    REQUIRE(sm::sm3(repeat(ascii("abcd"), 16), digest));
    CHECK(digest_bytes(digest) == hex("DEBE9FF92275B8A138604889C18E5A4D6FDB70E5387E5765293DCBA39C0C5732"));
}

TEST_CASE("HMAC-SM3 vectors, GM/T 0042-2015 and RFC 2104-style inputs") {
    std::vector<std::uint8_t> key_01_to_25;
    for (std::uint8_t b = 0x01; b <= 0x25; ++b)
        key_01_to_25.push_back(b);

    struct row {
        const char* name;
        std::vector<std::uint8_t> key;
        std::vector<std::uint8_t> message;
        const char* expected;
    };
    const row rows[] = {
        {"GM/T 0042-2015 D.3", hex("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"),
         repeat(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), 2),
         "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a"},
        {"37-byte key", key_01_to_25, std::vector<std::uint8_t>(50, 0xcd),
         "220bf579ded555393f0159f66c99877822a3ecf610d1552154b41d44b94db3ae"},
        {"Hi There", std::vector<std::uint8_t>(32, 0x0b), ascii("Hi There"),
         "c0ba18c68b90c88bc07de794bfc7d2c8d19ec31ed8773bc2b390c9604e0be11e"},
        {"Jefe", ascii("Jefe Jeferson Jr"), ascii("what do ya want for nothing?"),
         "ce791a34c59adef472997a249600f3f244d59e875be04055ba2ae12fc845e78c"},
    };
    for (const row& r : rows) {
        CAPTURE(r.name);
        sm::sm3_digest mac{};
        REQUIRE(sm::hmac_sm3(r.key, r.message, mac));
        CHECK(digest_bytes(mac) == hex(r.expected));
    }
}

TEST_CASE("constant-time compare") {
    const std::vector<std::uint8_t> a = hex("00112233");
    CHECK(sm::equal_constant_time(a, hex("00112233")));
    CHECK_FALSE(sm::equal_constant_time(a, hex("00112234")));
    CHECK_FALSE(sm::equal_constant_time(a, hex("001122")));
}

TEST_CASE("random bytes differ between calls") {
    std::array<std::uint8_t, 16> first{};
    std::array<std::uint8_t, 16> second{};
    REQUIRE(sm::random_bytes(first));
    REQUIRE(sm::random_bytes(second));
    CHECK(first != second);
}
