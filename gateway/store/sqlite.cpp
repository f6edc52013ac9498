#include "gateway/store/sqlite.hpp"

#include <spdlog/spdlog.h>


namespace citygate::store::sql {

statement::~statement()
{
    sqlite3_finalize(stmt_);
}

bool statement::prepare(database& db, std::string_view sql)
{
    db_ = &db;
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &stmt_, nullptr);
    if (rc != SQLITE_OK) {
        db.log_failure("prepare statement", rc);
        return false;
    }
    return true;
}

void statement::bind_int(int index, std::int64_t value)
{
    sqlite3_bind_int64(stmt_, index, value);
}

void statement::bind_null(int index)
{
    sqlite3_bind_null(stmt_, index);
}

void statement::bind_blob(int index, std::span<const std::uint8_t> bytes)
{
    // A zero-length blob still needs a non-null pointer, or SQLite stores NULL.
    static constexpr std::uint8_t empty = 0;
    const void* data = bytes.empty() ? &empty : bytes.data();
    sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_STATIC);
}

void statement::bind_text(int index, std::string_view text)
{
    sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

int statement::step(std::string_view action)
{
    int rc = sqlite3_step(stmt_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_->log_failure(action, rc);
    }
    return rc;
}

bool statement::run(std::string_view action)
{
    reset_on_exit guard(*this);
    int rc = step(action);
    if (rc == SQLITE_ROW) {
        // A statement run for its effect, e.g. a PRAGMA that echoes its value.
        while (rc == SQLITE_ROW) {
            rc = sqlite3_step(stmt_);
        }
    }
    return rc == SQLITE_DONE;
}

std::int64_t statement::column_int(int index)
{
    return sqlite3_column_int64(stmt_, index);
}

bool statement::column_is_null(int index)
{
    return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

std::span<const std::uint8_t> statement::column_blob(int index)
{
    const void* data = sqlite3_column_blob(stmt_, index);
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
    if (data == nullptr) {
        return {};
    }
    return {static_cast<const std::uint8_t*>(data), size};
}

std::string_view statement::column_text(int index)
{
    const unsigned char* data = sqlite3_column_text(stmt_, index);
    auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
    if (data == nullptr) {
        return {};
    }
    return {reinterpret_cast<const char*>(data), size};
}

void statement::reset()
{
    // The error of a failed step was already logged by step().
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

database::database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

database::~database()
{
    // close_v2 defers the close until the statements that outlive this
    // body (members here and in the outbox) are finalized.
    sqlite3_close_v2(db_);
}

std::unique_ptr<database> database::open(const std::filesystem::path& path)
{
    sqlite3* raw = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    if (rc != SQLITE_OK) {
        const char* message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
        spdlog::error("store {}: open failed: {}", path.string(), message);
        sqlite3_close_v2(raw);
        return nullptr;
    }

    std::unique_ptr<database> db(new database(raw, path.string()));

    // A reader such as the citygate CLI may hold a lock briefly.
    sqlite3_busy_timeout(raw, 5000);

    bool prepared = db->begin_stmt.prepare(*db, "BEGIN IMMEDIATE") && db->commit_stmt.prepare(*db, "COMMIT") &&
                    db->rollback_stmt.prepare(*db, "ROLLBACK");
    if (!prepared) {
        return nullptr;
    }
    return db;
}

bool database::exec(std::string_view sql, std::string_view action)
{
    std::string text(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        spdlog::error("store {}: {} failed: {}", path_, action, message != nullptr ? message : sqlite3_errstr(rc));
        sqlite3_free(message);
        return false;
    }
    return true;
}

void database::log_failure(std::string_view action, int rc)
{
    std::uint64_t suppressed = 0;
    if (!limiter_.allow(std::string(action), suppressed)) {
        return;
    }
    if (suppressed > 0) {
        spdlog::error("store {}: {} failed: {} ({}; {} similar errors suppressed)", path_, action,
                      sqlite3_errmsg(db_), sqlite3_errstr(rc), suppressed);
        return;
    }
    spdlog::error("store {}: {} failed: {} ({})", path_, action, sqlite3_errmsg(db_), sqlite3_errstr(rc));
}

bool transaction::begin()
{
    open_ = db_.begin_stmt.run("begin transaction");
    return open_;
}

bool transaction::commit()
{
    if (!open_) {
        return false;
    }
    if (!db_.commit_stmt.run("commit transaction")) {
        rollback();
        return false;
    }
    open_ = false;
    return true;
}

void transaction::rollback()
{
    if (!open_) {
        return;
    }
    open_ = false;

    // SQLite rolls back by itself after some errors (SQLITE_FULL, I/O
    // errors); a second ROLLBACK would then fail with "no transaction".
    if (sqlite3_get_autocommit(db_.handle()) == 0) {
        db_.rollback_stmt.run("rollback transaction");
    }
}

} // namespace citygate::store::sql
