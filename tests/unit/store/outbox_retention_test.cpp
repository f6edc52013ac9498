// Retention: the byte cap and the age cap evict the oldest telemetry
// first, events only when no telemetry remains, and count every eviction.

#include "tests/unit/store/test_seal.hpp"
#include "tests/unit/store/test_support.hpp"

using namespace citygate;
using namespace citygate::store;
using namespace citygate::store::test;

namespace {

// Stored bytes of one make_reading() row; every row in these tests has the same size.
std::uint64_t reading_bytes()
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    REQUIRE_FALSE(box->accept(std::vector<reading>{make_reading(1)}));
    return box->read_stats().telemetry.bytes;
}

void accept_one(outbox& box, std::int64_t ts, lane l, bool trusted = true)
{
    reading r = make_reading(ts, l);
    r.clock_trusted = trusted;
    REQUIRE_FALSE(box.accept(std::vector<reading>{r}));
}

// Seals what is pending and returns the timestamps per lane in send order.
std::vector<std::int64_t> sealed_timestamps(outbox& box, lane l)
{
    std::size_t sealed_count = 0;
    REQUIRE_FALSE(box.seal_pending(test_seal, sealed_count));
    std::vector<std::int64_t> result;
    for (const auto& b : box.next_batches(1000, {})) {
        auto decoded = decode_test_batch(b.bytes);
        REQUIRE(decoded.has_value());
        if (decoded->lane != l) {
            continue;
        }
        for (const auto& r : decoded->readings) {
            result.push_back(r.ts_ms);
        }
    }
    return result;
}

std::uint64_t enforce(outbox& box, std::int64_t now_ms)
{
    std::uint64_t evicted = 0;
    REQUIRE_FALSE(box.enforce_retention(now_ms, evicted));
    return evicted;
}

limits byte_cap(std::uint64_t max_bytes)
{
    limits lim;
    lim.max_bytes = max_bytes;
    lim.max_age = std::chrono::milliseconds(0);
    return lim;
}

limits age_cap(std::chrono::milliseconds max_age)
{
    limits lim;
    lim.max_bytes = 0;
    lim.max_age = max_age;
    return lim;
}

} // namespace

TEST_CASE("retention under both caps evicts nothing")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    accept_one(*box, 1'700'000'000'000, lane::telemetry);
    CHECK(enforce(*box, 1'700'000'000'000) == 0);
    CHECK(box->read_stats().evicted == 0);
    CHECK(box->read_stats().telemetry.pending_rows == 1);
}

TEST_CASE("byte cap evicts oldest telemetry first")
{
    const std::uint64_t row = reading_bytes();
    temp_dir dir;
    auto box = open_outbox(dir.db(), byte_cap(5 * row));
    for (std::int64_t ts = 1; ts <= 4; ++ts) {
        accept_one(*box, ts, lane::telemetry);
    }
    accept_one(*box, 100, lane::event);
    accept_one(*box, 101, lane::event);
    accept_one(*box, 5, lane::telemetry);
    accept_one(*box, 6, lane::telemetry);

    CHECK(enforce(*box, 0) == 3);
    auto s = box->read_stats();
    CHECK(s.evicted == 3);
    CHECK(s.telemetry.pending_rows == 3);
    CHECK(s.event.pending_rows == 2);
    CHECK(s.telemetry.bytes + s.event.bytes <= 5 * row);

    CHECK(sealed_timestamps(*box, lane::telemetry) == std::vector<std::int64_t>{4, 5, 6});
    CHECK(sealed_timestamps(*box, lane::event) == std::vector<std::int64_t>{100, 101});
}

