// Accepting readings, sealing them into batches and handing batches to the
// uplink until their PUBACK.

#include "gateway/store/full_sync.hpp"
#include "gateway/store/reading_codec.hpp"
#include "gateway/store/sqlite_outbox.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace citygate::store::detail {

namespace {

constexpr std::int64_t lane_value(lane l)
{
    return static_cast<std::int64_t>(l);
}

constexpr const char* lane_name(lane l)
{
    return l == lane::event ? "event" : "telemetry";
}

// The order in which lanes are sealed and offered for sending.
constexpr lane send_order[] = {lane::event, lane::telemetry};

} // namespace

std::error_code sqlite_outbox::accept(std::span<const reading> readings)
{
    if (readings.empty()) {
        return {};
    }

    bool has_event = std::any_of(readings.begin(), readings.end(), [](const reading& r) { return r.lane == lane::event; });
    full_sync_scope sync(st_.sync_full, st_.sync_normal, has_event);
    if (has_event && !sync.active()) {
        return store_error::sqlite_error;
    }

    sql::transaction tx(*db_);
    if (!tx.begin()) {
        return store_error::sqlite_error;
    }
    std::array<lane_totals, 2> added{};
    if (auto error = insert_readings(readings, added)) {
        return error;
    }
    st_.add_accepted.bind_int(1, static_cast<std::int64_t>(readings.size()));
    if (!st_.add_accepted.run("count accepted readings") || !tx.commit()) {
        return store_error::sqlite_error;
    }

    for (std::size_t i = 0; i < totals_.size(); ++i) {
        totals_[i].pending_rows += added[i].pending_rows;
        totals_[i].pending_bytes += added[i].pending_bytes;
    }
    counters_.accepted += readings.size();
    if (has_event) {
        // A FULL commit syncs the whole WAL, including earlier NORMAL seals.
        unsynced_seals_ = false;
    }
    return {};
}

// Encodes `r` into body_, or logs why it cannot be stored: a lane other
// than telemetry or event, or a size beyond the limits in reading_codec.hpp.
bool sqlite_outbox::encode_checked(const reading& r)
{
    bool valid_lane = r.lane == lane::telemetry || r.lane == lane::event;
    if (valid_lane && encode_reading_body(r, body_)) {
        return true;
    }
    spdlog::warn("store {}: reading from device {} exceeds the outbox limits or has an unknown lane; "
                 "the whole accept was rejected",
                 db_->path(), r.device_id.substr(0, max_device_id_size));
    return false;
}

std::error_code sqlite_outbox::insert_readings(std::span<const reading> readings, std::array<lane_totals, 2>& added)
{
    auto& insert = st_.insert_pending;
    for (const reading& r : readings) {
        if (!encode_checked(r)) {
            return store_error::invalid_reading;
        }

        std::uint64_t bytes = body_.size() + r.device_id.size();
        insert.bind_int(1, lane_value(r.lane));
        insert.bind_text(2, r.device_id);
        insert.bind_int(3, r.ts_ms);
        insert.bind_int(4, r.clock_trusted ? 1 : 0);
        insert.bind_int(5, static_cast<std::int64_t>(bytes));
        insert.bind_blob(6, body_);
        if (!insert.run("insert reading")) {
            return store_error::sqlite_error;
        }

        lane_totals& t = added[static_cast<std::size_t>(r.lane)];
        ++t.pending_rows;
        t.pending_bytes += bytes;
    }
    return {};
}

std::error_code sqlite_outbox::seal_pending(const seal_function& seal, std::size_t& batches)
{
    batches = 0;
    for (lane l : send_order) {
        while (totals(l).pending_rows > 0) {
            // Only the last batch of this call pays for an fsync, which makes
            // the earlier NORMAL commits durable too. When the seal function
            // takes fewer readings than loaded, this guess is early, and
            // next_batches() syncs the later batches before handing them out.
            bool last = totals(l).pending_rows <= limits_.batch_max_readings &&
                        (l == lane::telemetry || totals(lane::telemetry).pending_rows == 0);
            bool sealed = false;
            if (auto error = seal_one(l, seal, last, sealed)) {
                return error;
            }
            batches += sealed ? 1 : 0;
        }
    }
    return {};
}

