#pragma once
// Small RAII wrappers over the SQLite C API used by the outbox: one
// connection, cached prepared statements and a transaction guard that rolls
// back on every path that does not commit.

#include "gateway/log/log.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace citygate::store::sql {

class database;

// A prepared statement, finalized on destruction.
class statement {
public:
    statement() = default;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement();

    // Prepares `sql` once for repeated use. Logs and returns false on failure.
    bool prepare(database& db, std::string_view sql);

    void bind_int(int index, std::int64_t value);
    void bind_null(int index);
    // The bytes must stay valid until reset(): SQLite does not copy them.
    void bind_blob(int index, std::span<const std::uint8_t> bytes);
    void bind_text(int index, std::string_view text);

    // Returns SQLITE_ROW, SQLITE_DONE or an error code; errors are logged
    // with `action` naming the step.
    int step(std::string_view action);

    // Runs a statement that returns no rows. Logs and returns false on failure.
    bool run(std::string_view action);

    std::int64_t column_int(int index);
    bool column_is_null(int index);
    std::span<const std::uint8_t> column_blob(int index);
    std::string_view column_text(int index);

    // Ends the current use so the statement holds no read snapshot.
    void reset();

private:
    database* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope that used it ends.
class reset_on_exit {
public:
    explicit reset_on_exit(statement& s) : s_(s) {}
    reset_on_exit(const reset_on_exit&) = delete;
    reset_on_exit& operator=(const reset_on_exit&) = delete;
    ~reset_on_exit() { s_.reset(); }

private:
    statement& s_;
};

// One SQLite connection and the path it was opened with (for log lines).
class database {
public:
    // Opens or creates the file. Logs and returns null on failure.
    static std::unique_ptr<database> open(const std::filesystem::path& path);

    database(const database&) = delete;
    database& operator=(const database&) = delete;
    ~database();

    sqlite3* handle() const { return db_; }
    const std::string& path() const { return path_; }

    // Runs one or more statements without results. Logs and returns false on failure.
    bool exec(std::string_view sql, std::string_view action);

    // Logs a failed SQLite call at ERROR with the path and SQLite's message,
    // at most once per 10 s for each action.
    void log_failure(std::string_view action, int rc);

    // Cached BEGIN IMMEDIATE / COMMIT / ROLLBACK used by `transaction`.
    statement begin_stmt;
    statement commit_stmt;
    statement rollback_stmt;

private:
    database(sqlite3* db, std::string path);

    sqlite3* db_;
    std::string path_;
    log::rate_limiter limiter_{std::chrono::seconds(10)};
};

// A write transaction (BEGIN IMMEDIATE). Unless commit() succeeded, the
// destructor issues ROLLBACK, so every early return undoes the changes.
class transaction {
public:
    explicit transaction(database& db) : db_(db) {}
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    ~transaction() { rollback(); }

    bool begin();
    bool commit();
    void rollback();

private:
    database& db_;
    bool open_ = false;
};

} // namespace citygate::store::sql
