// The forwarder between a real SQLite outbox and a real mosquitto: resend
// after a broker restart, the in-flight window and the lane order.

#include "gateway/store/outbox.hpp"
#include "gateway/uplink/forwarder.hpp"
#include "gateway/uplink/mqtt_uplink.hpp"
#include "tests/integration/uplink/uplink_harness.hpp"

#include <doctest/doctest.h>

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <set>

using namespace citygate;
using namespace citygate::test;
using citygate::uplink::forwarder;
using citygate::uplink::mqtt_uplink;

namespace {

// An outbox in a temp dir with one reading per sealed batch. The seal
// function stands in for the envelope: distinct binary bytes per sequence,
// remembered so the test can compare what arrives.
struct test_outbox {
    test_outbox()
    {
        store::limits limits;
        limits.batch_max_readings = 1;
        std::error_code ec;
        outbox = store::outbox::open(dir.path() / "outbox.db", limits, ec);
        REQUIRE_MESSAGE(!ec, ec.message());
        REQUIRE(outbox);
    }

    void add(lane batch_lane, int count)
    {
        std::vector<reading> readings;
        for (int i = 0; i < count; ++i) {
            reading r;
            r.device_id = batch_lane == lane::event ? "valve-1" : "meter-1";
            r.lane = batch_lane;
            r.ts_ms = 1764806400000 + next_ts++;
            r.values.push_back({"volume", "m3", 12.5 + i});
            readings.push_back(std::move(r));
        }
        REQUIRE_FALSE(outbox->accept(readings));
    }

    std::size_t seal()
    {
        std::size_t batches = 0;
        const auto seal = [this](lane batch_lane, std::uint64_t sequence, std::span<const reading> readings,
                                 std::vector<std::uint8_t>& out) {
            out = binary_payload(static_cast<std::uint8_t>(sequence));
            for (int shift = 0; shift < 64; shift += 8)
                out.push_back(static_cast<std::uint8_t>(sequence >> shift));
            out.push_back(static_cast<std::uint8_t>(readings.size()));
            sealed[as_string(out)] = batch_lane;
            return store::sealed_prefix{readings.size()};
        };
        REQUIRE_FALSE(outbox->seal_pending(seal, batches));
        return batches;
    }

    temp_dir dir;
    std::unique_ptr<store::outbox> outbox;
    std::map<std::string, lane> sealed; // sealed bytes -> lane
    std::int64_t next_ts = 0;
};

struct forwarding_gateway {
    forwarding_gateway(boost::asio::io_context& io, store::outbox& outbox, const config::uplink_config& config)
        : id(unique_gateway_id()), link(io, config, id, "0.1.0-test", {}),
          fwd(io, outbox, link, config.max_in_flight, 200ms)
    {
    }

    std::string topic(lane batch_lane) const
    {
        return "citygate/v1/" + id + (batch_lane == lane::event ? "/event" : "/telemetry");
    }

    std::string id;
    mqtt_uplink link;
    forwarder fwd;
};

// The usual wiring: every uplink event goes to the forwarder.
uplink::uplink_callbacks wire(forwarder& fwd)
{
    uplink::uplink_callbacks callbacks;
    callbacks.on_connected = [&fwd] { fwd.on_connected(); };
    callbacks.on_disconnected = [&fwd](const std::string&) { fwd.on_disconnected(); };
    callbacks.on_acked = [&fwd](std::int64_t id) { fwd.on_acked(id); };
    callbacks.on_publish_failed = [&fwd](std::int64_t id, const std::string& reason) {
        fwd.on_publish_failed(id, reason);
    };
    return callbacks;
}

std::size_t count_matching(const std::vector<received_message>& messages, const std::string& payload)
{
    std::size_t n = 0;
    for (const auto& m : messages)
        n += m.payload == payload ? 1 : 0;
    return n;
}

} // namespace

