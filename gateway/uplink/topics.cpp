#include "gateway/uplink/topics.hpp"

#include <algorithm>

namespace citygate::uplink {

bool valid_gateway_id(std::string_view gateway_id)
{
    if (gateway_id.empty() || gateway_id.size() > 64)
        return false;

    return std::all_of(gateway_id.begin(), gateway_id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

topic_set make_topics(std::string_view gateway_id, std::string_view configured_prefix)
{
    topic_set topics;
    if (configured_prefix.empty()) {
        topics.prefix = "citygate/v1/";
        topics.prefix += gateway_id;
    } else {
        topics.prefix = configured_prefix;
        while (topics.prefix.size() > 1 && topics.prefix.back() == '/')
            topics.prefix.pop_back();
    }

    topics.telemetry = topics.prefix + "/telemetry";
    topics.event = topics.prefix + "/event";
    topics.status = topics.prefix + "/status";
    topics.health = topics.prefix + "/health";
    topics.cmd = topics.prefix + "/cmd";
    topics.cmd_result = topics.prefix + "/cmd/result";
    return topics;
}

} // namespace citygate::uplink
