#include "gateway/store/outbox.hpp"

#include <string>

namespace citygate::store {

namespace {

class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.store"; }

    std::string message(int value) const override
    {
        switch (static_cast<store_error>(value)) {
        case store_error::open_failed:
            return "outbox database could not be opened";
        case store_error::migration_failed:
            return "outbox schema migration failed; the database needs repair or removal";
        case store_error::schema_too_new:
            return "outbox database was written by a newer citygate version";
        case store_error::sqlite_error:
            return "outbox SQLite operation failed";
        case store_error::seal_failed:
            return "sealing a batch failed; the outbox is unchanged";
        case store_error::not_found:
            return "batch id not found in the outbox";
        case store_error::invalid_reading:
            return "reading exceeds the outbox size limits; nothing was committed";
        }
        return "unknown outbox error";
    }
};

} // namespace

const std::error_category& store_category() noexcept
{
    static const category instance;
    return instance;
}

std::error_code make_error_code(store_error e) noexcept
{
    return {static_cast<int>(e), store_category()};
}

} // namespace citygate::store
