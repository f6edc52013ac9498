// Opening the outbox: connection settings, migrations, statements and the
// in-memory totals.

#include "gateway/store/migrations.hpp"
#include "gateway/store/sqlite_outbox.hpp"

#include <spdlog/spdlog.h>

#include <string>

namespace citygate::store {

namespace detail {

namespace {

// A 512 KiB page cache (KiB when negative) and no memory-mapped I/O keep
// the daemon's RSS small. Pages beyond the cache are read back from the
// kernel's page cache, not from the disk. Sealed batches live briefly and their pages are
// reused, so checkpointing every 4096 pages (16 MiB of WAL at 4 KiB pages)
// copies a reused page less often than SQLite's default of 1000 pages.
// After a checkpoint the WAL file is truncated back to 16 MiB.
constexpr const char* connection_pragmas = "PRAGMA synchronous = NORMAL;"
                                           "PRAGMA cache_size = -512;"
                                           "PRAGMA mmap_size = 0;"
                                           "PRAGMA wal_autocheckpoint = 4096;"
                                           "PRAGMA journal_size_limit = 16777216;"
                                           "PRAGMA temp_store = MEMORY;";

struct statement_text {
    sql::statement* target;
    const char* sql;
};

} // namespace

sqlite_outbox::sqlite_outbox(std::unique_ptr<sql::database> db, const limits& lim)
    : db_(std::move(db)), limits_(lim)
{
    if (limits_.batch_max_readings == 0) {
        spdlog::warn("store {}: batch_max_readings 0 is invalid; using 1", db_->path());
        limits_.batch_max_readings = 1;
    }
}

std::error_code sqlite_outbox::init()
{
    if (!configure_connection()) {
        return store_error::open_failed;
    }
    if (auto error = apply_migrations(*db_, outbox_migrations())) {
        return error;
    }
    if (!prepare_statements() || !load_totals()) {
        return store_error::open_failed;
    }
    return {};
}

bool sqlite_outbox::configure_connection()
{
    sql::statement wal;
    if (!wal.prepare(*db_, "PRAGMA journal_mode = WAL")) {
        return false;
    }
    {
        sql::reset_on_exit guard(wal);
        if (wal.step("enable WAL") != SQLITE_ROW) {
            return false;
        }
        // SQLite answers with the mode in force, which stays the old one
        // when WAL is unavailable (e.g. no shared memory on the file system).
        if (wal.column_text(0) != "wal") {
            spdlog::error("store {}: WAL journal mode unavailable (journal mode is {})", db_->path(),
                          std::string(wal.column_text(0)));
            return false;
        }
    }
    return db_->exec(connection_pragmas, "set connection PRAGMAs");
}

bool sqlite_outbox::prepare_statements()
{
    const statement_text all[] = {
        {&st_.sync_full, "PRAGMA synchronous = FULL"},
        {&st_.sync_normal, "PRAGMA synchronous = NORMAL"},
        {&st_.insert_pending, "INSERT INTO pending (lane, device_id, ts_ms, clock_trusted, bytes, body) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
        {&st_.add_accepted, "UPDATE outbox_state SET accepted = accepted + ?1 WHERE id = 1"},
        {&st_.select_pending_batch, "SELECT id, device_id, ts_ms, bytes, body FROM pending "
                                    "WHERE lane = ?1 ORDER BY id LIMIT ?2"},
        {&st_.delete_pending_through, "DELETE FROM pending WHERE lane = ?1 AND id <= ?2"},
        {&st_.insert_sealed, "INSERT INTO sealed (lane, sequence, readings, oldest_ts_ms, newest_trusted_ts_ms, "
                             "size, envelope) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
        {&st_.set_next_sequence, "UPDATE outbox_state SET next_sequence = ?1 WHERE id = 1"},
        {&st_.add_evicted, "UPDATE outbox_state SET evicted = evicted + ?1 WHERE id = 1"},
        {&st_.select_sealed_for_send, "SELECT id, sequence, envelope FROM sealed WHERE lane = ?1 ORDER BY id"},
        {&st_.delete_sealed_returning, "DELETE FROM sealed WHERE id = ?1 RETURNING lane, readings, size"},
        {&st_.add_sent, "UPDATE outbox_state SET sent = sent + ?1 WHERE id = 1"},
        {&st_.select_sealed_front, "SELECT id, readings, size, newest_trusted_ts_ms FROM sealed "
                                   "WHERE lane = ?1 ORDER BY id"},
        {&st_.select_pending_front, "SELECT id, bytes, ts_ms, clock_trusted FROM pending "
                                    "WHERE lane = ?1 ORDER BY id"},
        {&st_.delete_sealed_through, "DELETE FROM sealed WHERE lane = ?1 AND id <= ?2"},
        {&st_.touch_state, "UPDATE outbox_state SET next_sequence = next_sequence WHERE id = 1"},
        {&st_.first_sealed_ts, "SELECT oldest_ts_ms FROM sealed WHERE lane = ?1 ORDER BY id LIMIT 1"},
        {&st_.first_pending_ts, "SELECT ts_ms FROM pending WHERE lane = ?1 ORDER BY id LIMIT 1"},
    };
    for (const statement_text& s : all) {
        if (!s.target->prepare(*db_, s.sql)) {
            return false;
        }
    }
    return true;
}

bool sqlite_outbox::load_totals()
{
    sql::statement state;
    sql::statement pending;
    sql::statement sealed;
    bool prepared =
        state.prepare(*db_, "SELECT next_sequence, accepted, sent, evicted FROM outbox_state WHERE id = 1") &&
        pending.prepare(*db_, "SELECT lane, COUNT(*), COALESCE(SUM(bytes), 0) FROM pending GROUP BY lane") &&
        sealed.prepare(*db_, "SELECT lane, COUNT(*), COALESCE(SUM(size), 0) FROM sealed GROUP BY lane");
    if (!prepared) {
        return false;
    }

    sql::reset_on_exit state_guard(state);
    if (state.step("read outbox state") != SQLITE_ROW) {
        spdlog::error("store {}: the outbox_state row is missing", db_->path());
        return false;
    }
    counters_.next_sequence = static_cast<std::uint64_t>(state.column_int(0));
    counters_.accepted = static_cast<std::uint64_t>(state.column_int(1));
    counters_.sent = static_cast<std::uint64_t>(state.column_int(2));
    counters_.evicted = static_cast<std::uint64_t>(state.column_int(3));

    totals_ = {};
    int rc = 0;
    sql::reset_on_exit pending_guard(pending);
    while ((rc = pending.step("count pending readings")) == SQLITE_ROW) {
        auto index = static_cast<std::size_t>(pending.column_int(0));
        if (index < totals_.size()) {
            totals_[index].pending_rows = static_cast<std::uint64_t>(pending.column_int(1));
            totals_[index].pending_bytes = static_cast<std::uint64_t>(pending.column_int(2));
        }
    }
    if (rc != SQLITE_DONE) {
        return false;
    }

    sql::reset_on_exit sealed_guard(sealed);
    while ((rc = sealed.step("count sealed batches")) == SQLITE_ROW) {
        auto index = static_cast<std::size_t>(sealed.column_int(0));
        if (index < totals_.size()) {
            totals_[index].sealed_rows = static_cast<std::uint64_t>(sealed.column_int(1));
            totals_[index].sealed_bytes = static_cast<std::uint64_t>(sealed.column_int(2));
        }
    }
    return rc == SQLITE_DONE;
}

} // namespace detail

std::unique_ptr<outbox> outbox::open(const std::filesystem::path& path, const limits& lim, std::error_code& error)
{
    error.clear();

    std::error_code fs_error;
    if (path.has_parent_path()) {
        std::filesystem::create_directories(path.parent_path(), fs_error);
    }
    if (fs_error) {
        spdlog::error("store {}: cannot create the parent directory: {}", path.string(), fs_error.message());
        error = store_error::open_failed;
        return nullptr;
    }

    auto db = sql::database::open(path);
    if (!db) {
        error = store_error::open_failed;
        return nullptr;
    }

    auto box = std::make_unique<detail::sqlite_outbox>(std::move(db), lim);
    error = box->init();
    if (error) {
        return nullptr;
    }
    return box;
}

} // namespace citygate::store
