#pragma once
// Numbered schema migrations of the outbox database. Applied versions are
// recorded in `schema_migrations`; each migration runs in one transaction
// that sets its dirty flag first and clears it last.

#include "gateway/store/sqlite.hpp"

#include <span>
#include <string_view>
#include <system_error>

namespace citygate::store {

struct migration {
    int version = 0;        // strictly increasing, starting at 1
    std::string_view name;  // short description stored with the version
    std::string_view sql;   // one or more statements
};

// The outbox schema, oldest first. Append new versions; never edit one that shipped.
std::span<const migration> outbox_migrations();

// Applies every migration in `list` newer than the database's version.
// Returns schema_too_new when the database has a version above the last
// in `list`, and migration_failed when a migration fails or an earlier one
// left its dirty flag set.
std::error_code apply_migrations(sql::database& db, std::span<const migration> list);

} // namespace citygate::store
