// Opening the outbox: migrations, WAL, refusal of newer or damaged
// databases, and what must survive a close and reopen.

#include "gateway/store/migrations.hpp"
#include "tests/unit/store/test_seal.hpp"
#include "tests/unit/store/test_support.hpp"

#include <fstream>

using namespace citygate;
using namespace citygate::store;
using namespace citygate::store::test;

TEST_CASE("fresh database runs migrations and uses WAL")
{
    temp_dir dir;
    {
        auto box = open_outbox(dir.db());
        auto s = box->read_stats();
        CHECK(s.next_sequence == 1);
        CHECK(s.accepted == 0);
        CHECK(s.telemetry.pending_rows == 0);
        CHECK(s.event.pending_rows == 0);
        CHECK(s.oldest_unsent_ms == 0);
    }

    raw_db raw(dir.db());
    CHECK(raw.query_text("PRAGMA journal_mode") == "wal");
    auto latest = outbox_migrations().back().version;
    CHECK(raw.query_int("SELECT MAX(version) FROM schema_migrations") == latest);
    CHECK(raw.query_int("SELECT COUNT(*) FROM schema_migrations WHERE dirty <> 0") == 0);
    CHECK(raw.query_int("SELECT COUNT(*) FROM schema_migrations") == static_cast<std::int64_t>(outbox_migrations().size()));
    CHECK(raw.query_int("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('pending', 'sealed', 'outbox_state')") == 3);
}

TEST_CASE("migration list has strictly increasing versions from 1")
{
    int expected = 1;
    for (const migration& m : outbox_migrations()) {
        CHECK(m.version == expected);
        CHECK_FALSE(m.name.empty());
        ++expected;
    }
}

TEST_CASE("reopen applies no migration twice")
{
    temp_dir dir;
    open_outbox(dir.db());
    open_outbox(dir.db());

    raw_db raw(dir.db());
    CHECK(raw.query_int("SELECT COUNT(*) FROM schema_migrations") == static_cast<std::int64_t>(outbox_migrations().size()));
}

TEST_CASE("schema version newer than supported is rejected with schema_too_new")
{
    temp_dir dir;
    open_outbox(dir.db());
    {
        raw_db raw(dir.db());
        raw.exec("INSERT INTO schema_migrations (version, name, dirty, applied_at_ms) VALUES (999, 'future', 0, 0)");
    }

    std::error_code error;
    auto box = outbox::open(dir.db(), {}, error);
    CHECK(box == nullptr);
    CHECK(error == store_error::schema_too_new);
}

TEST_CASE("interrupted migration (dirty flag) is rejected with migration_failed")
{
    temp_dir dir;
    open_outbox(dir.db());
    {
        raw_db raw(dir.db());
        raw.exec("UPDATE schema_migrations SET dirty = 1");
    }

    std::error_code error;
    auto box = outbox::open(dir.db(), {}, error);
    CHECK(box == nullptr);
    CHECK(error == store_error::migration_failed);
}

TEST_CASE("corrupt file gives open_failed, not a crash")
{
    temp_dir dir;
    {
        std::ofstream out(dir.db(), std::ios::binary);
        std::string junk(8192, '\0');
        for (std::size_t i = 0; i < junk.size(); ++i) {
            junk[i] = static_cast<char>((i * 131 + 7) % 251);
        }
        out << junk;
    }

    std::error_code error;
    auto box = outbox::open(dir.db(), {}, error);
    CHECK(box == nullptr);
    CHECK(error == store_error::open_failed);
}

TEST_CASE("database path that is a directory gives open_failed")
{
    temp_dir dir;
    std::filesystem::create_directory(dir.db());

    std::error_code error;
    auto box = outbox::open(dir.db(), {}, error);
    CHECK(box == nullptr);
    CHECK(error == store_error::open_failed);
}

TEST_CASE("missing parent directories are created")
{
    temp_dir dir;
    auto path = dir.path() / "a" / "b" / "outbox.db";
    auto box = open_outbox(path);
    CHECK(std::filesystem::exists(path));
}

