// Accepting, sealing, handing out and acknowledging batches.

#include "gateway/store/reading_codec.hpp"
#include "tests/unit/store/test_seal.hpp"
#include "tests/unit/store/test_support.hpp"

#include <stdexcept>

using namespace citygate;
using namespace citygate::store;
using namespace citygate::store::test;

namespace {

std::size_t seal_all(outbox& box)
{
    std::size_t sealed_count = 0;
    REQUIRE_FALSE(box.seal_pending(test_seal, sealed_count));
    return sealed_count;
}

std::vector<reading> telemetry_readings(std::int64_t first_ts, int count)
{
    std::vector<reading> readings;
    for (int i = 0; i < count; ++i) {
        readings.push_back(make_reading(first_ts + i, lane::telemetry, i));
    }
    return readings;
}

} // namespace

TEST_CASE("accept commits readings before returning")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    REQUIRE_FALSE(box->accept(telemetry_readings(100, 3)));
    REQUIRE_FALSE(box->accept(std::vector<reading>{make_reading(200, lane::event)}));

    // A second connection reads the rows, so they are committed, not buffered.
    raw_db raw(dir.db());
    CHECK(raw.query_int("SELECT COUNT(*) FROM pending WHERE lane = 0") == 3);
    CHECK(raw.query_int("SELECT COUNT(*) FROM pending WHERE lane = 1") == 1);
    CHECK(raw.query_int("SELECT accepted FROM outbox_state") == 4);

    auto s = box->read_stats();
    CHECK(s.accepted == 4);
    CHECK(s.telemetry.pending_rows == 3);
    CHECK(s.event.pending_rows == 1);
    CHECK(s.oldest_unsent_ms == 100);
}

TEST_CASE("accept of nothing changes nothing")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    CHECK_FALSE(box->accept({}));
    CHECK(box->read_stats().accepted == 0);
}

TEST_CASE("event batches are offered before telemetry")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());

    // Telemetry arrives first, and is sealed in an earlier call, yet the
    // event lane still comes first.
    REQUIRE_FALSE(box->accept(telemetry_readings(1, 3)));
    CHECK(seal_all(*box) == 1);
    REQUIRE_FALSE(box->accept(std::vector<reading>{make_reading(10, lane::event), make_reading(11, lane::event)}));
    REQUIRE_FALSE(box->accept(telemetry_readings(20, 2)));
    CHECK(seal_all(*box) == 2);

    auto batches = box->next_batches(10, {});
    REQUIRE(batches.size() == 3);
    CHECK(batches[0].lane == lane::event);
    CHECK(batches[1].lane == lane::telemetry);
    CHECK(batches[2].lane == lane::telemetry);
    CHECK(batches[1].sequence < batches[2].sequence);

    auto event = decode_test_batch(batches[0].bytes);
    REQUIRE(event.has_value());
    CHECK(event->lane == lane::event);
    REQUIRE(event->readings.size() == 2);
    CHECK(event->readings[0].ts_ms == 10);
    CHECK(event->readings[1].ts_ms == 11);

    auto first = box->next_batches(1, {});
    REQUIRE(first.size() == 1);
    CHECK(first[0].lane == lane::event);
}

TEST_CASE("event lane is sealed before telemetry in one call")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    std::vector<reading> mixed{make_reading(1), make_reading(2, lane::event), make_reading(3)};
    REQUIRE_FALSE(box->accept(mixed));

    std::vector<lane> order;
    std::size_t sealed_count = 0;
    REQUIRE_FALSE(box->seal_pending([&](lane l, std::uint64_t sequence, std::span<const reading> readings,
                                        std::vector<std::uint8_t>& out) {
        order.push_back(l);
        return test_seal(l, sequence, readings, out);
    }, sealed_count));
    REQUIRE(order.size() == 2);
    CHECK(order[0] == lane::event);
    CHECK(order[1] == lane::telemetry);
}

TEST_CASE("batch size cap splits pending readings")
{
    temp_dir dir;
    limits lim;
    lim.batch_max_readings = 4;
    auto box = open_outbox(dir.db(), lim);
    REQUIRE_FALSE(box->accept(telemetry_readings(1000, 10)));
    CHECK(seal_all(*box) == 3);

    auto batches = box->next_batches(10, {});
    REQUIRE(batches.size() == 3);
    std::vector<std::size_t> sizes;
    std::int64_t expected_ts = 1000;
    for (const auto& b : batches) {
        auto decoded = decode_test_batch(b.bytes);
        REQUIRE(decoded.has_value());
        CHECK(decoded->sequence == b.sequence);
        sizes.push_back(decoded->readings.size());
        for (const auto& r : decoded->readings) {
            CHECK(r.ts_ms == expected_ts);
            CHECK(r.device_id == "wm-1");
            ++expected_ts;
        }
    }
    CHECK(sizes == std::vector<std::size_t>{4, 4, 2});
    CHECK(box->read_stats().telemetry.pending_rows == 0);
    CHECK(box->read_stats().telemetry.sealed_rows == 3);
}

