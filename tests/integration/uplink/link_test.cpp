// The MQTT link against a real mosquitto: protocol versions, envelopes,
// the retained status, the Last Will and the orderly shutdown.

#include "gateway/uplink/health.hpp"
#include "gateway/uplink/mqtt_uplink.hpp"
#include "gateway/uplink/uplink_error.hpp"
#include "tests/integration/uplink/uplink_harness.hpp"

#include <doctest/doctest.h>

#include <optional>

using namespace citygate;
using namespace citygate::test;
using citygate::uplink::mqtt_uplink;

namespace {

const std::string gateway_version = "0.1.0-test";

std::int64_t wall_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string status_topic(const std::string& gateway_id)
{
    return "citygate/v1/" + gateway_id + "/status";
}

// Connects an uplink with `mqtt_version` and checks the version mosquitto
// logged for the CONNECT: "(p5, ..." for MQTT 5, "(p2, ..." for 3.1.1.
void check_negotiated_version(int mqtt_version, const std::string& log_protocol)
{
    mosquitto_fixture broker;
    boost::asio::io_context io;
    const std::string id = unique_gateway_id();
    mqtt_uplink link(io, test_uplink_config(broker.uri(), mqtt_version), id, gateway_version, {});

    link.start();

    REQUIRE(run_until(io, [&] { return link.connected(); }, 5s));
    CHECK(link.stats().mqtt_version == mqtt_version);
    CHECK(wait_for_log(broker, "as " + id + " (" + log_protocol + ","));
}

} // namespace

TEST_CASE("connect MQTT 5: broker sees protocol version 5")
{
    check_negotiated_version(5, "p5");
}

TEST_CASE("connect MQTT 3.1.1: broker sees protocol version 3.1.1")
{
    check_negotiated_version(4, "p2");
}

TEST_CASE("publish envelope: acked and delivered byte for byte on its lane topic")
{
    mosquitto_fixture broker;
    boost::asio::io_context io;
    const std::string id = unique_gateway_id();
    mqtt_subscriber subscriber(broker.uri(), "citygate/v1/" + id + "/#");

    std::vector<std::int64_t> acked;
    uplink::uplink_callbacks callbacks;
    callbacks.on_acked = [&](std::int64_t batch_id) { acked.push_back(batch_id); };
    mqtt_uplink link(io, test_uplink_config(broker.uri()), id, gateway_version, callbacks);
    link.start();
    REQUIRE(run_until(io, [&] { return link.connected(); }, 5s));

    const auto telemetry = binary_payload(0x00);
    const auto event = binary_payload(0x5a);
    REQUIRE_FALSE(link.publish_envelope(lane::telemetry, 41, telemetry));
    REQUIRE_FALSE(link.publish_envelope(lane::event, 42, event));

    REQUIRE(run_until(io, [&] { return acked.size() == 2; }, 5s));
    CHECK(acked == std::vector<std::int64_t>{41, 42});

    const std::string prefix = "citygate/v1/" + id;
    auto on_telemetry = subscriber.wait_for(topic_and_payload(prefix + "/telemetry", as_string(telemetry)), 5s);
    auto on_event = subscriber.wait_for(topic_and_payload(prefix + "/event", as_string(event)), 5s);
    REQUIRE(on_telemetry);
    REQUIRE(on_event);
    CHECK(on_telemetry->qos == 1);
    CHECK_FALSE(on_telemetry->retained);
    CHECK(on_event->qos == 1);
    CHECK_FALSE(on_event->retained);
    CHECK(link.stats().acked == 2);
}

TEST_CASE("publish envelope: rejected while the link is down")
{
    boost::asio::io_context io;
    mqtt_uplink link(io, test_uplink_config("tcp://127.0.0.1:" + std::to_string(free_port())),
                     unique_gateway_id(), gateway_version, {});

    CHECK(link.publish_envelope(lane::telemetry, 1, binary_payload(1)) == uplink::uplink_error::not_connected);
    CHECK(link.publish_health("{}") == uplink::uplink_error::not_connected);
}

TEST_CASE("retained status: online with version and start time after connect")
{
    mosquitto_fixture broker;
    boost::asio::io_context io;
    const std::string id = unique_gateway_id();
    const std::int64_t before = wall_ms();
    mqtt_uplink link(io, test_uplink_config(broker.uri()), id, gateway_version, {});
    const std::int64_t after = wall_ms();

    link.start();
    REQUIRE(run_until(io, [&] { return link.connected(); }, 5s));
    run_for(io, 200ms); // the status PUBACK

    // A subscriber that arrives later still gets the status: it is retained.
    mqtt_subscriber late(broker.uri(), status_topic(id));
    auto status = late.wait_for([](const received_message&) { return true; }, 5s);
    REQUIRE(status);
    CHECK(status->retained);
    CHECK(status->qos == 1);

    const std::string head = R"({"state":"online","version":")" + gateway_version + R"(","started_at":)";
    REQUIRE(status->payload.starts_with(head));
    REQUIRE(status->payload.ends_with("}"));
    const std::int64_t started_at =
        std::stoll(status->payload.substr(head.size(), status->payload.size() - head.size() - 1));
    CHECK(started_at >= before);
    CHECK(started_at <= after);
}

TEST_CASE("health: published on the health topic with QoS 0")
{
    mosquitto_fixture broker;
    boost::asio::io_context io;
    const std::string id = unique_gateway_id();
    mqtt_subscriber subscriber(broker.uri(), "citygate/v1/" + id + "/health");
    mqtt_uplink link(io, test_uplink_config(broker.uri()), id, gateway_version, {});
    link.start();
    REQUIRE(run_until(io, [&] { return link.connected(); }, 5s));

    uplink::health_snapshot snapshot;
    snapshot.ts_ms = wall_ms();
    snapshot.version = gateway_version;
    const std::string json = uplink::to_json(snapshot);
    REQUIRE_FALSE(link.publish_health(json));
    run_for(io, 100ms);

    auto health = subscriber.wait_for(topic_and_payload("citygate/v1/" + id + "/health", json), 5s);
    REQUIRE(health);
    CHECK(health->qos == 0);
    CHECK_FALSE(health->retained);
}

