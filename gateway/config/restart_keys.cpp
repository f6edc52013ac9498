#include "gateway/config/restart_keys.hpp"

namespace citygate::config {

namespace {

// Names of the compared keys whose values differ.
class key_diff {
public:
    // Appends `name` when the two values differ.
    template <typename T>
    void compare(const char* name, const T& running, const T& next)
    {
        if (!(running == next))
            changed.emplace_back(name);
    }

    std::vector<std::string> changed;
};

void compare_gateway(key_diff& diff, const gateway_config& a, const gateway_config& b)
{
    // A reload reads gateway.key_file again, so it is not compared.
    diff.compare("gateway.id", a.id, b.id);
    diff.compare("gateway.location", a.location, b.location);
    diff.compare("gateway.data_dir", a.data_dir, b.data_dir);
    diff.compare("gateway.control_socket", a.control_socket, b.control_socket);
    diff.compare("gateway.log_level", a.log_level, b.log_level);
}

void compare_uplink(key_diff& diff, const uplink_config& a, const uplink_config& b)
{
    diff.compare("uplink.brokers", a.brokers, b.brokers);
    diff.compare("uplink.client_id", a.client_id, b.client_id);
    diff.compare("uplink.username", a.username, b.username);
    diff.compare("uplink.password_file", a.password_file, b.password_file);
    diff.compare("uplink.mqtt_version", a.mqtt_version, b.mqtt_version);
    diff.compare("uplink.keepalive", a.keepalive, b.keepalive);
    diff.compare("uplink.topic_prefix", a.topic_prefix, b.topic_prefix);
    diff.compare("uplink.health_interval", a.health_interval, b.health_interval);
    diff.compare("uplink.max_in_flight", a.max_in_flight, b.max_in_flight);
    diff.compare("uplink.content_type", a.content_type, b.content_type);
    diff.compare("uplink.reconnect_min", a.reconnect_min, b.reconnect_min);
    diff.compare("uplink.reconnect_max", a.reconnect_max, b.reconnect_max);
    diff.compare("uplink.tls.ca_file", a.tls.ca_file, b.tls.ca_file);
    diff.compare("uplink.tls.cert_file", a.tls.cert_file, b.tls.cert_file);
    diff.compare("uplink.tls.key_file", a.tls.key_file, b.tls.key_file);
    diff.compare("uplink.tls.verify", a.tls.verify, b.tls.verify);
}

void compare_store_and_dtu(key_diff& diff, const config& a, const config& b)
{
    diff.compare("store.max_bytes", a.store.max_bytes, b.store.max_bytes);
    diff.compare("store.max_age", a.store.max_age, b.store.max_age);
    diff.compare("store.batch_max_readings", a.store.batch_max_readings, b.store.batch_max_readings);
    diff.compare("store.batch_max_bytes", a.store.batch_max_bytes, b.store.batch_max_bytes);
    diff.compare("store.flush_interval", a.store.flush_interval, b.store.flush_interval);
    diff.compare("dtu.listen", a.dtu.listen, b.dtu.listen);
    diff.compare("dtu.registration_timeout", a.dtu.registration_timeout, b.dtu.registration_timeout);
    diff.compare("dtu.max_connections", a.dtu.max_connections, b.dtu.max_connections);
}

} // namespace

std::vector<std::string> changed_restart_keys(const config& running, const config& next)
{
    key_diff diff;
    compare_gateway(diff, running.gateway, next.gateway);
    compare_uplink(diff, running.uplink, next.uplink);
    compare_store_and_dtu(diff, running, next);
    return diff.changed;
}

} // namespace citygate::config
