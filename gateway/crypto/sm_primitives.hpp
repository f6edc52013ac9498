#pragma once
// The only place citygate calls OpenSSL for SM3 and SM4. Everything goes
// through the OpenSSL 3 EVP interfaces, so a Tongsuo build selected with
// OPENSSL_ROOT_DIR works as well as the system OpenSSL.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace citygate::crypto::sm {

inline constexpr std::size_t sm4_key_size = 16;
inline constexpr std::size_t sm4_block_size = 16;
inline constexpr std::size_t sm3_digest_size = 32;

using sm4_key_view = std::span<const std::uint8_t, sm4_key_size>;
using sm4_iv_view = std::span<const std::uint8_t, sm4_block_size>;
using sm3_digest = std::array<std::uint8_t, sm3_digest_size>;

enum class padding { pkcs7, none };

enum class decrypt_status { ok, bad_padding, failure };

// Encrypts `plaintext` with SM4-CBC. With padding::none the input length
// must be a multiple of 16 bytes. Returns false on an OpenSSL failure.
bool sm4_cbc_encrypt(sm4_key_view key, sm4_iv_view iv, std::span<const std::uint8_t> plaintext, padding pad,
                     std::vector<std::uint8_t>& out);

// Decrypts SM4-CBC; with padding::pkcs7 a malformed padding block returns
// decrypt_status::bad_padding.
decrypt_status sm4_cbc_decrypt(sm4_key_view key, sm4_iv_view iv, std::span<const std::uint8_t> ciphertext,
                               padding pad, std::vector<std::uint8_t>& out);

// Raw SM4 in ECB mode without padding, for the published block vectors.
bool sm4_ecb_encrypt(sm4_key_view key, std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out);
bool sm4_ecb_decrypt(sm4_key_view key, std::span<const std::uint8_t> ciphertext, std::vector<std::uint8_t>& out);

bool sm3(std::span<const std::uint8_t> message, sm3_digest& out);

bool hmac_sm3(std::span<const std::uint8_t> key, std::span<const std::uint8_t> message, sm3_digest& out);

// Fills `out` from the OpenSSL CSPRNG (RAND_bytes).
bool random_bytes(std::span<std::uint8_t> out);

// Compares in time that depends only on the length (CRYPTO_memcmp).
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

// Overwrites secret bytes in a way the compiler does not remove (OPENSSL_cleanse).
void cleanse(void* data, std::size_t size);

} // namespace citygate::crypto::sm
