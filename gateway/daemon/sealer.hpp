#pragma once
// Turns a batch of readings into the sealed envelope that the outbox stores:
// a SenML CBOR or JSON pack, then SM4-CBC + HMAC-SM3 with the key file's
// current key.

#include "gateway/crypto/envelope.hpp"
#include "gateway/crypto/key_file.hpp"
#include "gateway/store/outbox.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace citygate::daemon {

struct seal_counters {
    std::uint64_t sealed = 0;
    std::uint64_t failures = 0;
};

// The returned function reads `keys` by reference, so a reloaded key set
// takes effect on the next batch. `now_ms` supplies sealed_at. It seals the
// readings that fit in a SenML pack of `max_pack_bytes` (at least one), so
// envelopes stay below broker message limits. `content` selects the pack
// encoding and is written into every envelope header.
store::seal_function make_sealer(std::string gateway_id, const crypto::key_set& keys,
                                 std::function<std::int64_t()> now_ms, seal_counters& counters,
                                 std::size_t max_pack_bytes, crypto::content_type content);

} // namespace citygate::daemon
