#include "gateway/store/migrations.hpp"

#include "gateway/store/outbox.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>

namespace citygate::store {

namespace {

// sealed.id uses AUTOINCREMENT so a batch id is never handed out twice: a
// late PUBACK for an evicted batch must not delete a newer one.
constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE pending (
    id INTEGER PRIMARY KEY,
    lane INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    clock_trusted INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX pending_by_lane ON pending(lane);

CREATE TABLE sealed (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lane INTEGER NOT NULL,
    sequence INTEGER NOT NULL UNIQUE,
    readings INTEGER NOT NULL,
    oldest_ts_ms INTEGER NOT NULL,
    newest_trusted_ts_ms INTEGER,
    size INTEGER NOT NULL,
    envelope BLOB NOT NULL
);
CREATE INDEX sealed_by_lane ON sealed(lane);

CREATE TABLE outbox_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next_sequence INTEGER NOT NULL,
    accepted INTEGER NOT NULL,
    sent INTEGER NOT NULL,
    evicted INTEGER NOT NULL
);
INSERT INTO outbox_state (id, next_sequence, accepted, sent, evicted) VALUES (1, 1, 0, 0, 0);
)sql";

constexpr std::array migrations{
    migration{1, "create outbox tables", schema_v1},
};

std::int64_t now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Reads the highest applied version and whether any version is dirty.
bool read_state(sql::database& db, std::int64_t& version, bool& dirty)
{
    sql::statement query;
    if (!query.prepare(db, "SELECT COALESCE(MAX(version), 0), COALESCE(MAX(dirty), 0) FROM schema_migrations")) {
        return false;
    }
    sql::reset_on_exit guard(query);
    if (query.step("read schema version") != SQLITE_ROW) {
        return false;
    }
    version = query.column_int(0);
    dirty = query.column_int(1) != 0;
    return true;
}

bool set_dirty(sql::database& db, const migration& m, bool dirty)
{
    sql::statement update;
    bool prepared = dirty ? update.prepare(db, "INSERT INTO schema_migrations (version, name, dirty, applied_at_ms) "
                                               "VALUES (?1, ?2, 1, ?3)")
                          : update.prepare(db, "UPDATE schema_migrations SET dirty = 0 WHERE version = ?1");
    if (!prepared) {
        return false;
    }
    update.bind_int(1, m.version);
    if (dirty) {
        update.bind_text(2, m.name);
        update.bind_int(3, now_ms());
    }
    return update.run("record schema migration");
}

bool apply_one(sql::database& db, const migration& m)
{
    sql::transaction tx(db);
    if (!tx.begin() || !set_dirty(db, m, true)) {
        return false;
    }
    if (!db.exec(m.sql, "schema migration")) {
        return false;
    }
    if (!set_dirty(db, m, false)) {
        return false;
    }
    return tx.commit();
}

} // namespace

std::span<const migration> outbox_migrations()
{
    return migrations;
}

std::error_code apply_migrations(sql::database& db, std::span<const migration> list)
{
    const char* bootstrap = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                            "dirty INTEGER NOT NULL DEFAULT 0, applied_at_ms INTEGER NOT NULL)";
    std::int64_t version = 0;
    bool dirty = false;
    if (!db.exec(bootstrap, "create schema_migrations") || !read_state(db, version, dirty)) {
        return store_error::migration_failed;
    }

    if (dirty) {
        spdlog::error("store {}: a schema migration was interrupted (dirty flag set at version {}); "
                      "restore the database from backup or remove it",
                      db.path(), version);
        return store_error::migration_failed;
    }
    int latest = list.empty() ? 0 : list.back().version;
    if (version > latest) {
        spdlog::error("store {}: schema version {} is newer than this citygate supports ({}); "
                      "upgrade citygate or move the database away",
                      db.path(), version, latest);
        return store_error::schema_too_new;
    }

    for (const migration& m : list) {
        if (m.version <= version) {
            continue;
        }
        if (!apply_one(db, m)) {
            spdlog::error("store {}: schema migration {} ({}) failed; the database stays at version {}", db.path(),
                          m.version, m.name, version);
            return store_error::migration_failed;
        }
        spdlog::info("store {}: applied schema migration {} ({})", db.path(), m.version, m.name);
        version = m.version;
    }
    return {};
}

} // namespace citygate::store
