#include "gateway/uplink/topics.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace citygate::uplink;

TEST_CASE("topics: default prefix is citygate/v1/{gateway_id}")
{
    const topic_set topics = make_topics("cl-pump-07", "");

    CHECK(topics.prefix == "citygate/v1/cl-pump-07");
    CHECK(topics.telemetry == "citygate/v1/cl-pump-07/telemetry");
    CHECK(topics.event == "citygate/v1/cl-pump-07/event");
    CHECK(topics.status == "citygate/v1/cl-pump-07/status");
    CHECK(topics.health == "citygate/v1/cl-pump-07/health");
    CHECK(topics.cmd == "citygate/v1/cl-pump-07/cmd");
    CHECK(topics.cmd_result == "citygate/v1/cl-pump-07/cmd/result");
}

TEST_CASE("topics: configured prefix replaces the whole default")
{
    const topic_set topics = make_topics("gw1", "district/changle/gw1");

    CHECK(topics.prefix == "district/changle/gw1");
    CHECK(topics.telemetry == "district/changle/gw1/telemetry");
    CHECK(topics.status == "district/changle/gw1/status");
    CHECK(topics.cmd_result == "district/changle/gw1/cmd/result");
}

TEST_CASE("topics: trailing slashes of a configured prefix are dropped")
{
    const topic_set topics = make_topics("gw1", "district/gw1//");

    CHECK(topics.prefix == "district/gw1");
    CHECK(topics.event == "district/gw1/event");
}

TEST_CASE("topics: gateway id accepts [A-Za-z0-9_-]{1,64}")
{
    CHECK(valid_gateway_id("a"));
    CHECK(valid_gateway_id("Changle_Gateway-01"));
    CHECK(valid_gateway_id(std::string(64, 'x')));
}

TEST_CASE("topics: gateway id rejects empty, too long and other characters")
{
    CHECK_FALSE(valid_gateway_id(""));
    CHECK_FALSE(valid_gateway_id(std::string(65, 'x')));
    // Characters with a meaning in MQTT topics or filters.
    CHECK_FALSE(valid_gateway_id("gw/1"));
    CHECK_FALSE(valid_gateway_id("gw+"));
    CHECK_FALSE(valid_gateway_id("gw#"));
    CHECK_FALSE(valid_gateway_id("gw 1"));
    CHECK_FALSE(valid_gateway_id("gw.1"));
    CHECK_FALSE(valid_gateway_id("\xe9\x95\xbf\xe4\xb9\x90")); // UTF-8, not ASCII
}
