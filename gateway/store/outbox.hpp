#pragma once
// The SQLite outbox: every accepted reading is committed here before it
// counts as accepted, sealed once into an envelope (sequence persisted,
// strictly increasing across restarts) and deleted only after its PUBACK.
// Two lanes; the event lane is always offered for sending first.
//
// Not thread-safe: the io_context thread owns the outbox.

#include "drivers/reading.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <system_error>
#include <unordered_set>
#include <vector>

namespace citygate::store {

enum class store_error {
    open_failed = 1,
    migration_failed,
    schema_too_new,   // the database was written by a newer citygate
    sqlite_error,     // any other SQLite failure; the message is logged where it happens
    seal_failed,      // the seal callback failed; nothing was changed
    not_found,        // acknowledged batch id is not in the outbox
    invalid_reading,  // a reading exceeds the limits in reading_codec.hpp; nothing was committed
};

const std::error_category& store_category() noexcept;
std::error_code make_error_code(store_error e) noexcept;

struct limits {
    std::uint64_t max_bytes = 256ull * 1024 * 1024; // pending + sealed payload bytes
    std::chrono::milliseconds max_age{std::chrono::hours(24 * 30)};
    std::size_t batch_max_readings = 500;
};

// One sealed envelope waiting for its PUBACK.
struct sealed_batch {
    std::int64_t id = 0;         // row id, used to acknowledge
    std::uint64_t sequence = 0;  // envelope sequence
    citygate::lane lane = lane::telemetry;
    std::vector<std::uint8_t> bytes;
};

struct lane_depth {
    std::uint64_t pending_rows = 0;  // readings not yet sealed
    std::uint64_t sealed_rows = 0;   // batches not yet acknowledged
    std::uint64_t bytes = 0;         // payload bytes of both
};

struct stats {
    lane_depth telemetry;
    lane_depth event;
    std::int64_t oldest_unsent_ms = 0; // ts of the oldest unsent reading, 0 when empty
    // Counters persisted in the database, so they survive restarts.
    std::uint64_t accepted = 0;
    std::uint64_t sent = 0;     // readings in acknowledged batches
    std::uint64_t evicted = 0;  // readings dropped by retention
    std::uint64_t next_sequence = 0;
};

// Number of leading readings a seal function put into its envelope, so a
// sealer can keep envelopes below a size limit. Zero means the seal failed
// and `out` contains nothing usable. The constructor is explicit so that a
// function returning bool cannot be taken for one.
struct sealed_prefix {
    explicit sealed_prefix(std::size_t n = 0) : readings(n) {}
    std::size_t readings;
};

// Builds the sealed envelope for the first readings of `readings` (at least
// one) with the given sequence. The outbox offers the rest to the next call.
using seal_function = std::function<sealed_prefix(citygate::lane, std::uint64_t sequence,
                                                  std::span<const reading> readings, std::vector<std::uint8_t>& out)>;

class outbox {
public:
    // Opens or creates `path` (WAL), running numbered migrations.
    static std::unique_ptr<outbox> open(const std::filesystem::path& path, const limits& lim, std::error_code& error);

    virtual ~outbox() = default;

    // Commits readings in one transaction (event lane readings with
    // synchronous=FULL). Nothing is committed on error.
    virtual std::error_code accept(std::span<const reading> readings) = 0;

    // Seals pending readings into batches of at most batch_max_readings per
    // lane (fewer when the seal function takes a prefix), event lane first.
    // Each batch is one transaction: sequence bump, sealed bytes inserted,
    // readings deleted. `batches` counts what was made.
    virtual std::error_code seal_pending(const seal_function& seal, std::size_t& batches) = 0;

    // Seals readings at once and commits only the sealed batches, skipping
    // the pending table: event lane first, batches of at most
    // batch_max_readings (or the prefix the seal function takes), all in one
    // transaction with synchronous=FULL that also counts the readings as
    // accepted. Nothing is committed on error;
    // after seal_failed the caller can still accept() the readings. Use it
    // only while no readings are pending, so sequence order stays reading
    // order within a lane.
    virtual std::error_code accept_sealed(std::span<const reading> readings, const seal_function& seal,
                                          std::size_t& batches) = 0;

    // Up to `max` sealed batches not in `in_flight`: every event batch before
    // any telemetry batch, oldest first within a lane.
    virtual std::vector<sealed_batch> next_batches(std::size_t max, const std::unordered_set<std::int64_t>& in_flight) = 0;

    // Deletes a batch after its PUBACK and counts its readings as sent.
    virtual std::error_code acknowledge(std::int64_t batch_id) = 0;

    // Applies the byte and age caps: oldest telemetry first, events only when
    // no telemetry remains. `evicted_readings` counts what was dropped.
    virtual std::error_code enforce_retention(std::int64_t now_ms, std::uint64_t& evicted_readings) = 0;

    virtual stats read_stats() = 0;
};

} // namespace citygate::store

template <>
struct std::is_error_code_enum<citygate::store::store_error> : std::true_type {};
