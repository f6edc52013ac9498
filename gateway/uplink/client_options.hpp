#pragma once
// Turns the uplink configuration into Paho create and connect options.
// Internal to the uplink library.

#include "gateway/config/config.hpp"
#include "gateway/uplink/topics.hpp"

#include <mqtt/connect_options.h>
#include <mqtt/create_options.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace citygate::uplink {

struct client_options {
    std::string client_id;
    int mqtt_version = 5;
    mqtt::create_options create;
    mqtt::connect_options connect;
    bool tls_unverified = false; // some ssl:// broker is used with verify = false
};

// Reads the first line of `file` into `password`. Rejects files that group
// or others may access, because the password would leak to them.
std::error_code read_password_file(const std::filesystem::path& file, std::string& password);

// Builds the client options: MQTT version in both the create and connect
// options, clean session, the Last Will, credentials and TLS. Throws
// std::system_error with an uplink_error code, naming the offending value.
client_options make_client_options(const config::uplink_config& config, const std::string& gateway_id,
                                   const topic_set& topics);

} // namespace citygate::uplink