TEST_CASE("Last Will: cut connection publishes retained connection-lost")
{
    mosquitto_fixture broker;
    tcp_proxy proxy(broker.port());
    boost::asio::io_context io;
    const std::string id = unique_gateway_id();
    mqtt_subscriber subscriber(broker.uri(), status_topic(id));

    std::optional<std::string> lost_reason;
    uplink::uplink_callbacks callbacks;
    callbacks.on_disconnected = [&](std::string reason) { lost_reason = std::move(reason); };
    mqtt_uplink link(io, test_uplink_config(proxy.uri()), id, gateway_version, callbacks);
    link.start();
    REQUIRE(run_until(io, [&] { return link.connected(); }, 5s));
    REQUIRE(subscriber.wait_for([](const received_message& m) { return m.payload.find("online") != std::string::npos; },
                                5s));

    proxy.kill(); // no DISCONNECT reaches the broker

    const std::string will = R"({"state":"offline","reason":"connection-lost"})";
    CHECK(subscriber.wait_for(topic_and_payload(status_topic(id), will), 5s));
    CHECK(run_until(io, [&] { return lost_reason.has_value(); }, 5s));
    CHECK_FALSE(link.connected());

    mqtt_subscriber late(broker.uri(), status_topic(id));
    auto retained = late.wait_for([](const received_message&) { return true; }, 5s);
    REQUIRE(retained);
    CHECK(retained->payload == will);
    CHECK(retained->retained);
}

TEST_CASE("orderly stop: retained shutdown status, no Last Will")
{
    mosquitto_fixture broker;
    boost::asio::io_context io;
    const std::string id = unique_gateway_id();
    mqtt_subscriber subscriber(broker.uri(), status_topic(id));

    std::optional<std::string> down_reason;
    uplink::uplink_callbacks callbacks;
    callbacks.on_disconnected = [&](std::string reason) { down_reason = std::move(reason); };
    mqtt_uplink link(io, test_uplink_config(broker.uri()), id, gateway_version, callbacks);
    link.start();
    REQUIRE(run_until(io, [&] { return link.connected(); }, 5s));

    bool stopped = false;
    link.stop([&] { stopped = true; });
    REQUIRE(run_until(io, [&] { return stopped; }, 6s));
    CHECK_FALSE(link.connected());
    CHECK(down_reason == "shutdown");

    const std::string shutdown = R"({"state":"offline","reason":"shutdown"})";
    CHECK(subscriber.wait_for(topic_and_payload(status_topic(id), shutdown), 5s));
    CHECK(wait_for_log(broker, "Client " + id + " disconnected."));

    // No reconnect and no Last Will follow an orderly stop.
    run_for(io, 500ms);
    CHECK(link.stats().connects == 1);
    for (const auto& message : subscriber.messages())
        CHECK(message.payload.find("connection-lost") == std::string::npos);

    mqtt_subscriber late(broker.uri(), status_topic(id));
    auto retained = late.wait_for([](const received_message&) { return true; }, 5s);
    REQUIRE(retained);
    CHECK(retained->payload == shutdown);
}

TEST_CASE("IPv6 loopback broker: connect and publish over [::1]")
{
    mosquitto_options options;
    options.family = address_family::ipv6;
    mosquitto_fixture broker(options);
    REQUIRE(broker.uri().starts_with("tcp://[::1]:"));
    boost::asio::io_context io;
    const std::string id = unique_gateway_id();
    mqtt_subscriber subscriber(broker.uri(), "citygate/v1/" + id + "/telemetry");

    std::vector<std::int64_t> acked;
    uplink::uplink_callbacks callbacks;
    callbacks.on_acked = [&](std::int64_t batch_id) { acked.push_back(batch_id); };
    mqtt_uplink link(io, test_uplink_config(broker.uri()), id, gateway_version, callbacks);
    link.start();
    REQUIRE(run_until(io, [&] { return link.connected(); }, 5s));
    CHECK(wait_for_log(broker, "New client connected from ::1:"));

    const auto payload = binary_payload(0x33);
    REQUIRE_FALSE(link.publish_envelope(lane::telemetry, 7, payload));
    REQUIRE(run_until(io, [&] { return acked.size() == 1; }, 5s));
    CHECK(subscriber.wait_for(topic_and_payload("citygate/v1/" + id + "/telemetry", as_string(payload)), 5s));
}

TEST_CASE("destroyed link: retained status becomes connection-lost")
{
    mosquitto_fixture broker;
    boost::asio::io_context io;

    for (const int mqtt_version : {4, 5}) {
        CAPTURE(mqtt_version);
        const std::string id = unique_gateway_id();
        mqtt_subscriber subscriber(broker.uri(), status_topic(id));

        {
            mqtt_uplink link(io, test_uplink_config(broker.uri(), mqtt_version), id, gateway_version, {});
            link.start();
            REQUIRE(run_until(io, [&] { return link.connected(); }, 5s));
            run_for(io, 200ms); // the online status PUBACK
        } // destroyed without stop()

        const std::string will = R"({"state":"offline","reason":"connection-lost"})";
        const bool will_seen = subscriber.wait_for(topic_and_payload(status_topic(id), will), 5s) != nullptr;
        INFO("mosquitto log:\n" << broker.log_text());
        CHECK(will_seen);
    }
}