std::error_code sqlite_outbox::seal_one(lane l, const seal_function& seal, bool durable, bool& sealed)
{
    sealed = false;
    full_sync_scope sync(st_.sync_full, st_.sync_normal, durable);
    sql::transaction tx(*db_);
    if (!tx.begin()) {
        return store_error::sqlite_error;
    }

    std::size_t loaded = 0;
    if (!load_batch(l, loaded)) {
        return store_error::sqlite_error;
    }
    if (batch_rows_.empty()) {
        // The in-memory totals disagree with the table; trust the table.
        spdlog::error("store {}: {} lane totals out of step with the database; resetting them", db_->path(),
                      lane_name(l));
        totals(l).pending_rows = 0;
        totals(l).pending_bytes = 0;
        return {};
    }

    std::uint64_t sequence = counters_.next_sequence;
    std::size_t sealed_readings = 0;
    if (loaded > 0) {
        sealed_readings = call_seal(seal, l, sequence, std::span<const reading>(batch_.data(), loaded));
        if (sealed_readings == 0) {
            return store_error::seal_failed;
        }
        sealed = true;
    }
    const batch_source source = batch_prefix(sealed_readings);
    if (!store_batch(l, sealed, sequence, source) || !tx.commit()) {
        sealed = false;
        return store_error::sqlite_error;
    }

    lane_totals& t = totals(l);
    t.pending_rows -= std::min<std::uint64_t>(t.pending_rows, source.rows);
    t.pending_bytes -= std::min(t.pending_bytes, source.bytes);
    if (sealed) {
        ++t.sealed_rows;
        t.sealed_bytes += envelope_.size();
        counters_.next_sequence = sequence + 1;
        unsynced_seals_ = !(durable && sync.active());
    }
    counters_.evicted += source.rows - source.readings;
    return {};
}

// Reads up to batch_max_readings pending rows of lane `l` into batch_rows_
// and the decodable ones into batch_. `loaded` counts the decodable ones.
bool sqlite_outbox::load_batch(lane l, std::size_t& loaded)
{
    auto& query = st_.select_pending_batch;
    sql::reset_on_exit guard(query);
    query.bind_int(1, lane_value(l));
    query.bind_int(2, static_cast<std::int64_t>(limits_.batch_max_readings));

    batch_rows_.clear();
    loaded = 0;
    int rc = 0;
    while ((rc = query.step("read pending readings")) == SQLITE_ROW) {
        pending_row& row = batch_rows_.emplace_back();
        row.id = query.column_int(0);
        row.bytes = static_cast<std::uint64_t>(query.column_int(3));

        if (loaded == batch_.size()) {
            batch_.emplace_back();
        }
        reading& r = batch_[loaded];
        if (!decode_reading_body(query.column_blob(4), r)) {
            // A damaged row must not block every later reading: it is
            // dropped with the batch and counted as evicted.
            spdlog::error("store {}: pending reading {} is undecodable; dropping it", db_->path(), row.id);
            continue;
        }
        r.device_id.assign(query.column_text(1));
        r.lane = l;
        r.ts_ms = query.column_int(2);
        row.decoded = true;
        ++loaded;
    }
    return rc == SQLITE_DONE;
}

// Sums the loaded rows up to the next decodable row after the first
// `readings` readings. When `readings` is all that was loaded, that covers
// every row, including undecodable ones at the end.
batch_source sqlite_outbox::batch_prefix(std::size_t readings) const
{
    batch_source prefix;
    for (const pending_row& row : batch_rows_) {
        if (row.decoded && prefix.readings == readings) {
            break;
        }
        ++prefix.rows;
        prefix.last_id = row.id;
        prefix.bytes += row.bytes;
        if (!row.decoded) {
            continue;
        }

        const reading& r = batch_[prefix.readings];
        prefix.oldest_ts_ms = prefix.readings == 0 ? r.ts_ms : std::min(prefix.oldest_ts_ms, r.ts_ms);
        if (r.clock_trusted) {
            prefix.newest_trusted_ts_ms = std::max(prefix.newest_trusted_ts_ms.value_or(r.ts_ms), r.ts_ms);
        }
        ++prefix.readings;
    }
    return prefix;
}