TEST_CASE("broker restart: reconnect with backoff, resend unacknowledged batches")
{
    mosquitto_fixture broker;
    boost::asio::io_context io;
    test_outbox box;
    box.add(lane::telemetry, 20);
    REQUIRE(box.seal() == 20);

    auto config = test_uplink_config(broker.uri());
    config.reconnect_min = 150ms;
    config.reconnect_max = 300ms;
    forwarding_gateway gw(io, *box.outbox, config);
    auto before = std::make_unique<mqtt_subscriber>(broker.uri(), gw.topic(lane::telemetry));
    std::unique_ptr<mqtt_subscriber> after;

    // The first PUBACK is withheld from the forwarder, as if it had been
    // lost with the connection, and the broker goes down for a second. That
    // batch reached the broker and must be sent again, with the same bytes.
    boost::asio::steady_timer outage(io);
    bool restarted = false;
    std::int64_t withheld = 0;
    std::chrono::steady_clock::time_point down_at;
    std::chrono::steady_clock::time_point up_again_at;
    auto callbacks = wire(gw.fwd);
    callbacks.on_acked = [&](std::int64_t batch_id) {
        if (withheld == 0) {
            withheld = batch_id;
            broker.stop();
            outage.expires_after(1s);
            outage.async_wait([&](const boost::system::error_code&) {
                broker.start();
                // Subscribed before the uplink can reconnect: the
                // reconnect runs on this same io_context thread.
                after = std::make_unique<mqtt_subscriber>(broker.uri(), gw.topic(lane::telemetry));
                restarted = true;
            });
            return;
        }
        gw.fwd.on_acked(batch_id);
    };
    callbacks.on_disconnected = [&](const std::string&) {
        down_at = std::chrono::steady_clock::now();
        gw.fwd.on_disconnected();
    };
    callbacks.on_connected = [&] {
        up_again_at = std::chrono::steady_clock::now();
        gw.fwd.on_connected();
    };
    gw.link.set_callbacks(callbacks);
    gw.link.start();

    REQUIRE(run_until(io, [&] { return restarted && gw.fwd.stats().acknowledged == 20; }, 15s));

    CHECK(gw.link.stats().reconnects == 1);
    // Attempts while the broker was down for 1 s: at least one, and with
    // delays of 150 ms or more at most about 1000 / 150 of them.
    CHECK(gw.link.stats().connect_failures >= 1);
    CHECK(gw.link.stats().connect_failures <= 8);
    CHECK(up_again_at - down_at >= config.reconnect_min);
    CHECK(gw.fwd.stats().published > 20);
    CHECK(box.outbox->next_batches(100, {}).empty());
    CHECK(box.outbox->read_stats().sent == 20);

    // Every batch arrived, and every copy is byte-identical to what was
    // sealed: nothing on the topic differs from a sealed batch.
    REQUIRE(after);
    auto received = before->messages();
    const auto received_after = after->messages();
    received.insert(received.end(), received_after.begin(), received_after.end());
    for (const auto& [bytes, batch_lane] : box.sealed) {
        CHECK(count_matching(received, bytes) >= 1);
    }
    for (const auto& m : received)
        CHECK(box.sealed.count(m.payload) == 1);

    // The withheld batch was delivered before the outage and again after.
    std::string withheld_bytes;
    for (const auto& [bytes, batch_lane] : box.sealed)
        if (count_matching(before->messages(), bytes) == 1 && count_matching(received_after, bytes) == 1)
            withheld_bytes = bytes;
    CHECK_FALSE(withheld_bytes.empty());
}

TEST_CASE("in-flight window: never exceeds max_in_flight")
{
    mosquitto_fixture broker;
    boost::asio::io_context io;
    test_outbox box;
    box.add(lane::telemetry, 40);
    REQUIRE(box.seal() == 40);

    auto config = test_uplink_config(broker.uri());
    config.max_in_flight = 3;
    forwarding_gateway gw(io, *box.outbox, config);
    mqtt_subscriber subscriber(broker.uri(), gw.topic(lane::telemetry));

    // Counted from the uplink's side, independent of the forwarder's own
    // bookkeeping: envelopes handed to Paho minus those acknowledged.
    std::uint64_t largest_outstanding = 0;
    auto callbacks = wire(gw.fwd);
    callbacks.on_acked = [&](std::int64_t batch_id) {
        const auto stats = gw.link.stats();
        largest_outstanding = std::max(largest_outstanding, stats.published - stats.acked + 1);
        CHECK(gw.fwd.in_flight() <= 3);
        gw.fwd.on_acked(batch_id);
        CHECK(gw.fwd.in_flight() <= 3);
    };
    gw.link.set_callbacks(callbacks);
    gw.link.start();

    REQUIRE(run_until(io, [&] { return gw.fwd.stats().acknowledged == 40; }, 10s));

    CHECK(largest_outstanding <= 3);
    CHECK(gw.fwd.stats().peak_in_flight == 3);
    CHECK(gw.fwd.stats().published == 40);
    CHECK(box.outbox->read_stats().sent == 40);
    CHECK(wait_for_count(subscriber, any_message, 40));
}

TEST_CASE("event lane: batches published before telemetry")
{
    mosquitto_fixture broker;
    boost::asio::io_context io;
    test_outbox box;
    // Telemetry is older, yet the events must go first.
    box.add(lane::telemetry, 6);
    box.add(lane::event, 3);
    REQUIRE(box.seal() == 9);

    auto config = test_uplink_config(broker.uri());
    config.max_in_flight = 2;
    forwarding_gateway gw(io, *box.outbox, config);
    mqtt_subscriber subscriber(broker.uri(), "citygate/v1/" + gw.id + "/+");
    gw.link.set_callbacks(wire(gw.fwd));
    gw.link.start();

    REQUIRE(run_until(io, [&] { return gw.fwd.stats().acknowledged == 9; }, 10s));
    const auto is_envelope = [](const received_message& m) { return !m.topic.ends_with("/status"); };
    REQUIRE(wait_for_count(subscriber, is_envelope, 9));

    std::vector<std::string> envelopes;
    for (const auto& m : subscriber.messages())
        if (is_envelope(m))
            envelopes.push_back(m.topic);
    REQUIRE(envelopes.size() == 9);
    for (std::size_t i = 0; i < envelopes.size(); ++i) {
        CAPTURE(i);
        CHECK(envelopes[i] == gw.topic(i < 3 ? lane::event : lane::telemetry));
    }
    // Each batch went to the topic of its lane.
    for (const auto& m : subscriber.messages())
        if (box.sealed.count(m.payload) == 1)
            CHECK(m.topic == gw.topic(box.sealed[m.payload]));
}
