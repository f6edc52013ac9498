#pragma once
// Scoped PRAGMA synchronous=FULL for commits that must reach stable storage
// before they return (event readings, seals handed to the uplink).

#include "gateway/store/sqlite.hpp"

namespace citygate::store::detail {

// SQLite rejects a change of the safety level inside a transaction, so the
// scope must enclose the whole transaction.
class full_sync_scope {
public:
    full_sync_scope(sql::statement& full, sql::statement& normal, bool enable) : normal_(normal)
    {
        active_ = enable && full.run("set synchronous FULL");
    }
    full_sync_scope(const full_sync_scope&) = delete;
    full_sync_scope& operator=(const full_sync_scope&) = delete;
    ~full_sync_scope()
    {
        if (active_) {
            normal_.run("set synchronous NORMAL");
        }
    }

    bool active() const { return active_; }

private:
    sql::statement& normal_;
    bool active_ = false;
};

} // namespace citygate::store::detail
