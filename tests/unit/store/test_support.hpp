#pragma once
// Shared fixtures for the outbox tests: a temporary directory removed at
// the end of each test, reading factories and raw SQLite queries that look
// at the database behind the outbox's back.

#include "gateway/store/outbox.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace citygate::store::test {

class temp_dir {
public:
    temp_dir()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "citygate-store-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path db() const { return path_ / "outbox.db"; }

private:
    std::filesystem::path path_;
};

inline reading make_reading(std::int64_t ts_ms, citygate::lane l = citygate::lane::telemetry, double value = 1.0,
                            std::string device = "wm-1")
{
    reading r;
    r.device_id = std::move(device);
    r.lane = l;
    r.ts_ms = ts_ms;
    r.values = {{"volume", "m3", value}, {"valve_open", "", true}, {"status", "", std::string("ok")}};
    return r;
}

// Opens the outbox or fails the test with the error.
inline std::unique_ptr<outbox> open_outbox(const std::filesystem::path& path, const limits& lim = {})
{
    std::error_code error;
    auto box = outbox::open(path, lim, error);
    INFO("open error: " << error.message());
    REQUIRE(box != nullptr);
    REQUIRE_FALSE(error);
    return box;
}

// A second, raw connection for checks the outbox API does not expose.
class raw_db {
public:
    explicit raw_db(const std::filesystem::path& path)
    {
        REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
        sqlite3_busy_timeout(db_, 5000);
    }
    raw_db(const raw_db&) = delete;
    raw_db& operator=(const raw_db&) = delete;
    ~raw_db() { sqlite3_close_v2(db_); }

    // Returns the first column of the first row as text ("" when there is no row).
    std::string query_text(const std::string& sql)
    {
        sqlite3_stmt* stmt = nullptr;
        REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
        std::string result;
        if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
            result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        }
        sqlite3_finalize(stmt);
        return result;
    }

    std::int64_t query_int(const std::string& sql) { return std::stoll(query_text(sql)); }

    void exec(const std::string& sql)
    {
        char* message = nullptr;
        int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
        INFO("sqlite: " << (message != nullptr ? message : ""));
        sqlite3_free(message);
        REQUIRE(rc == SQLITE_OK);
    }

private:
    sqlite3* db_ = nullptr;
};

} // namespace citygate::store::test
