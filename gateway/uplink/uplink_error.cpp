#include "gateway/uplink/uplink_error.hpp"

#include <string>

namespace citygate::uplink {
namespace {

class uplink_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "uplink"; }

    std::string message(int value) const override
    {
        switch (static_cast<uplink_error>(value)) {
        case uplink_error::invalid_gateway_id:
            return "invalid gateway id, expected [A-Za-z0-9_-]{1,64}";
        case uplink_error::no_brokers:
            return "no broker URI configured in uplink.brokers";
        case uplink_error::invalid_broker_uri:
            return "invalid broker URI, expected tcp://, mqtt://, ssl:// or mqtts://host:port";
        case uplink_error::invalid_mqtt_version:
            return "invalid uplink.mqtt_version, expected 4 (3.1.1) or 5";
        case uplink_error::password_file_unreadable:
            return "password file is missing, unreadable or empty";
        case uplink_error::password_file_permissions:
            return "password file is accessible by group or others, expected mode 0600";
        case uplink_error::tls_file_missing:
            return "TLS CA, certificate or key file not found";
        case uplink_error::not_connected:
            return "MQTT link is down";
        case uplink_error::publish_rejected:
            return "MQTT client rejected the publish";
        }
        return "unknown uplink error";
    }
};

} // namespace

const std::error_category& uplink_category() noexcept
{
    static const uplink_category_impl category;
    return category;
}

std::error_code make_error_code(uplink_error e) noexcept
{
    return {static_cast<int>(e), uplink_category()};
}

} // namespace citygate::uplink