TEST_CASE("byte cap evicts sealed telemetry before pending telemetry")
{
    const std::uint64_t row = reading_bytes();
    temp_dir dir;
    auto box = open_outbox(dir.db(), byte_cap(0));
    for (std::int64_t ts = 1; ts <= 3; ++ts) {
        accept_one(*box, ts, lane::telemetry);
    }
    std::size_t sealed_count = 0;
    REQUIRE_FALSE(box->seal_pending(test_seal, sealed_count));
    for (std::int64_t ts = 4; ts <= 6; ++ts) {
        accept_one(*box, ts, lane::telemetry);
    }
    auto total = box->read_stats().telemetry.bytes;
    REQUIRE(total > 3 * row);
    box.reset();

    // One byte over the cap drops the whole sealed batch, the oldest data.
    box = open_outbox(dir.db(), byte_cap(total - 1));
    CHECK(enforce(*box, 0) == 3);
    auto s = box->read_stats();
    CHECK(s.telemetry.sealed_rows == 0);
    CHECK(s.telemetry.pending_rows == 3);
    CHECK(s.telemetry.bytes == 3 * row);
    CHECK(sealed_timestamps(*box, lane::telemetry) == std::vector<std::int64_t>{4, 5, 6});
}

TEST_CASE("byte cap evicts events only when no telemetry remains")
{
    const std::uint64_t row = reading_bytes();
    temp_dir dir;

    SUBCASE("telemetry covers the excess")
    {
        auto box = open_outbox(dir.db(), byte_cap(2 * row));
        accept_one(*box, 1, lane::event);
        accept_one(*box, 2, lane::event);
        accept_one(*box, 3, lane::telemetry);
        accept_one(*box, 4, lane::telemetry);
        CHECK(enforce(*box, 0) == 2);
        CHECK(box->read_stats().event.pending_rows == 2);
        CHECK(box->read_stats().telemetry.pending_rows == 0);
    }
    SUBCASE("telemetry does not cover the excess")
    {
        auto box = open_outbox(dir.db(), byte_cap(row));
        accept_one(*box, 1, lane::event);
        accept_one(*box, 2, lane::event);
        accept_one(*box, 3, lane::telemetry);
        CHECK(enforce(*box, 0) == 2);
        auto s = box->read_stats();
        CHECK(s.telemetry.pending_rows == 0);
        CHECK(s.event.pending_rows == 1);
        CHECK(sealed_timestamps(*box, lane::event) == std::vector<std::int64_t>{2});
    }
}

TEST_CASE("age cap evicts expired telemetry")
{
    temp_dir dir;
    auto box = open_outbox(dir.db(), age_cap(std::chrono::milliseconds(1000)));
    accept_one(*box, 1000, lane::telemetry);
    accept_one(*box, 2000, lane::telemetry);
    accept_one(*box, 4500, lane::telemetry);
    accept_one(*box, 4600, lane::telemetry);

    CHECK(enforce(*box, 5000) == 2);
    CHECK(box->read_stats().evicted == 2);
    CHECK(box->read_stats().oldest_unsent_ms == 4500);
    CHECK(sealed_timestamps(*box, lane::telemetry) == std::vector<std::int64_t>{4500, 4600});
}

TEST_CASE("age cap applies to sealed batches by their newest reading")
{
    temp_dir dir;
    limits lim = age_cap(std::chrono::milliseconds(1000));
    lim.batch_max_readings = 2;
    auto box = open_outbox(dir.db(), lim);
    accept_one(*box, 1000, lane::telemetry);
    accept_one(*box, 2000, lane::telemetry);
    accept_one(*box, 3000, lane::telemetry);
    accept_one(*box, 4500, lane::telemetry);
    std::size_t sealed_count = 0;
    REQUIRE_FALSE(box->seal_pending(test_seal, sealed_count));
    REQUIRE(sealed_count == 2);

    // The second batch holds 3000 (expired) and 4500 (not), so it stays whole.
    CHECK(enforce(*box, 5000) == 2);
    auto batches = box->next_batches(10, {});
    REQUIRE(batches.size() == 1);
    auto decoded = decode_test_batch(batches[0].bytes);
    REQUIRE(decoded.has_value());
    REQUIRE(decoded->readings.size() == 2);
    CHECK(decoded->readings[0].ts_ms == 3000);
}

TEST_CASE("age cap keeps untrusted timestamps unless a later reading expired")
{
    temp_dir dir;
    auto box = open_outbox(dir.db(), age_cap(std::chrono::milliseconds(1000)));
    accept_one(*box, 5, lane::telemetry, false);
    accept_one(*box, 1000, lane::telemetry);
    accept_one(*box, 7, lane::telemetry, false);
    accept_one(*box, 4500, lane::telemetry);

    CHECK(enforce(*box, 5000) == 2);
    CHECK(sealed_timestamps(*box, lane::telemetry) == std::vector<std::int64_t>{7, 4500});
}