TEST_CASE("sealed readings keep their values and clock flag")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    reading r = make_reading(5, lane::telemetry, 1234.5, "wm-77");
    r.clock_trusted = false;
    REQUIRE_FALSE(box->accept(std::vector<reading>{r}));

    std::vector<reading> seen;
    std::size_t sealed_count = 0;
    REQUIRE_FALSE(box->seal_pending([&](lane l, std::uint64_t sequence, std::span<const reading> readings,
                                        std::vector<std::uint8_t>& out) {
        seen.assign(readings.begin(), readings.end());
        return test_seal(l, sequence, readings, out);
    }, sealed_count));
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].device_id == "wm-77");
    CHECK(seen[0].ts_ms == 5);
    CHECK(seen[0].lane == lane::telemetry);
    CHECK_FALSE(seen[0].clock_trusted);
    REQUIRE(seen[0].values.size() == 3);
    CHECK(seen[0].values[0].metric == "volume");
    CHECK(seen[0].values[0].unit == "m3");
    CHECK(std::get<double>(seen[0].values[0].value) == 1234.5);
    CHECK(std::get<bool>(seen[0].values[1].value) == true);
    CHECK(std::get<interned_string>(seen[0].values[2].value) == "ok");
}

TEST_CASE("acknowledge deletes the batch and counts its readings as sent")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    REQUIRE_FALSE(box->accept(telemetry_readings(1, 5)));
    seal_all(*box);
    auto batches = box->next_batches(10, {});
    REQUIRE(batches.size() == 1);

    REQUIRE_FALSE(box->acknowledge(batches[0].id));
    CHECK(box->next_batches(10, {}).empty());
    auto s = box->read_stats();
    CHECK(s.sent == 5);
    CHECK(s.telemetry.sealed_rows == 0);
    CHECK(s.telemetry.bytes == 0);
    CHECK(s.oldest_unsent_ms == 0);

    raw_db raw(dir.db());
    CHECK(raw.query_int("SELECT COUNT(*) FROM sealed") == 0);
    CHECK(raw.query_int("SELECT sent FROM outbox_state") == 5);

    // A duplicate PUBACK for the same batch is not counted twice.
    CHECK(box->acknowledge(batches[0].id) == store_error::not_found);
    CHECK(box->read_stats().sent == 5);
}

TEST_CASE("unknown batch id gives not_found")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    REQUIRE_FALSE(box->accept(telemetry_readings(1, 2)));
    seal_all(*box);

    CHECK(box->acknowledge(424242) == store_error::not_found);
    CHECK(box->acknowledge(0) == store_error::not_found);
    CHECK(box->acknowledge(-1) == store_error::not_found);
    CHECK(box->read_stats().sent == 0);
    CHECK(box->next_batches(10, {}).size() == 1);
}

TEST_CASE("batch is not deleted before its acknowledge")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    REQUIRE_FALSE(box->accept(telemetry_readings(1, 2)));
    seal_all(*box);

    auto first = box->next_batches(10, {});
    auto again = box->next_batches(10, {});
    REQUIRE(first.size() == 1);
    REQUIRE(again.size() == 1);
    CHECK(first[0].id == again[0].id);
    CHECK(first[0].bytes == again[0].bytes);
}

TEST_CASE("next_batches skips batches in flight")
{
    temp_dir dir;
    limits lim;
    lim.batch_max_readings = 1;
    auto box = open_outbox(dir.db(), lim);
    REQUIRE_FALSE(box->accept(std::vector<reading>{make_reading(1, lane::event), make_reading(2, lane::event)}));
    REQUIRE_FALSE(box->accept(telemetry_readings(10, 2)));
    CHECK(seal_all(*box) == 4);

    auto all = box->next_batches(10, {});
    REQUIRE(all.size() == 4);

    std::unordered_set<std::int64_t> in_flight{all[0].id, all[2].id};
    auto rest = box->next_batches(10, in_flight);
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].id == all[1].id);
    CHECK(rest[1].id == all[3].id);

    auto capped = box->next_batches(1, in_flight);
    REQUIRE(capped.size() == 1);
    CHECK(capped[0].id == all[1].id);

    for (const auto& b : all) {
        in_flight.insert(b.id);
    }
    CHECK(box->next_batches(10, in_flight).empty());
    CHECK(box->next_batches(0, {}).empty());
}