TEST_CASE("reopen keeps the sequence strictly increasing")
{
    temp_dir dir;
    std::vector<std::uint64_t> sequences;
    for (int round = 0; round < 3; ++round) {
        auto box = open_outbox(dir.db());
        std::vector<reading> readings{make_reading(1000 + round), make_reading(2000 + round, lane::event)};
        REQUIRE_FALSE(box->accept(readings));
        std::size_t sealed_count = 0;
        REQUIRE_FALSE(box->seal_pending(test_seal, sealed_count));
        CHECK(sealed_count == 2);

        // Acknowledging everything must not let a later sequence be reused.
        for (const auto& b : box->next_batches(10, {})) {
            sequences.push_back(b.sequence);
            REQUIRE_FALSE(box->acknowledge(b.id));
        }
    }

    REQUIRE(sequences.size() == 6);
    for (std::size_t i = 1; i < sequences.size(); ++i) {
        CHECK(sequences[i] > sequences[i - 1]);
    }
    auto box = open_outbox(dir.db());
    CHECK(box->read_stats().next_sequence > sequences.back());
}

TEST_CASE("sealed bytes identical after reopen")
{
    temp_dir dir;
    std::vector<sealed_batch> before;
    {
        auto box = open_outbox(dir.db());
        std::vector<reading> readings;
        for (int i = 0; i < 7; ++i) {
            readings.push_back(make_reading(1'700'000'000'000 + i, i % 3 == 0 ? lane::event : lane::telemetry, i * 0.5));
        }
        REQUIRE_FALSE(box->accept(readings));
        std::size_t sealed_count = 0;
        REQUIRE_FALSE(box->seal_pending(test_seal, sealed_count));
        before = box->next_batches(10, {});
        REQUIRE(before.size() == 2);
    }

    // A seal function that would produce different bytes proves that the
    // stored envelopes are returned, not re-sealed.
    auto box = open_outbox(dir.db());
    std::size_t sealed_count = 0;
    REQUIRE_FALSE(box->seal_pending([](lane, std::uint64_t, std::span<const reading> readings,
                                       std::vector<std::uint8_t>& out) {
        out = {0xde, 0xad};
        return sealed_prefix{readings.size()};
    }, sealed_count));
    CHECK(sealed_count == 0);

    auto after = box->next_batches(10, {});
    REQUIRE(after.size() == before.size());
    for (std::size_t i = 0; i < after.size(); ++i) {
        CHECK(after[i].id == before[i].id);
        CHECK(after[i].sequence == before[i].sequence);
        CHECK(after[i].lane == before[i].lane);
        CHECK(after[i].bytes == before[i].bytes);
    }
    auto decoded = decode_test_batch(after[0].bytes);
    REQUIRE(decoded.has_value());
    CHECK(decoded->sequence == after[0].sequence);
}

TEST_CASE("counters and depths persist across reopen")
{
    temp_dir dir;
    {
        limits lim;
        lim.batch_max_readings = 2;
        auto box = open_outbox(dir.db(), lim);
        std::vector<reading> readings{make_reading(1), make_reading(2), make_reading(3), make_reading(4, lane::event)};
        REQUIRE_FALSE(box->accept(readings));
        std::size_t sealed_count = 0;
        REQUIRE_FALSE(box->seal_pending(test_seal, sealed_count));
        auto batches = box->next_batches(1, {});
        REQUIRE(batches.size() == 1);
        REQUIRE_FALSE(box->acknowledge(batches[0].id));
        REQUIRE_FALSE(box->accept(std::vector<reading>{make_reading(5)}));
    }

    auto box = open_outbox(dir.db());
    auto s = box->read_stats();
    CHECK(s.accepted == 5);
    CHECK(s.sent == 1);
    CHECK(s.evicted == 0);
    CHECK(s.next_sequence == 4);
    CHECK(s.event.sealed_rows == 0);
    CHECK(s.telemetry.sealed_rows == 2);
    CHECK(s.telemetry.pending_rows == 1);
    CHECK(s.telemetry.bytes > 0);
    CHECK(s.oldest_unsent_ms == 1);
}
