#pragma once
// Errors of the MQTT uplink.

#include <system_error>

namespace citygate::uplink {

enum class uplink_error {
    invalid_gateway_id = 1,   // not [A-Za-z0-9_-]{1,64}
    no_brokers,               // uplink.brokers is empty
    invalid_broker_uri,       // Paho rejected a broker URI
    invalid_mqtt_version,     // mqtt_version is neither 4 nor 5
    password_file_unreadable, // missing, unreadable or empty
    password_file_permissions,// readable or writable by group or others
    tls_file_missing,         // a configured CA, certificate or key file is missing
    not_connected,            // publish requested while the link is down
    publish_rejected,         // Paho refused to queue the message
};

const std::error_category& uplink_category() noexcept;
std::error_code make_error_code(uplink_error e) noexcept;

} // namespace citygate::uplink

template <>
struct std::is_error_code_enum<citygate::uplink::uplink_error> : std::true_type {};
