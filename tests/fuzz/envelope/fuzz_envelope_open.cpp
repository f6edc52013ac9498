// libFuzzer target for crypto::open with the fixed key set of the docs
// vectors. Random bytes almost never carry a valid tag, so each input is
// also opened a second time with a tag computed over it: that run reaches
// the SM4-CBC decryption and the PKCS#7 padding check with fuzzed data.

#include "gateway/crypto/envelope.hpp"
#include "gateway/crypto/sm_primitives.hpp"
#include "tests/unit/crypto/envelope_doc_vector.hpp"

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <span>
#include <vector>

using namespace citygate;

namespace {

const crypto::key_set& fixed_keys() {
    static const crypto::key_set keys = test::doc_vector::key_set();
    return keys;
}

// Aborts unless a successful open returned the sequence stored at offset 10,
// a supported header and a plaintext shorter than the ciphertext.
void check_opened(std::span<const std::uint8_t> bytes, const crypto::opened_envelope& opened) {
    std::uint64_t sequence = 0;
    for (std::size_t i = 10; i < 18; ++i)
        sequence = sequence << 8 | bytes[i];
    const std::size_t ciphertext_size = bytes.size() - crypto::envelope_header_size - crypto::envelope_tag_size;
    if (opened.header.sequence != sequence || opened.header.version != 1 || (opened.header.flags & ~1u) != 0 ||
        opened.plaintext.size() >= ciphertext_size)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    crypto::opened_envelope opened;
    std::error_code error;
    if (crypto::open(fixed_keys(), input, opened, error))
        check_opened(input, opened);
    else if (!error)
        std::abort(); // every rejection must name its reason

    if (size < crypto::envelope_min_size || size > crypto::envelope_max_size)
        return 0;

    std::vector<std::uint8_t> retagged(input.begin(), input.end());
    const std::size_t tag_offset = size - crypto::envelope_tag_size;
    const crypto::key* k = fixed_keys().find(1);
    crypto::sm::sm3_digest tag{};
    if (!crypto::sm::hmac_sm3(k->mac_key, std::span(retagged).first(tag_offset), tag))
        std::abort();
    std::copy(tag.begin(), tag.end(), retagged.begin() + static_cast<std::ptrdiff_t>(tag_offset));
    if (crypto::open(fixed_keys(), retagged, opened, error))
        check_opened(retagged, opened);
    else if (!error || error == crypto::envelope_error::crypto_failure)
        std::abort(); // OpenSSL must not fail on well-framed input
    return 0;
}
