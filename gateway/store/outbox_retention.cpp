// Retention: the age cap and the byte cap. Both evict from the front of a
// lane's queue (sealed batches first, then pending readings, in row-id
// order), because row-id order is arrival order even when the wall clock
// steps.

#include "gateway/store/sqlite_outbox.hpp"

#include <spdlog/spdlog.h>

#include <numeric>

namespace citygate::store::detail {

namespace {

// Telemetry is given up before events: an alarm is worth more than a meter sample.
constexpr lane eviction_order[] = {lane::telemetry, lane::event};

void add_sealed(eviction_plan& plan, std::int64_t id, std::uint64_t readings, std::uint64_t bytes)
{
    plan.last_sealed_id = id;
    ++plan.sealed_rows;
    plan.sealed_readings += readings;
    plan.sealed_bytes += bytes;
}

void add_pending(eviction_plan& plan, std::int64_t id, std::uint64_t bytes)
{
    plan.last_pending_id = id;
    ++plan.pending_rows;
    plan.pending_bytes += bytes;
}

std::uint64_t evicted_readings(const eviction_plan& plan)
{
    return plan.sealed_readings + plan.pending_rows;
}

std::uint64_t total_bytes(const std::array<lane_totals, 2>& totals)
{
    return std::accumulate(totals.begin(), totals.end(), std::uint64_t{0},
                           [](std::uint64_t sum, const lane_totals& t) { return sum + t.pending_bytes + t.sealed_bytes; });
}

} // namespace

// Rows taken before the wall clock was trusted have no usable age, but
// arrival order says they are older than any later row, so they go when a
// later trusted row has expired and stay otherwise.
bool sqlite_outbox::plan_age_eviction(lane l, std::int64_t cutoff_ms, eviction_plan& plan)
{
    eviction_plan running;
    int rc = 0;
    {
        auto& sealed = st_.select_sealed_front;
        sql::reset_on_exit guard(sealed);
        sealed.bind_int(1, static_cast<std::int64_t>(l));
        while ((rc = sealed.step("scan sealed batches for age")) == SQLITE_ROW) {
            add_sealed(running, sealed.column_int(0), static_cast<std::uint64_t>(sealed.column_int(1)),
                       static_cast<std::uint64_t>(sealed.column_int(2)));
            if (sealed.column_is_null(3)) {
                continue;
            }
            if (sealed.column_int(3) >= cutoff_ms) {
                return true;
            }
            plan = running;
        }
        if (rc != SQLITE_DONE) {
            return false;
        }
    }

    auto& pending = st_.select_pending_front;
    sql::reset_on_exit guard(pending);
    pending.bind_int(1, static_cast<std::int64_t>(l));
    while ((rc = pending.step("scan pending readings for age")) == SQLITE_ROW) {
        add_pending(running, pending.column_int(0), static_cast<std::uint64_t>(pending.column_int(1)));
        if (pending.column_int(3) == 0) {
            continue;
        }
        if (pending.column_int(2) >= cutoff_ms) {
            return true;
        }
        plan = running;
    }
    return rc == SQLITE_DONE;
}

bool sqlite_outbox::plan_byte_eviction(lane l, std::uint64_t excess, eviction_plan& plan)
{
    std::uint64_t freed = 0;
    int rc = 0;
    {
        auto& sealed = st_.select_sealed_front;
        sql::reset_on_exit guard(sealed);
        sealed.bind_int(1, static_cast<std::int64_t>(l));
        while (freed < excess && (rc = sealed.step("scan sealed batches for size")) == SQLITE_ROW) {
            auto bytes = static_cast<std::uint64_t>(sealed.column_int(2));
            add_sealed(plan, sealed.column_int(0), static_cast<std::uint64_t>(sealed.column_int(1)), bytes);
            freed += bytes;
        }
        if (freed < excess && rc != SQLITE_DONE) {
            return false;
        }
    }

    auto& pending = st_.select_pending_front;
    sql::reset_on_exit guard(pending);
    pending.bind_int(1, static_cast<std::int64_t>(l));
    while (freed < excess && (rc = pending.step("scan pending readings for size")) == SQLITE_ROW) {
        auto bytes = static_cast<std::uint64_t>(pending.column_int(1));
        add_pending(plan, pending.column_int(0), bytes);
        freed += bytes;
    }
    return freed >= excess || rc == SQLITE_DONE;
}

bool sqlite_outbox::apply_eviction(lane l, const eviction_plan& plan, std::array<lane_totals, 2>& totals)
{
    if (plan.last_sealed_id != 0) {
        st_.delete_sealed_through.bind_int(1, static_cast<std::int64_t>(l));
        st_.delete_sealed_through.bind_int(2, plan.last_sealed_id);
        if (!st_.delete_sealed_through.run("evict sealed batches")) {
            return false;
        }
    }
    if (plan.last_pending_id != 0) {
        st_.delete_pending_through.bind_int(1, static_cast<std::int64_t>(l));
        st_.delete_pending_through.bind_int(2, plan.last_pending_id);
        if (!st_.delete_pending_through.run("evict pending readings")) {
            return false;
        }
    }

    lane_totals& t = totals[static_cast<std::size_t>(l)];
    t.sealed_rows -= std::min(t.sealed_rows, plan.sealed_rows);
    t.sealed_bytes -= std::min(t.sealed_bytes, plan.sealed_bytes);
    t.pending_rows -= std::min(t.pending_rows, plan.pending_rows);
    t.pending_bytes -= std::min(t.pending_bytes, plan.pending_bytes);
    return true;
}

std::error_code sqlite_outbox::enforce_retention(std::int64_t now_ms, std::uint64_t& evicted_readings_out)
{
    evicted_readings_out = 0;
    sql::transaction tx(*db_);
    if (!tx.begin()) {
        return store_error::sqlite_error;
    }

    // Plans are applied to a copy so a rollback leaves the totals untouched.
    std::array<lane_totals, 2> work = totals_;
    std::array<std::uint64_t, 2> evicted{};
    if (limits_.max_age.count() > 0) {
        std::int64_t cutoff = now_ms - limits_.max_age.count();
        for (lane l : eviction_order) {
            // An expired event still outranks fresh telemetry, so events age
            // out only once the telemetry lane is empty.
            const lane_totals& telemetry = work[static_cast<std::size_t>(lane::telemetry)];
            if (l == lane::event && telemetry.pending_rows + telemetry.sealed_rows > 0) {
                break;
            }
            eviction_plan plan;
            if (!plan_age_eviction(l, cutoff, plan) || !apply_eviction(l, plan, work)) {
                return store_error::sqlite_error;
            }
            evicted[static_cast<std::size_t>(l)] += evicted_readings(plan);
        }
    }
    for (lane l : eviction_order) {
        std::uint64_t bytes = total_bytes(work);
        if (limits_.max_bytes == 0 || bytes <= limits_.max_bytes) {
            break;
        }
        eviction_plan plan;
        if (!plan_byte_eviction(l, bytes - limits_.max_bytes, plan) || !apply_eviction(l, plan, work)) {
            return store_error::sqlite_error;
        }
        evicted[static_cast<std::size_t>(l)] += evicted_readings(plan);
    }

    std::uint64_t total = evicted[0] + evicted[1];
    if (total == 0) {
        return {};
    }
    st_.add_evicted.bind_int(1, static_cast<std::int64_t>(total));
    if (!st_.add_evicted.run("count evicted readings") || !tx.commit()) {
        return store_error::sqlite_error;
    }

    totals_ = work;
    counters_.evicted += total;
    evicted_readings_out = total;
    spdlog::warn("store {}: retention evicted {} telemetry and {} event readings", db_->path(),
                 evicted[static_cast<std::size_t>(lane::telemetry)], evicted[static_cast<std::size_t>(lane::event)]);
    return {};
}

} // namespace citygate::store::detail
