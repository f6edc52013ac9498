#include "gateway/crypto/sm_primitives.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <climits>
#include <memory>

namespace citygate::crypto::sm {
namespace {

struct cipher_deleter {
    void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
struct cipher_ctx_deleter {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct md_deleter {
    void operator()(EVP_MD* m) const { EVP_MD_free(m); }
};
struct mac_deleter {
    void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct mac_ctx_deleter {
    void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

using cipher_ptr = std::unique_ptr<EVP_CIPHER, cipher_deleter>;
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter>;

// Fetching an algorithm walks the provider tables, so each one is fetched
// once per process. Fetched objects are immutable and safe to share between
// threads.
const EVP_CIPHER* sm4_cbc_cipher() {
    static const cipher_ptr cipher{EVP_CIPHER_fetch(nullptr, "SM4-CBC", nullptr)};
    return cipher.get();
}

const EVP_CIPHER* sm4_ecb_cipher() {
    static const cipher_ptr cipher{EVP_CIPHER_fetch(nullptr, "SM4-ECB", nullptr)};
    return cipher.get();
}

const EVP_MD* sm3_md() {
    static const std::unique_ptr<EVP_MD, md_deleter> md{EVP_MD_fetch(nullptr, "SM3", nullptr)};
    return md.get();
}

EVP_MAC* hmac_mac() {
    static const std::unique_ptr<EVP_MAC, mac_deleter> mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
    return mac.get();
}

bool fits_int(std::size_t size) { return size <= static_cast<std::size_t>(INT_MAX) - sm4_block_size; }

enum class direction : int { decrypt = 0, encrypt = 1 };

// Runs one whole-buffer EVP cipher operation. Returns 1 on success, 0 when
// the update step failed and -1 when only the final step failed, which for
// a PKCS#7 decryption means the padding block is malformed.
int run_cipher(const EVP_CIPHER* cipher, const std::uint8_t* key, const std::uint8_t* iv, direction dir,
               std::span<const std::uint8_t> in, padding pad, std::vector<std::uint8_t>& out) {
    if (cipher == nullptr || !fits_int(in.size()))
        return 0;

    cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
    if (!ctx || EVP_CipherInit_ex2(ctx.get(), cipher, key, iv, static_cast<int>(dir), nullptr) != 1)
        return 0;
    if (EVP_CIPHER_CTX_set_padding(ctx.get(), pad == padding::pkcs7 ? 1 : 0) != 1)
        return 0;

    out.resize(in.size() + sm4_block_size);
    int written = 0;
    if (EVP_CipherUpdate(ctx.get(), out.data(), &written, in.data(), static_cast<int>(in.size())) != 1) {
        out.clear();
        return 0;
    }

    int final_written = 0;
    if (EVP_CipherFinal_ex(ctx.get(), out.data() + written, &final_written) != 1) {
        sm::cleanse(out.data(), out.size());
        out.clear();
        return -1;
    }
    out.resize(static_cast<std::size_t>(written + final_written));
    return 1;
}

bool whole_blocks(std::size_t size) { return size % sm4_block_size == 0; }

} // namespace

bool sm4_cbc_encrypt(sm4_key_view key, sm4_iv_view iv, std::span<const std::uint8_t> plaintext, padding pad,
                     std::vector<std::uint8_t>& out) {
    if (pad == padding::none && !whole_blocks(plaintext.size()))
        return false;
    return run_cipher(sm4_cbc_cipher(), key.data(), iv.data(), direction::encrypt, plaintext, pad, out) == 1;
}

decrypt_status sm4_cbc_decrypt(sm4_key_view key, sm4_iv_view iv, std::span<const std::uint8_t> ciphertext,
                               padding pad, std::vector<std::uint8_t>& out) {
    if (!whole_blocks(ciphertext.size()) || (pad == padding::pkcs7 && ciphertext.empty()))
        return decrypt_status::failure;

    switch (run_cipher(sm4_cbc_cipher(), key.data(), iv.data(), direction::decrypt, ciphertext, pad, out)) {
    case 1:
        return decrypt_status::ok;
    case -1:
        return pad == padding::pkcs7 ? decrypt_status::bad_padding : decrypt_status::failure;
    default:
        return decrypt_status::failure;
    }
}

bool sm4_ecb_encrypt(sm4_key_view key, std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out) {
    if (!whole_blocks(plaintext.size()))
        return false;
    return run_cipher(sm4_ecb_cipher(), key.data(), nullptr, direction::encrypt, plaintext, padding::none, out) == 1;
}

bool sm4_ecb_decrypt(sm4_key_view key, std::span<const std::uint8_t> ciphertext, std::vector<std::uint8_t>& out) {
    if (!whole_blocks(ciphertext.size()))
        return false;
    return run_cipher(sm4_ecb_cipher(), key.data(), nullptr, direction::decrypt, ciphertext, padding::none, out) == 1;
}

bool sm3(std::span<const std::uint8_t> message, sm3_digest& out) {
    const EVP_MD* md = sm3_md();
    unsigned int length = 0;
    if (md == nullptr || EVP_Digest(message.data(), message.size(), out.data(), &length, md, nullptr) != 1)
        return false;
    return length == out.size();
}

bool hmac_sm3(std::span<const std::uint8_t> key, std::span<const std::uint8_t> message, sm3_digest& out) {
    EVP_MAC* mac = hmac_mac();
    if (mac == nullptr)
        return false;
    std::unique_ptr<EVP_MAC_CTX, mac_ctx_deleter> ctx{EVP_MAC_CTX_new(mac)};
    if (!ctx)
        return false;

    char digest_name[] = "SM3";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1)
        return false;
    if (EVP_MAC_update(ctx.get(), message.data(), message.size()) != 1)
        return false;

    std::size_t length = 0;
    if (EVP_MAC_final(ctx.get(), out.data(), &length, out.size()) != 1)
        return false;
    return length == out.size();
}

bool random_bytes(std::span<std::uint8_t> out) {
    if (out.size() > static_cast<std::size_t>(INT_MAX))
        return false;
    return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    if (a.size() != b.size())
        return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void cleanse(void* data, std::size_t size) { OPENSSL_cleanse(data, size); }

} // namespace citygate::crypto::sm