std::size_t sqlite_outbox::call_seal(const seal_function& seal, lane l, std::uint64_t sequence,
                                     std::span<const reading> readings)
{
    envelope_.clear();
    std::size_t sealed_readings = 0;
    try {
        sealed_readings = seal(l, sequence, readings, envelope_).readings;
    } catch (const std::exception& e) {
        spdlog::error("store {}: seal callback threw: {}", db_->path(), e.what());
    }
    if (sealed_readings > readings.size()) {
        spdlog::error("store {}: seal callback returned {} sealed readings but was given {}; treating it as a failure",
                      db_->path(), sealed_readings, readings.size());
        sealed_readings = 0;
    }
    if (sealed_readings > 0 && !envelope_.empty()) {
        return sealed_readings;
    }

    std::uint64_t suppressed = 0;
    if (warn_limiter_.allow("seal", suppressed)) {
        spdlog::warn("store {}: sealing {} {} readings with sequence {} failed; they stay pending "
                     "({} similar failures suppressed)",
                     db_->path(), readings.size(), lane_name(l), sequence, suppressed);
    }
    return 0;
}

bool sqlite_outbox::store_batch(lane l, bool sealed, std::uint64_t sequence, const batch_source& source)
{
    if (sealed) {
        st_.set_next_sequence.bind_int(1, static_cast<std::int64_t>(sequence + 1));
        if (!st_.set_next_sequence.run("persist next sequence")) {
            return false;
        }

        auto& insert = st_.insert_sealed;
        insert.bind_int(1, lane_value(l));
        insert.bind_int(2, static_cast<std::int64_t>(sequence));
        insert.bind_int(3, static_cast<std::int64_t>(source.readings));
        insert.bind_int(4, source.oldest_ts_ms);
        if (source.newest_trusted_ts_ms) {
            insert.bind_int(5, *source.newest_trusted_ts_ms);
        } else {
            insert.bind_null(5);
        }
        insert.bind_int(6, static_cast<std::int64_t>(envelope_.size()));
        insert.bind_blob(7, envelope_);
        if (!insert.run("insert sealed batch")) {
            return false;
        }
    }

    auto& remove = st_.delete_pending_through;
    remove.bind_int(1, lane_value(l));
    remove.bind_int(2, source.last_id);
    if (!remove.run("delete sealed readings")) {
        return false;
    }

    std::uint64_t dropped = source.rows - source.readings;
    if (dropped == 0) {
        return true;
    }
    st_.add_evicted.bind_int(1, static_cast<std::int64_t>(dropped));
    return st_.add_evicted.run("count dropped readings");
}

bool sqlite_outbox::sync_barrier()
{
    // A no-op UPDATE still writes a WAL frame, so its FULL commit fsyncs
    // the WAL and with it every earlier commit.
    full_sync_scope sync(st_.sync_full, st_.sync_normal, true);
    if (!sync.active()) {
        return false;
    }
    sql::transaction tx(*db_);
    if (!tx.begin() || !st_.touch_state.run("sync sealed batches") || !tx.commit()) {
        return false;
    }
    unsynced_seals_ = false;
    return true;
}

