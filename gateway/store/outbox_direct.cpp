// Sealing readings as they are accepted, for a pipeline whose readings
// arrive in full batches: the readings go straight into sealed envelopes
// and never pass through the pending table.

#include "gateway/store/full_sync.hpp"
#include "gateway/store/sqlite_outbox.hpp"

#include <algorithm>

namespace citygate::store::detail {

namespace {

// Batch source of readings sealed straight from memory. They have no
// pending rows to delete, so last_id stays 0.
batch_source source_of(std::span<const reading> chunk)
{
    batch_source source;
    source.rows = chunk.size();
    source.readings = chunk.size();
    source.oldest_ts_ms = chunk.front().ts_ms;
    for (const reading& r : chunk) {
        source.oldest_ts_ms = std::min(source.oldest_ts_ms, r.ts_ms);
        if (r.clock_trusted) {
            source.newest_trusted_ts_ms = std::max(source.newest_trusted_ts_ms.value_or(r.ts_ms), r.ts_ms);
        }
    }
    return source;
}

} // namespace

std::error_code sqlite_outbox::accept_sealed(std::span<const reading> readings, const seal_function& seal,
                                             std::size_t& batches)
{
    batches = 0;
    if (readings.empty()) {
        return {};
    }

    // The same limits as accept(), so both paths store the same readings.
    for (const reading& r : readings) {
        if (!encode_checked(r)) {
            return store_error::invalid_reading;
        }
    }

    // The batches may be published as soon as this returns, so they must be
    // on stable storage: a batch re-sealed after a power cut would repeat a
    // sequence number with different bytes.
    full_sync_scope sync(st_.sync_full, st_.sync_normal, true);
    sql::transaction tx(*db_);
    if (!sync.active() || !tx.begin()) {
        return store_error::sqlite_error;
    }

    std::array<lane_totals, 2> added{};
    std::uint64_t sequence = counters_.next_sequence;
    for (lane l : {lane::event, lane::telemetry}) {
        if (auto error = seal_lane_direct(l, readings, seal, added, sequence)) {
            return error;
        }
    }
    st_.add_accepted.bind_int(1, static_cast<std::int64_t>(readings.size()));
    if (!st_.add_accepted.run("count accepted readings") || !tx.commit()) {
        return store_error::sqlite_error;
    }

    for (std::size_t i = 0; i < totals_.size(); ++i) {
        totals_[i].sealed_rows += added[i].sealed_rows;
        totals_[i].sealed_bytes += added[i].sealed_bytes;
        batches += static_cast<std::size_t>(added[i].sealed_rows);
    }
    counters_.next_sequence = sequence;
    counters_.accepted += readings.size();
    unsynced_seals_ = false;
    return {};
}

// Seals the readings of lane `l` in batches inside the caller's transaction.
std::error_code sqlite_outbox::seal_lane_direct(lane l, std::span<const reading> readings, const seal_function& seal,
                                                std::array<lane_totals, 2>& added, std::uint64_t& sequence)
{
    // Usually every reading is on one lane and the span is used as it is;
    // a mixed flush copies the lane's readings out.
    std::vector<reading> copied;
    std::span<const reading> lane_readings = readings;
    if (!std::all_of(readings.begin(), readings.end(), [l](const reading& r) { return r.lane == l; })) {
        std::copy_if(readings.begin(), readings.end(), std::back_inserter(copied),
                     [l](const reading& r) { return r.lane == l; });
        lane_readings = copied;
    }

    for (std::size_t offset = 0; offset < lane_readings.size();) {
        const auto offered =
            lane_readings.subspan(offset, std::min(limits_.batch_max_readings, lane_readings.size() - offset));
        const std::size_t sealed_readings = call_seal(seal, l, sequence, offered);
        if (sealed_readings == 0) {
            return store_error::seal_failed;
        }
        offset += sealed_readings;

        if (!store_batch(l, true, sequence, source_of(offered.first(sealed_readings)))) {
            return store_error::sqlite_error;
        }

        lane_totals& t = added[static_cast<std::size_t>(l)];
        ++t.sealed_rows;
        t.sealed_bytes += envelope_.size();
        ++sequence;
    }
    return {};
}

} // namespace citygate::store::detail
