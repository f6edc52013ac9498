#pragma once
// The SQLite implementation of store::outbox (internal to citygate::store).

#include "gateway/store/outbox.hpp"
#include "gateway/store/sqlite.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace citygate::store::detail {

// In-memory mirror of one lane's depth, loaded at open and updated after
// each commit so read_stats() needs no COUNT(*).
struct lane_totals {
    std::uint64_t pending_rows = 0;
    std::uint64_t pending_bytes = 0;
    std::uint64_t sealed_rows = 0;
    std::uint64_t sealed_bytes = 0;
};

// Mirror of the single row of outbox_state.
struct persisted_counters {
    std::uint64_t next_sequence = 0;
    std::uint64_t accepted = 0;
    std::uint64_t sent = 0;
    std::uint64_t evicted = 0;
};

// A front part of one lane's queue (sealed batches, then pending readings,
// both in row-id order) chosen for eviction.
struct eviction_plan {
    std::int64_t last_sealed_id = 0;   // evict sealed batches with id <= this; 0: none
    std::int64_t last_pending_id = 0;  // evict pending readings with id <= this; 0: none
    std::uint64_t sealed_rows = 0;
    std::uint64_t sealed_readings = 0;
    std::uint64_t sealed_bytes = 0;
    std::uint64_t pending_rows = 0;
    std::uint64_t pending_bytes = 0;
};

// What one sealed batch was made from.
struct batch_source {
    std::size_t rows = 0;      // pending rows consumed, including undecodable ones
    std::size_t readings = 0;  // readings handed to the seal callback
    std::int64_t last_id = 0;
    std::uint64_t bytes = 0;
    std::int64_t oldest_ts_ms = 0;
    std::optional<std::int64_t> newest_trusted_ts_ms;
};

// Pending row read by load_batch. The rows are kept so that a batch sealed
// only in part can end after its last sealed reading.
struct pending_row {
    std::int64_t id = 0;
    std::uint64_t bytes = 0;
    bool decoded = false;
};

class sqlite_outbox final : public outbox {
public:
    sqlite_outbox(std::unique_ptr<sql::database> db, const limits& lim);

    // Sets the PRAGMAs, runs migrations, prepares statements and loads the
    // in-memory totals.
    std::error_code init();

    std::error_code accept(std::span<const reading> readings) override;
    std::error_code seal_pending(const seal_function& seal, std::size_t& batches) override;
    std::error_code accept_sealed(std::span<const reading> readings, const seal_function& seal,
                                  std::size_t& batches) override;
    std::vector<sealed_batch> next_batches(std::size_t max,
                                           const std::unordered_set<std::int64_t>& in_flight) override;
    std::error_code acknowledge(std::int64_t batch_id) override;
    std::error_code enforce_retention(std::int64_t now_ms, std::uint64_t& evicted_readings) override;
    stats read_stats() override;

private:
    bool configure_connection();
    bool prepare_statements();
    bool load_totals();

    bool encode_checked(const reading& r);
    std::error_code insert_readings(std::span<const reading> readings, std::array<lane_totals, 2>& added);
    std::error_code seal_one(lane l, const seal_function& seal, bool durable, bool& sealed);
    bool load_batch(lane l, std::size_t& loaded);
    batch_source batch_prefix(std::size_t readings) const;
    std::size_t call_seal(const seal_function& seal, lane l, std::uint64_t sequence, std::span<const reading> readings);
    std::error_code seal_lane_direct(lane l, std::span<const reading> readings, const seal_function& seal,
                                     std::array<lane_totals, 2>& added, std::uint64_t& sequence);
    bool store_batch(lane l, bool sealed, std::uint64_t sequence, const batch_source& source);
    bool sync_barrier();

    bool plan_age_eviction(lane l, std::int64_t cutoff_ms, eviction_plan& plan);
    bool plan_byte_eviction(lane l, std::uint64_t excess, eviction_plan& plan);
    bool apply_eviction(lane l, const eviction_plan& plan, std::array<lane_totals, 2>& totals);
    std::optional<std::int64_t> front_ts(lane l);

    lane_totals& totals(lane l) { return totals_[static_cast<std::size_t>(l)]; }

    std::unique_ptr<sql::database> db_;
    limits limits_;

    struct statements {
        sql::statement sync_full;
        sql::statement sync_normal;
        sql::statement insert_pending;
        sql::statement add_accepted;
        sql::statement select_pending_batch;
        sql::statement delete_pending_through;
        sql::statement insert_sealed;
        sql::statement set_next_sequence;
        sql::statement add_evicted;
        sql::statement select_sealed_for_send;
        sql::statement delete_sealed_returning;
        sql::statement add_sent;
        sql::statement select_sealed_front;
        sql::statement select_pending_front;
        sql::statement delete_sealed_through;
        sql::statement touch_state;
        sql::statement first_sealed_ts;
        sql::statement first_pending_ts;
    } st_;

    std::array<lane_totals, 2> totals_{};
    persisted_counters counters_;

    // Seals committed with synchronous=NORMAL that are not yet on stable
    // storage; next_batches() syncs before handing any batch out.
    bool unsynced_seals_ = false;

    // Seal failures repeat on every flush until the cause goes away.
    log::rate_limiter warn_limiter_{std::chrono::seconds(60)};

    // Reused across calls to avoid per-reading allocations.
    std::vector<std::uint8_t> body_;
    std::vector<reading> batch_;
    std::vector<pending_row> batch_rows_; // rows of the last load_batch, decodable or not
    std::vector<std::uint8_t> envelope_;
};

} // namespace citygate::store::detail