TEST_CASE("seal failure rolls back: pending rows and sequence unchanged")
{
    temp_dir dir;
    limits lim;
    lim.batch_max_readings = 2;
    auto box = open_outbox(dir.db(), lim);
    REQUIRE_FALSE(box->accept(std::vector<reading>{make_reading(1, lane::event)}));
    REQUIRE_FALSE(box->accept(telemetry_readings(10, 5)));
    auto before = box->read_stats();

    SUBCASE("callback seals no readings")
    {
        std::size_t sealed_count = 99;
        auto error = box->seal_pending(
            [](lane, std::uint64_t, std::span<const reading>, std::vector<std::uint8_t>& out) {
                out = {1, 2, 3}; // partial output must be discarded too
                return sealed_prefix{0};
            },
            sealed_count);
        CHECK(error == store_error::seal_failed);
        CHECK(sealed_count == 0);
    }
    SUBCASE("callback throws")
    {
        std::size_t sealed_count = 99;
        auto error = box->seal_pending(
            [](lane, std::uint64_t, std::span<const reading>, std::vector<std::uint8_t>&) -> sealed_prefix {
                throw std::runtime_error("key file vanished");
            },
            sealed_count);
        CHECK(error == store_error::seal_failed);
        CHECK(sealed_count == 0);
    }
    SUBCASE("callback claims readings but gives no bytes")
    {
        std::size_t sealed_count = 99;
        auto error = box->seal_pending(
            [](lane, std::uint64_t, std::span<const reading> readings, std::vector<std::uint8_t>& out) {
                out.clear();
                return sealed_prefix{readings.size()};
            },
            sealed_count);
        CHECK(error == store_error::seal_failed);
    }

    auto after = box->read_stats();
    CHECK(after.next_sequence == before.next_sequence);
    CHECK(after.event.pending_rows == 1);
    CHECK(after.telemetry.pending_rows == 5);
    CHECK(after.event.sealed_rows == 0);
    CHECK(after.telemetry.sealed_rows == 0);
    CHECK(after.telemetry.bytes == before.telemetry.bytes);
    CHECK(box->next_batches(10, {}).empty());

    raw_db raw(dir.db());
    CHECK(raw.query_int("SELECT COUNT(*) FROM pending") == 6);
    CHECK(raw.query_int("SELECT COUNT(*) FROM sealed") == 0);
    CHECK(raw.query_int("SELECT next_sequence FROM outbox_state") == static_cast<std::int64_t>(before.next_sequence));

    // The next good seal uses the sequence the failed one would have used.
    std::size_t sealed_count = 0;
    REQUIRE_FALSE(box->seal_pending(test_seal, sealed_count));
    CHECK(sealed_count == 4);
    auto batches = box->next_batches(10, {});
    REQUIRE(batches.size() == 4);
    CHECK(batches[0].sequence == before.next_sequence);
}

TEST_CASE("seal failure midway keeps the batches sealed before it")
{
    temp_dir dir;
    limits lim;
    lim.batch_max_readings = 2;
    auto box = open_outbox(dir.db(), lim);
    REQUIRE_FALSE(box->accept(telemetry_readings(1, 6)));

    int calls = 0;
    std::size_t sealed_count = 0;
    auto error = box->seal_pending(
        [&](lane l, std::uint64_t sequence, std::span<const reading> readings, std::vector<std::uint8_t>& out) {
            return ++calls < 2 ? test_seal(l, sequence, readings, out) : sealed_prefix{0};
        },
        sealed_count);
    CHECK(error == store_error::seal_failed);
    CHECK(sealed_count == 1);
    auto s = box->read_stats();
    CHECK(s.telemetry.sealed_rows == 1);
    CHECK(s.telemetry.pending_rows == 4);
    CHECK(s.next_sequence == 2);
}