TEST_CASE("age cap evicts events only when no telemetry remains")
{
    temp_dir dir;
    auto box = open_outbox(dir.db(), age_cap(std::chrono::milliseconds(1000)));
    accept_one(*box, 100, lane::event);
    accept_one(*box, 4800, lane::telemetry);

    // The event expired but fresh telemetry remains, so the event stays.
    CHECK(enforce(*box, 5000) == 0);
    CHECK(box->read_stats().event.pending_rows == 1);

    // Expired telemetry goes first, and then the event may go in the same pass.
    CHECK(enforce(*box, 10'000) == 2);
    auto s = box->read_stats();
    CHECK(s.telemetry.pending_rows == 0);
    CHECK(s.event.pending_rows == 0);
    CHECK(s.evicted == 2);
}

TEST_CASE("evictions are counted and persisted")
{
    const std::uint64_t row = reading_bytes();
    temp_dir dir;
    {
        auto box = open_outbox(dir.db(), byte_cap(row));
        for (std::int64_t ts = 1; ts <= 4; ++ts) {
            accept_one(*box, ts, lane::telemetry);
        }
        CHECK(enforce(*box, 0) == 3);
        accept_one(*box, 5, lane::telemetry);
        CHECK(enforce(*box, 0) == 1);
    }

    raw_db raw(dir.db());
    CHECK(raw.query_int("SELECT evicted FROM outbox_state") == 4);
    CHECK(raw.query_int("SELECT COUNT(*) FROM pending") == 1);

    auto box = open_outbox(dir.db(), byte_cap(row));
    auto s = box->read_stats();
    CHECK(s.evicted == 4);
    CHECK(s.accepted == 5);
    CHECK(s.telemetry.pending_rows == 1);
    CHECK(s.telemetry.bytes == row);
}

TEST_CASE("late acknowledge of an evicted batch gives not_found")
{
    temp_dir dir;
    auto box = open_outbox(dir.db(), byte_cap(1));
    accept_one(*box, 1, lane::telemetry);
    std::size_t sealed_count = 0;
    REQUIRE_FALSE(box->seal_pending(test_seal, sealed_count));
    auto batches = box->next_batches(10, {});
    REQUIRE(batches.size() == 1);

    CHECK(enforce(*box, 0) == 1);
    CHECK(box->acknowledge(batches[0].id) == store_error::not_found);
    CHECK(box->read_stats().sent == 0);

    // Batch ids are never reused, so the stale id cannot hit a new batch.
    accept_one(*box, 2, lane::telemetry);
    REQUIRE_FALSE(box->seal_pending(test_seal, sealed_count));
    auto fresh = box->next_batches(10, {});
    REQUIRE(fresh.size() == 1);
    CHECK(fresh[0].id != batches[0].id);
}

TEST_CASE("age cap and timestamps past 2038")
{
    // SQLite stores ts as a 64-bit integer and the age cap compares
    // milliseconds, so nothing here depends on the width of time_t.
    constexpr std::int64_t year_2040_ms = 2208988800000; // 2040-01-01 00:00:00 UTC
    constexpr std::int64_t year_2100_ms = 4102444800000; // 2100-01-01 00:00:00 UTC
    temp_dir dir;
    auto box = open_outbox(dir.db(), age_cap(std::chrono::hours(24)));
    accept_one(*box, year_2040_ms, lane::telemetry);
    accept_one(*box, year_2100_ms - 1000, lane::telemetry);
    accept_one(*box, year_2100_ms + 1, lane::telemetry);

    CHECK(box->read_stats().oldest_unsent_ms == year_2040_ms);
    CHECK(enforce(*box, year_2100_ms) == 1);
    CHECK(box->read_stats().oldest_unsent_ms == year_2100_ms - 1000);
    CHECK(sealed_timestamps(*box, lane::telemetry) == std::vector<std::int64_t>{year_2100_ms - 1000, year_2100_ms + 1});
}
