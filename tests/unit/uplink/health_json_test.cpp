#include "gateway/uplink/health.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace citygate::uplink;

namespace {

health_snapshot full_snapshot()
{
    health_snapshot s;
    s.ts_ms = 1764806400123;
    s.uptime_s = 3600;
    s.version = "0.1.0";
    s.clock_trusted = true;
    s.telemetry = {12, 3, 4096};
    s.event = {1, 0, 80};
    s.oldest_unsent_age_s = 42;
    s.readings_accepted = 1000;
    s.readings_sent = 987;
    s.readings_evicted = 0;
    s.publish_rate_per_s = 2.5;
    s.reconnects = 1;
    s.disk_free_bytes = 123456789;
    s.devices.push_back({"meter-1", device_state::online, 1764806399000, 0, "", 0});
    s.devices.push_back({"meter-2", device_state::offline, std::nullopt, 3, "response timeout", 7});
    s.buses.push_back({"rs485-1", true, 7, 2, 12, 1, 4096});
    return s;
}

} // namespace

TEST_CASE("health json: field names and order follow the contract")
{
    // Contract order: ts, uptime_s, version, per-lane queue depth, oldest
    // unsent age, readings accepted/sent/evicted, publish rate, reconnects,
    // disk free bytes, per-device state; then the additions rejected_frames
    // per device and the bus counters.
    const std::string expected =
        R"({"ts":1764806400123,"uptime_s":3600,"version":"0.1.0","clock_trusted":true,)"
        R"("queue":{"telemetry":{"rows":15,"pending_readings":12,"sealed_batches":3,"bytes":4096},)"
        R"("event":{"rows":1,"pending_readings":1,"sealed_batches":0,"bytes":80}},)"
        R"("oldest_unsent_age_s":42,"readings":{"accepted":1000,"sent":987,"evicted":0},)"
        R"("publish_rate_per_s":2.5,"reconnects":1,"disk_free_bytes":123456789,)"
        R"("devices":[{"id":"meter-1","state":"online","last_reading":1764806399000,)"
        R"("consecutive_failures":0,"last_error":null,"rejected_frames":0},)"
        R"({"id":"meter-2","state":"offline","last_reading":null,"consecutive_failures":3,)"
        R"("last_error":"response timeout","rejected_frames":7}],)"
        R"("buses":[{"id":"rs485-1","open":true,"rejected_frames":7,"late_answers":2,"timeouts":12,)"
        R"("port_errors":1,"dropped_bytes":4096}]})";

    CHECK(to_json(full_snapshot()) == expected);
}

TEST_CASE("health json: dtu counters follow the buses")
{
    auto snapshot = full_snapshot();
    CHECK(to_json(snapshot).find("\"dtu\"") == std::string::npos);

    snapshot.dtu = dtu_health{2, 5, 1, 17, 3, 0};
    const auto json = to_json(snapshot);
    CHECK(json.ends_with(R"("port_errors":1,"dropped_bytes":4096}],"dtu":{"attached":2,"registered":5,"replaced":1,"rejected":17,)"
                         R"("timed_out":3,"over_limit":0}})"));
}

TEST_CASE("health json: unknown values are null, not zero")
{
    health_snapshot s;
    s.version = "0.1.0";
    s.clock_trusted = false;

    const std::string json = to_json(s);

    CHECK(json.find(R"("clock_trusted":false)") != std::string::npos);
    CHECK(json.find(R"("oldest_unsent_age_s":null)") != std::string::npos);
    CHECK(json.find(R"("disk_free_bytes":null)") != std::string::npos);
    CHECK(json.find(R"("devices":[])") != std::string::npos);
}

TEST_CASE("health json: invalid UTF-8 in a device error does not throw")
{
    health_snapshot s = full_snapshot();
    s.devices[1].last_error = "bad \xff byte";

    std::string json;
    CHECK_NOTHROW(json = to_json(s));
    CHECK(json.find("bad \xef\xbf\xbd byte") != std::string::npos); // U+FFFD replacement
}

TEST_CASE("status json: online, Last Will and shutdown payloads are exact")
{
    CHECK(status_online_json("0.1.0", 1764806400123) ==
          R"({"state":"online","version":"0.1.0","started_at":1764806400123})");
    CHECK(status_offline_json("connection-lost") == R"({"state":"offline","reason":"connection-lost"})");
    CHECK(status_offline_json("shutdown") == R"({"state":"offline","reason":"shutdown"})");
}
