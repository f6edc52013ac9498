#include "gateway/crypto/envelope.hpp"

#include "gateway/crypto/sm_primitives.hpp"

#include <array>
#include <string>
#include <utility>

namespace citygate::crypto {
namespace {

constexpr std::uint8_t magic_0 = 0x43; // 'C'
constexpr std::uint8_t magic_1 = 0x47; // 'G'
constexpr std::uint8_t supported_version = 1;
constexpr std::uint8_t suite_sm4_cbc_hmac_sm3 = 1;
constexpr std::uint8_t known_flags = 0x01; // bit 0: event lane
constexpr std::size_t iv_offset = 26;

class envelope_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.envelope"; }

    std::string message(int value) const override {
        switch (static_cast<envelope_error>(value)) {
        case envelope_error::too_short: return "envelope shorter than header, one cipher block and tag";
        case envelope_error::too_long: return "envelope longer than the 4 MiB limit";
        case envelope_error::bad_magic: return "envelope magic is not \"CG\"";
        case envelope_error::unsupported_version: return "unsupported envelope version";
        case envelope_error::unsupported_suite: return "unsupported envelope cipher suite";
        case envelope_error::unsupported_content_type: return "unsupported envelope content type";
        case envelope_error::unknown_flags: return "envelope has unknown flag bits set";
        case envelope_error::bad_length: return "envelope ciphertext is not a multiple of 16 bytes";
        case envelope_error::unknown_key_id: return "envelope key id is not in the key file";
        case envelope_error::bad_tag: return "envelope HMAC-SM3 tag does not match";
        case envelope_error::bad_padding: return "envelope PKCS#7 padding is invalid";
        case envelope_error::crypto_failure: return "OpenSSL failed during an envelope operation";
        }
        return "unknown envelope error";
    }
};

template <typename T>
void put_big_endian(std::vector<std::uint8_t>& out, T value) {
    for (int shift = (static_cast<int>(sizeof(T)) - 1) * 8; shift >= 0; shift -= 8)
        out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(value) >> shift));
}

template <typename T>
T get_big_endian(std::span<const std::uint8_t> bytes, std::size_t offset) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
        value = (value << 8) | bytes[offset + i];
    return static_cast<T>(value);
}

void write_header(std::vector<std::uint8_t>& out, const envelope_header& header, std::uint32_t key_id,
                  std::span<const std::uint8_t, 16> iv) {
    out.push_back(magic_0);
    out.push_back(magic_1);
    out.push_back(header.version);
    out.push_back(header.suite);
    out.push_back(static_cast<std::uint8_t>(header.content));
    out.push_back(header.flags);
    put_big_endian(out, key_id);
    put_big_endian(out, header.sequence);
    put_big_endian(out, header.sealed_at_ms);
    out.insert(out.end(), iv.begin(), iv.end());
}

bool known_content_type(std::uint8_t value) {
    return value == static_cast<std::uint8_t>(content_type::senml_json) ||
           value == static_cast<std::uint8_t>(content_type::senml_cbor);
}

// The checks a receiver makes before it touches a key, in the order the
// contract lists them.
envelope_error check_framing(std::span<const std::uint8_t> bytes) {
    if (bytes.size() > envelope_max_size)
        return envelope_error::too_long;
    if (bytes.size() < envelope_min_size)
        return envelope_error::too_short;
    if (bytes[0] != magic_0 || bytes[1] != magic_1)
        return envelope_error::bad_magic;
    if (bytes[2] != supported_version)
        return envelope_error::unsupported_version;
    if (bytes[3] != suite_sm4_cbc_hmac_sm3)
        return envelope_error::unsupported_suite;
    if (!known_content_type(bytes[4]))
        return envelope_error::unsupported_content_type;
    if ((bytes[5] & ~known_flags) != 0)
        return envelope_error::unknown_flags;
    if ((bytes.size() - envelope_header_size - envelope_tag_size) % sm::sm4_block_size != 0)
        return envelope_error::bad_length;
    return {};
}

envelope_header read_header(std::span<const std::uint8_t> bytes) {
    envelope_header header;
    header.version = bytes[2];
    header.suite = bytes[3];
    header.content = static_cast<content_type>(bytes[4]);
    header.flags = bytes[5];
    header.key_id = get_big_endian<std::uint32_t>(bytes, 6);
    header.sequence = get_big_endian<std::uint64_t>(bytes, 10);
    header.sealed_at_ms = get_big_endian<std::int64_t>(bytes, 18);
    return header;
}