std::vector<sealed_batch> sqlite_outbox::next_batches(std::size_t max, const std::unordered_set<std::int64_t>& in_flight)
{
    std::vector<sealed_batch> result;
    if (max == 0 || (unsynced_seals_ && !sync_barrier())) {
        return result;
    }

    auto& query = st_.select_sealed_for_send;
    for (lane l : send_order) {
        if (totals(l).sealed_rows == 0) {
            continue;
        }
        sql::reset_on_exit guard(query);
        query.bind_int(1, lane_value(l));
        while (query.step("read sealed batches") == SQLITE_ROW) {
            std::int64_t id = query.column_int(0);
            if (in_flight.contains(id)) {
                continue;
            }
            auto bytes = query.column_blob(2);
            sealed_batch& b = result.emplace_back();
            b.id = id;
            b.sequence = static_cast<std::uint64_t>(query.column_int(1));
            b.lane = l;
            b.bytes.assign(bytes.begin(), bytes.end());
            if (result.size() == max) {
                return result;
            }
        }
    }
    return result;
}

std::error_code sqlite_outbox::acknowledge(std::int64_t batch_id)
{
    sql::transaction tx(*db_);
    if (!tx.begin()) {
        return store_error::sqlite_error;
    }

    auto& remove = st_.delete_sealed_returning;
    std::int64_t lane_index = 0;
    std::uint64_t readings = 0;
    std::uint64_t size = 0;
    {
        sql::reset_on_exit guard(remove);
        remove.bind_int(1, batch_id);
        int rc = remove.step("delete acknowledged batch");
        if (rc == SQLITE_DONE) {
            spdlog::debug("store {}: acknowledged batch {} is not in the outbox", db_->path(), batch_id);
            return store_error::not_found;
        }
        if (rc != SQLITE_ROW) {
            return store_error::sqlite_error;
        }
        lane_index = remove.column_int(0);
        readings = static_cast<std::uint64_t>(remove.column_int(1));
        size = static_cast<std::uint64_t>(remove.column_int(2));
        if (remove.step("delete acknowledged batch") != SQLITE_DONE) {
            return store_error::sqlite_error;
        }
    }

    st_.add_sent.bind_int(1, static_cast<std::int64_t>(readings));
    if (!st_.add_sent.run("count sent readings") || !tx.commit()) {
        return store_error::sqlite_error;
    }

    if (lane_index == lane_value(lane::telemetry) || lane_index == lane_value(lane::event)) {
        lane_totals& t = totals_[static_cast<std::size_t>(lane_index)];
        t.sealed_rows -= std::min<std::uint64_t>(t.sealed_rows, 1);
        t.sealed_bytes -= std::min(t.sealed_bytes, size);
    }
    counters_.sent += readings;
    return {};
}

std::optional<std::int64_t> sqlite_outbox::front_ts(lane l)
{
    std::optional<std::int64_t> oldest;
    auto read_first = [&](sql::statement& query, std::uint64_t rows) {
        if (rows == 0) {
            return;
        }
        sql::reset_on_exit guard(query);
        query.bind_int(1, lane_value(l));
        if (query.step("read oldest unsent timestamp") == SQLITE_ROW) {
            std::int64_t ts = query.column_int(0);
            oldest = std::min(oldest.value_or(ts), ts);
        }
    };
    read_first(st_.first_sealed_ts, totals(l).sealed_rows);
    read_first(st_.first_pending_ts, totals(l).pending_rows);
    return oldest;
}

stats sqlite_outbox::read_stats()
{
    stats s;
    auto depth = [](const lane_totals& t) {
        return lane_depth{t.pending_rows, t.sealed_rows, t.pending_bytes + t.sealed_bytes};
    };
    s.telemetry = depth(totals(lane::telemetry));
    s.event = depth(totals(lane::event));
    s.accepted = counters_.accepted;
    s.sent = counters_.sent;
    s.evicted = counters_.evicted;
    s.next_sequence = counters_.next_sequence;

    // The first row of each queue is its earliest accepted data; with a
    // stepped wall clock a later row may carry an older timestamp.
    std::optional<std::int64_t> oldest;
    for (lane l : send_order) {
        if (auto ts = front_ts(l)) {
            oldest = std::min(oldest.value_or(*ts), *ts);
        }
    }
    s.oldest_unsent_ms = oldest.value_or(0);
    return s;
}

} // namespace citygate::store::detail
