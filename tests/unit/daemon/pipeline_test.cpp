// The daemon's reading pipeline over a real outbox: when readings are
// committed and sealed, the fallback when sealing fails, and the eviction
// event.

#include "gateway/daemon/pipeline.hpp"
#include "tests/unit/store/test_seal.hpp"
#include "tests/unit/store/test_support.hpp"

#include <boost/asio/io_context.hpp>

using namespace citygate;
using namespace std::chrono_literals;
using store::test::make_reading;
using store::test::temp_dir;

namespace {

constexpr std::int64_t hour_ms = 3600 * 1000;

struct rig {
    explicit rig(store::seal_function seal = store::test::test_seal, store::limits limits = {},
                 std::chrono::milliseconds flush_interval = 1h)
        : box(store::test::open_outbox(dir.db(), limits))
    {
        daemon::pipeline_options options;
        options.flush_interval = flush_interval;
        options.retention_interval = 1h;
        line = std::make_unique<daemon::pipeline>(io, *box, std::move(seal), "gw-test", [this] { return now_ms; },
                                                  options);
        line->on_sealed([this] { ++sealed_calls; });
    }

    // Event readings sealed so far, decoded.
    std::vector<store::test::sealed_reading> event_readings()
    {
        std::vector<store::test::sealed_reading> out;
        for (const auto& batch : box->next_batches(100, {})) {
            if (batch.lane != lane::event)
                continue;
            const auto decoded = store::test::decode_test_batch(batch.bytes);
            REQUIRE(decoded);
            out.insert(out.end(), decoded->readings.begin(), decoded->readings.end());
        }
        return out;
    }

    temp_dir dir;
    boost::asio::io_context io;
    std::unique_ptr<store::outbox> box;
    std::unique_ptr<daemon::pipeline> line;
    std::int64_t now_ms = 1796400000000;
    int sealed_calls = 0;
};

store::sealed_prefix failing_seal(lane, std::uint64_t, std::span<const reading>, std::vector<std::uint8_t>&)
{
    return store::sealed_prefix{0};
}

} // namespace

TEST_CASE("pipeline event reading skips the timer")
{
    rig r;
    r.line->start();
    r.line->add(make_reading(r.now_ms, lane::event));
    r.io.run_for(200ms);

    const auto stats = r.box->read_stats();
    CHECK(stats.event.sealed_rows == 1);
    CHECK(stats.accepted == 1);
    CHECK(r.sealed_calls == 1);
    CHECK(r.line->buffered() == 0);
}

TEST_CASE("pipeline telemetry waits for the flush timer")
{
    rig r(store::test::test_seal, {}, 100ms);
    r.line->start();
    r.line->add(make_reading(r.now_ms));
    r.io.poll();
    CHECK(r.box->read_stats().accepted == 0);
    CHECK(r.line->buffered() == 1);

    r.io.run_for(300ms);
    CHECK(r.box->read_stats().telemetry.sealed_rows == 1);
    CHECK(r.line->buffered() == 0);
}

TEST_CASE("pipeline seal failure keeps readings pending")
{
    rig r(failing_seal);
    r.line->start();
    r.line->add(make_reading(r.now_ms));
    CHECK(r.line->flush());

    const auto stats = r.box->read_stats();
    CHECK(stats.accepted == 1);
    CHECK(stats.telemetry.pending_rows == 1);
    CHECK(stats.telemetry.sealed_rows == 0);
    CHECK(r.line->stats().seal_failures >= 1);
    CHECK(r.line->buffered() == 0);
}

TEST_CASE("pipeline stop commits the buffer")
{
    rig r;
    r.line->start();
    r.line->add(make_reading(r.now_ms));
    r.line->add(make_reading(r.now_ms + 1));
    CHECK(r.line->stop());
    CHECK(r.box->read_stats().accepted == 2);
    CHECK(r.box->read_stats().telemetry.sealed_rows == 1);
}

TEST_CASE("pipeline eviction raises one event per episode")
{
    store::limits limits;
    limits.max_age = std::chrono::hours(1);
    rig r(store::test::test_seal, limits);
    r.line->start();

    // Two retention runs that both evict old telemetry: one event.
    for (int run = 0; run < 2; ++run) {
        r.line->add(make_reading(r.now_ms - 2 * hour_ms - run));
        REQUIRE(r.line->flush());
        r.line->enforce_retention();
        r.io.run_for(50ms);
        r.io.restart();
    }
    auto events = r.event_readings();
    REQUIRE(events.size() == 1);
    CHECK(events[0].device_id == daemon::gateway_device_id);
    CHECK(events[0].value == 1.0);
    CHECK(r.line->stats().evicted == 2);

    // A run that evicts nothing ends the episode; the next eviction is new.
    r.line->enforce_retention();
    r.line->add(make_reading(r.now_ms - 3 * hour_ms));
    REQUIRE(r.line->flush());
    r.line->enforce_retention();
    r.io.run_for(50ms);
    CHECK(r.event_readings().size() == 2);
    CHECK(r.box->read_stats().evicted == 3);
}
