// Sealing readings as they are accepted (accept_sealed), the pipeline's
// path while nothing is pending.

#include "tests/unit/store/test_seal.hpp"
#include "tests/unit/store/test_support.hpp"

using namespace citygate;
using namespace citygate::store;
using namespace citygate::store::test;

namespace {

sealed_prefix failing_seal(lane, std::uint64_t, std::span<const reading>, std::vector<std::uint8_t>&)
{
    return sealed_prefix{0};
}

// Collects the first value of every reading in the sealed batches, in batch
// order, and the number of readings in each batch.
void read_back(outbox& box, std::vector<double>& values, std::vector<std::size_t>& sizes)
{
    for (const auto& batch : box.next_batches(100, {})) {
        const auto decoded = decode_test_batch(batch.bytes);
        REQUIRE(decoded);
        sizes.push_back(decoded->readings.size());
        for (const auto& r : decoded->readings)
            values.push_back(r.value);
    }
}

// Builds telemetry readings whose first value is their index, 0 to count - 1.
std::vector<reading> numbered_readings(int count)
{
    std::vector<reading> readings;
    for (int i = 0; i < count; ++i)
        readings.push_back(make_reading(100 + i, lane::telemetry, i));
    return readings;
}

} // namespace

TEST_CASE("accept_sealed stores batches, never pending rows")
{
    temp_dir dir;
    limits lim;
    lim.batch_max_readings = 4;
    auto box = open_outbox(dir.db(), lim);

    const auto readings = numbered_readings(10);
    std::size_t batches = 0;
    REQUIRE_FALSE(box->accept_sealed(readings, test_seal, batches));
    CHECK(batches == 3);

    raw_db raw(dir.db());
    CHECK(raw.query_int("SELECT COUNT(*) FROM pending") == 0);
    CHECK(raw.query_int("SELECT COUNT(*) FROM sealed") == 3);
    CHECK(raw.query_int("SELECT accepted FROM outbox_state") == 10);

    const auto sent = box->next_batches(10, {});
    REQUIRE(sent.size() == 3);
    std::vector<double> values;
    for (const auto& batch : sent) {
        const auto decoded = decode_test_batch(batch.bytes);
        REQUIRE(decoded);
        CHECK(decoded->sequence == batch.sequence);
        for (const auto& r : decoded->readings)
            values.push_back(r.value);
    }
    CHECK(values == std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(sent[0].sequence + 1 == sent[1].sequence);
    CHECK(sent[1].sequence + 1 == sent[2].sequence);
}

TEST_CASE("accept_sealed seals the event lane first")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    const std::vector<reading> readings{make_reading(100, lane::telemetry, 1), make_reading(101, lane::event, 2),
                                        make_reading(102, lane::telemetry, 3)};
    std::size_t batches = 0;
    REQUIRE_FALSE(box->accept_sealed(readings, test_seal, batches));
    CHECK(batches == 2);

    const auto sent = box->next_batches(10, {});
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].lane == lane::event);
    CHECK(sent[1].lane == lane::telemetry);
    CHECK(sent[0].sequence < sent[1].sequence);
    CHECK(decode_test_batch(sent[1].bytes)->readings.size() == 2);

    const auto stats = box->read_stats();
    CHECK(stats.accepted == 3);
    CHECK(stats.event.sealed_rows == 1);
    CHECK(stats.telemetry.sealed_rows == 1);
}

TEST_CASE("accept_sealed seal failure commits nothing")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    const auto before = box->read_stats();

    std::size_t batches = 0;
    const std::vector<reading> readings{make_reading(100)};
    CHECK(box->accept_sealed(readings, failing_seal, batches) == store_error::seal_failed);
    CHECK(batches == 0);

    const auto after = box->read_stats();
    CHECK(after.accepted == before.accepted);
    CHECK(after.next_sequence == before.next_sequence);
    CHECK(after.telemetry.sealed_rows == 0);
    raw_db raw(dir.db());
    CHECK(raw.query_int("SELECT COUNT(*) FROM sealed") == 0);

    // The fallback path still takes the readings.
    CHECK_FALSE(box->accept(readings));
    CHECK(box->read_stats().telemetry.pending_rows == 1);
}

TEST_CASE("accept_sealed sequence survives reopen")
{
    temp_dir dir;
    std::uint64_t last = 0;
    {
        auto box = open_outbox(dir.db());
        std::size_t batches = 0;
        REQUIRE_FALSE(box->accept_sealed(std::vector<reading>{make_reading(100)}, test_seal, batches));
        last = box->next_batches(1, {}).at(0).sequence;
    }
    auto box = open_outbox(dir.db());
    std::size_t batches = 0;
    REQUIRE_FALSE(box->accept_sealed(std::vector<reading>{make_reading(101)}, test_seal, batches));
    const auto sent = box->next_batches(10, {});
    REQUIRE(sent.size() == 2);
    CHECK(sent[1].sequence == last + 1);
}

TEST_CASE("accept_sealed continues after a partial seal")
{
    temp_dir dir;
    limits lim;
    lim.batch_max_readings = 4;
    auto box = open_outbox(dir.db(), lim);

    const auto readings = numbered_readings(10);
    std::size_t batches = 0;
    REQUIRE_FALSE(box->accept_sealed(readings, test_seal_at_most(3), batches));
    CHECK(batches == 4);

    std::vector<double> values;
    std::vector<std::size_t> sizes;
    read_back(*box, values, sizes);
    CHECK(sizes == std::vector<std::size_t>{3, 3, 3, 1});
    CHECK(values == std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(box->read_stats().accepted == 10);
}
