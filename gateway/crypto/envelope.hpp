#pragma once
// The binary envelope of the uplink contract, version 1:
//   magic "CG" | version 1 | suite 1 | content type | flags | key id u32 |
//   sequence u64 | sealed_at i64 ms | IV 16 | SM4-CBC(PKCS#7) ciphertext | HMAC-SM3 tag 32
// All integers big-endian. The tag covers every byte before it.

#include "gateway/crypto/key_file.hpp"

#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

namespace citygate::crypto {

inline constexpr std::size_t envelope_header_size = 42;
inline constexpr std::size_t envelope_tag_size = 32;
inline constexpr std::size_t envelope_min_size = envelope_header_size + 16 + envelope_tag_size;
inline constexpr std::size_t envelope_max_size = 4 * 1024 * 1024; // larger input is rejected unread

enum class content_type : std::uint8_t { senml_json = 1, senml_cbor = 2 };

struct envelope_header {
    std::uint8_t version = 1;
    std::uint8_t suite = 1;
    crypto::content_type content = content_type::senml_json;
    std::uint8_t flags = 0; // bit 0: event lane
    std::uint32_t key_id = 0;
    std::uint64_t sequence = 0;
    std::int64_t sealed_at_ms = 0;
};

enum class envelope_error {
    too_short = 1,      // fewer bytes than header + one block + tag
    too_long,           // more than envelope_max_size
    bad_magic,
    unsupported_version,
    unsupported_suite,
    unsupported_content_type,
    unknown_flags,      // a flag bit other than bit 0 is set
    bad_length,         // ciphertext is not a multiple of 16 bytes
    unknown_key_id,
    bad_tag,            // HMAC-SM3 tag does not match
    bad_padding,        // PKCS#7 padding invalid after decryption
    crypto_failure,     // OpenSSL reported an error
};

const std::error_category& envelope_category() noexcept;
std::error_code make_error_code(envelope_error e) noexcept;

// Seals `plaintext` with the key file's current key and a fresh random IV.
// The key id written is the key's own; header.key_id is ignored. Returns an
// empty vector and sets `error` when there is no current key
// (unknown_key_id), the header contains a value open() would reject, the result
// would exceed envelope_max_size (too_long) or OpenSSL fails (crypto_failure).
std::vector<std::uint8_t> seal(const key_set& keys, const envelope_header& header,
                               std::span<const std::uint8_t> plaintext, std::error_code& error);

// Same with a caller-supplied IV, for test vectors.
std::vector<std::uint8_t> seal_with_iv(const key& k, const envelope_header& header,
                                       std::span<const std::uint8_t, 16> iv,
                                       std::span<const std::uint8_t> plaintext, std::error_code& error);

struct opened_envelope {
    envelope_header header;
    std::vector<std::uint8_t> plaintext;
};

// Checks magic, version, suite, content type, flags, length and the tag
// (constant time) before decrypting, then the padding. Never throws on
// input bytes. On failure `out` is left unchanged.
bool open(const key_set& keys, std::span<const std::uint8_t> bytes, opened_envelope& out, std::error_code& error);

} // namespace citygate::crypto

template <>
struct std::is_error_code_enum<citygate::crypto::envelope_error> : std::true_type {};
