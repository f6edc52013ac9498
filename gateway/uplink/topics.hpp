#pragma once
// MQTT topic names of the uplink contract, version 1.

#include <string>
#include <string_view>

namespace citygate::uplink {

struct topic_set {
    std::string prefix;     // citygate/v1/{gateway_id} unless configured
    std::string telemetry;  // {prefix}/telemetry, envelopes with lane flag 0, QoS 1
    std::string event;      // {prefix}/event, envelopes with lane flag 1, QoS 1
    std::string status;     // {prefix}/status, retained JSON and the Last Will, QoS 1
    std::string health;     // {prefix}/health, JSON, QoS 0
    std::string cmd;        // {prefix}/cmd, reserved in version 1
    std::string cmd_result; // {prefix}/cmd/result, reserved in version 1
};

// Returns true when `gateway_id` matches [A-Za-z0-9_-]{1,64}.
bool valid_gateway_id(std::string_view gateway_id);

// Builds the topic set from a configured prefix, or from the default
// citygate/v1/{gateway_id} when `configured_prefix` is empty. A trailing
// '/' of the configured prefix is dropped.
topic_set make_topics(std::string_view gateway_id, std::string_view configured_prefix);

} // namespace citygate::uplink