TEST_CASE("invalid reading rejected with nothing committed")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    REQUIRE_FALSE(box->accept(telemetry_readings(1, 1)));
    auto before = box->read_stats();

    reading bad = make_reading(3, lane::event);
    SUBCASE("device id too long") { bad.device_id.assign(max_device_id_size + 1, 'x'); }
    SUBCASE("metric name too long") { bad.values[0].metric = std::string(max_name_size + 1, 'm'); }
    SUBCASE("unit too long") { bad.values[0].unit = std::string(max_name_size + 1, 'u'); }
    SUBCASE("string value too long") { bad.values[2].value = std::string(max_string_value_size + 1, 's'); }
    SUBCASE("too many values") { bad.values.resize(max_values_per_reading + 1, bad.values[0]); }
    SUBCASE("unknown lane") { bad.lane = static_cast<lane>(7); }

    // The valid reading before the bad one must be rolled back with it.
    std::vector<reading> readings{make_reading(2), bad};
    CHECK(box->accept(readings) == store_error::invalid_reading);

    auto after = box->read_stats();
    CHECK(after.accepted == before.accepted);
    CHECK(after.telemetry.pending_rows == 1);
    CHECK(after.event.pending_rows == 0);
    CHECK(after.telemetry.bytes == before.telemetry.bytes);

    raw_db raw(dir.db());
    CHECK(raw.query_int("SELECT COUNT(*) FROM pending") == 1);
    CHECK(raw.query_int("SELECT accepted FROM outbox_state") == 1);

    // The outbox keeps working after the rejection.
    CHECK_FALSE(box->accept(telemetry_readings(4, 1)));
    CHECK(box->read_stats().accepted == 2);
}

TEST_CASE("readings at the size limits are accepted")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    reading big = make_reading(1);
    big.device_id.assign(max_device_id_size, 'd');
    big.values[0].metric = std::string(max_name_size, 'm');
    big.values[0].unit = std::string(max_name_size, 'u');
    big.values[2].value = std::string(max_string_value_size, 's');
    CHECK_FALSE(box->accept(std::vector<reading>{big}));
    CHECK(box->read_stats().telemetry.pending_rows == 1);
}

TEST_CASE("undecodable pending row is dropped and counted as evicted")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    REQUIRE_FALSE(box->accept(telemetry_readings(1, 3)));
    {
        raw_db raw(dir.db());
        raw.exec("UPDATE pending SET body = x'ff00' WHERE ts_ms = 2");
    }

    CHECK(seal_all(*box) == 1);
    auto batches = box->next_batches(10, {});
    REQUIRE(batches.size() == 1);
    auto decoded = decode_test_batch(batches[0].bytes);
    REQUIRE(decoded.has_value());
    REQUIRE(decoded->readings.size() == 2);
    CHECK(decoded->readings[0].ts_ms == 1);
    CHECK(decoded->readings[1].ts_ms == 3);
    CHECK(box->read_stats().evicted == 1);
    CHECK(box->read_stats().telemetry.pending_rows == 0);
}

TEST_CASE("partial seal leaves the rest pending")
{
    temp_dir dir;
    limits lim;
    lim.batch_max_readings = 4;
    auto box = open_outbox(dir.db(), lim);
    REQUIRE_FALSE(box->accept(telemetry_readings(1000, 10)));

    std::size_t sealed_count = 0;
    REQUIRE_FALSE(box->seal_pending(test_seal_at_most(3), sealed_count));
    CHECK(sealed_count == 4);

    std::vector<std::size_t> sizes;
    std::int64_t expected_ts = 1000;
    for (const auto& b : box->next_batches(10, {})) {
        auto decoded = decode_test_batch(b.bytes);
        REQUIRE(decoded.has_value());
        sizes.push_back(decoded->readings.size());
        for (const auto& r : decoded->readings)
            CHECK(r.ts_ms == expected_ts++);
    }
    CHECK(sizes == std::vector<std::size_t>{3, 3, 3, 1});
    const auto stats = box->read_stats();
    CHECK(stats.telemetry.pending_rows == 0);
    CHECK(stats.telemetry.sealed_rows == 4);
    CHECK(stats.evicted == 0);
}

TEST_CASE("partial seal drops undecodable row")
{
    temp_dir dir;
    auto box = open_outbox(dir.db());
    REQUIRE_FALSE(box->accept(telemetry_readings(1, 5)));
    {
        raw_db raw(dir.db());
        raw.exec("UPDATE pending SET body = x'ff00' WHERE ts_ms = 2");
    }

    std::size_t sealed_count = 0;
    REQUIRE_FALSE(box->seal_pending(test_seal_at_most(1), sealed_count));
    CHECK(sealed_count == 4);

    std::vector<std::int64_t> stamps;
    for (const auto& b : box->next_batches(10, {})) {
        auto decoded = decode_test_batch(b.bytes);
        REQUIRE(decoded.has_value());
        REQUIRE(decoded->readings.size() == 1);
        stamps.push_back(decoded->readings[0].ts_ms);
    }
    CHECK(stamps == std::vector<std::int64_t>{1, 3, 4, 5});
    CHECK(box->read_stats().evicted == 1);
    CHECK(box->read_stats().telemetry.pending_rows == 0);
}
