#include "gateway/daemon/sealer.hpp"

#include "gateway/crypto/envelope.hpp"
#include "gateway/senml/senml.hpp"

#include <spdlog/spdlog.h>

namespace citygate::daemon {

store::seal_function make_sealer(std::string gateway_id, const crypto::key_set& keys,
                                 std::function<std::int64_t()> now_ms, seal_counters& counters,
                                 std::size_t max_pack_bytes, crypto::content_type content)
{
    // The outbox retries a failed batch on every pass, so the same failure
    // is logged at ERROR once and then only when the error changes.
    return [gateway_id = std::move(gateway_id), &keys, now_ms = std::move(now_ms), &counters, max_pack_bytes, content,
            plaintext = std::vector<std::uint8_t>{}, last_logged = std::error_code{}](
               citygate::lane lane, std::uint64_t sequence, std::span<const reading> readings,
               std::vector<std::uint8_t>& out) mutable {
        const std::size_t encoded = content == crypto::content_type::senml_cbor
                                        ? senml::encode_cbor_prefix(gateway_id, readings, max_pack_bytes, plaintext)
                                        : senml::encode_json_prefix(gateway_id, readings, max_pack_bytes, plaintext);

        crypto::envelope_header header;
        header.content = content;
        header.flags = lane == citygate::lane::event ? 1 : 0;
        header.key_id = keys.current; // informational: seal() writes the current key's own id
        header.sequence = sequence;
        header.sealed_at_ms = now_ms();

        std::error_code error;
        out = crypto::seal(keys, header, plaintext, error);
        if (error) {
            ++counters.failures;
            const auto level = error == last_logged ? spdlog::level::debug : spdlog::level::err;
            spdlog::log(level, "gateway {}: sealing batch {} ({} readings) with key id {} failed: {} ({} failures)",
                        gateway_id, sequence, readings.size(), keys.current, error.message(), counters.failures);
            last_logged = error;
            return store::sealed_prefix{0};
        }
        if (last_logged)
            spdlog::info("gateway {}: sealing works again from batch {}", gateway_id, sequence);
        last_logged.clear();
        ++counters.sealed;
        return store::sealed_prefix{encoded};
    };
}

} // namespace citygate::daemon