// Rejects headers this code could not open again itself.
envelope_error check_sealable(const envelope_header& header) {
    if (header.version != supported_version)
        return envelope_error::unsupported_version;
    if (header.suite != suite_sm4_cbc_hmac_sm3)
        return envelope_error::unsupported_suite;
    if (!known_content_type(static_cast<std::uint8_t>(header.content)))
        return envelope_error::unsupported_content_type;
    if ((header.flags & ~known_flags) != 0)
        return envelope_error::unknown_flags;
    return {};
}

bool fail(std::error_code& error, envelope_error e) {
    error = e;
    return false;
}

} // namespace

const std::error_category& envelope_category() noexcept {
    static const envelope_category_impl category;
    return category;
}

std::error_code make_error_code(envelope_error e) noexcept { return {static_cast<int>(e), envelope_category()}; }

std::vector<std::uint8_t> seal(const key_set& keys, const envelope_header& header,
                               std::span<const std::uint8_t> plaintext, std::error_code& error) {
    const key* current = keys.current_key();
    if (current == nullptr) {
        error = envelope_error::unknown_key_id;
        return {};
    }

    std::array<std::uint8_t, 16> iv{};
    if (!sm::random_bytes(iv)) {
        error = envelope_error::crypto_failure;
        return {};
    }
    return seal_with_iv(*current, header, iv, plaintext, error);
}

std::vector<std::uint8_t> seal_with_iv(const key& k, const envelope_header& header,
                                       std::span<const std::uint8_t, 16> iv,
                                       std::span<const std::uint8_t> plaintext, std::error_code& error) {
    if (const envelope_error invalid = check_sealable(header); invalid != envelope_error{}) {
        error = invalid;
        return {};
    }

    // Ciphertext can only grow past the limit by the padding block, so the
    // check stays exact without encrypting first.
    const std::size_t padded = (plaintext.size() / sm::sm4_block_size + 1) * sm::sm4_block_size;
    if (envelope_header_size + padded + envelope_tag_size > envelope_max_size) {
        error = envelope_error::too_long;
        return {};
    }

    std::vector<std::uint8_t> ciphertext;
    if (!sm::sm4_cbc_encrypt(k.enc_key, iv, plaintext, sm::padding::pkcs7, ciphertext)) {
        error = envelope_error::crypto_failure;
        return {};
    }

    std::vector<std::uint8_t> out;
    out.reserve(envelope_header_size + ciphertext.size() + envelope_tag_size);
    write_header(out, header, k.id, iv);
    out.insert(out.end(), ciphertext.begin(), ciphertext.end());

    sm::sm3_digest tag{};
    if (!sm::hmac_sm3(k.mac_key, out, tag)) {
        error = envelope_error::crypto_failure;
        return {};
    }
    out.insert(out.end(), tag.begin(), tag.end());
    error.clear();
    return out;
}

bool open(const key_set& keys, std::span<const std::uint8_t> bytes, opened_envelope& out, std::error_code& error) {
    if (const envelope_error framing = check_framing(bytes); framing != envelope_error{})
        return fail(error, framing);

    const envelope_header header = read_header(bytes);
    const key* k = keys.find(header.key_id);
    if (k == nullptr)
        return fail(error, envelope_error::unknown_key_id);

    const std::size_t tag_offset = bytes.size() - envelope_tag_size;
    sm::sm3_digest expected{};
    if (!sm::hmac_sm3(k->mac_key, bytes.first(tag_offset), expected))
        return fail(error, envelope_error::crypto_failure);
    if (!sm::equal_constant_time(expected, bytes.subspan(tag_offset)))
        return fail(error, envelope_error::bad_tag);

    const auto iv = bytes.subspan<iv_offset, 16>();
    const auto ciphertext = bytes.subspan(envelope_header_size, tag_offset - envelope_header_size);
    std::vector<std::uint8_t> plaintext;
    switch (sm::sm4_cbc_decrypt(k->enc_key, iv, ciphertext, sm::padding::pkcs7, plaintext)) {
    case sm::decrypt_status::ok:
        break;
    case sm::decrypt_status::bad_padding:
        return fail(error, envelope_error::bad_padding);
    case sm::decrypt_status::failure:
        return fail(error, envelope_error::crypto_failure);
    }

    out.header = header;
    out.plaintext = std::move(plaintext);
    error.clear();
    return true;
}

} // namespace citygate::crypto
