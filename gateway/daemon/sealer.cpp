#include "gateway/daemon/sealer.hpp"

#include "gateway/crypto/envelope.hpp"
#include "gateway/senml/senml.hpp"

#include <spdlog/spdlog.h>

namespace citygate::daemon {

store::seal_function make_sealer(std::string gateway_id, const crypto::key_set& keys,
                                 std::function<std::int64_t()> now_ms, seal_counters& counters)
{
    return [gateway_id = std::move(gateway_id), &keys, now_ms = std::move(now_ms), &counters](
               citygate::lane lane, std::uint64_t sequence, std::span<const reading> readings,
               std::vector<std::uint8_t>& out) {
        auto plaintext = senml::encode_json(gateway_id, readings);

        crypto::envelope_header header;
        header.content = crypto::content_type::senml_json;
        header.flags = lane == citygate::lane::event ? 1 : 0;
        header.key_id = keys.current;
        header.sequence = sequence;
        header.sealed_at_ms = now_ms();

        std::error_code error;
        out = crypto::seal(keys, header, plaintext, error);
        if (error) {
            ++counters.failures;
            spdlog::error("gateway {}: sealing batch {} with key id {} failed: {}", gateway_id, sequence,
                          keys.current, error.message());
            return false;
        }
        ++counters.sealed;
        return true;
    };
}

} // namespace citygate::daemon
