#include "gateway/uplink/client_options.hpp"

#include "gateway/uplink/health.hpp"
#include "gateway/uplink/uplink_error.hpp"

#include <mqtt/ssl_options.h>
#include <mqtt/string_collection.h>
#include <mqtt/will_options.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>

namespace citygate::uplink {
namespace {

// Paho tries the brokers one after another within one connect call, so this
// bounds how long one unreachable broker delays the next.
constexpr std::chrono::seconds connect_timeout{10};

[[noreturn]] void fail(uplink_error error, const std::string& detail)
{
    throw std::system_error(make_error_code(error), detail);
}

bool is_tls_uri(const std::string& uri)
{
    return uri.starts_with("ssl://") || uri.starts_with("mqtts://");
}

bool is_supported_uri(const std::string& uri)
{
    return uri.starts_with("tcp://") || uri.starts_with("mqtt://") || is_tls_uri(uri);
}

void require_file(const std::filesystem::path& file, const char* what)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        fail(uplink_error::tls_file_missing, std::string(what) + " not found: " + file.string());
}

mqtt::ssl_options make_ssl_options(const config::tls_config& tls)
{
    // Without a trust store Paho C loads OpenSSL's default verify paths,
    // which on Debian are the system store in /etc/ssl/certs.
    mqtt::ssl_options ssl;
    if (!tls.ca_file.empty()) {
        require_file(tls.ca_file, "uplink.tls.ca_file");
        ssl.set_trust_store(tls.ca_file.string());
    }

    if (!tls.cert_file.empty()) {
        require_file(tls.cert_file, "uplink.tls.cert_file");
        ssl.set_key_store(tls.cert_file.string());
    }
    if (!tls.key_file.empty()) {
        require_file(tls.key_file, "uplink.tls.key_file");
        ssl.set_private_key(tls.key_file.string());
    }

    ssl.set_enable_server_cert_auth(tls.verify);
    ssl.set_verify(tls.verify);
    return ssl;
}

void set_protocol_version(client_options& options, int version)
{
    if (version != 4 && version != 5)
        fail(uplink_error::invalid_mqtt_version, "uplink.mqtt_version = " + std::to_string(version));

    // Paho C++ 1.2 uses the version of the create options to pick its v5
    // callbacks and the version of the connect options for the CONNECT
    // packet. Setting only one of them silently falls back to 3.1.1.
    options.mqtt_version = version;
    options.create = mqtt::create_options(version);
    options.connect.set_mqtt_version(version);

    // No session state survives a connection: the outbox resends what was
    // not acknowledged. Paho rejects cleansession together with MQTT 5.
    options.connect.set_clean_session(version == 4);
    options.connect.set_clean_start(version == 5);
}

void set_brokers(client_options& options, const std::vector<std::string>& brokers, const config::tls_config& tls)
{
    if (brokers.empty())
        fail(uplink_error::no_brokers, "uplink.brokers is empty");

    auto servers = std::make_shared<mqtt::string_collection>();
    bool any_tls = false;
    for (const auto& uri : brokers) {
        if (!is_supported_uri(uri))
            fail(uplink_error::invalid_broker_uri, "uplink.brokers entry \"" + uri + "\"");
        any_tls = any_tls || is_tls_uri(uri);
        servers->push_back(uri);
    }
    options.connect.set_servers(servers);

    if (any_tls) {
        options.connect.set_ssl(make_ssl_options(tls));
        options.tls_unverified = !tls.verify;
    }
}

void set_credentials(client_options& options, const config::uplink_config& config)
{
    if (!config.username.empty())
        options.connect.set_user_name(config.username);

    if (config.password_file.empty())
        return;

    std::string password;
    if (auto ec = read_password_file(config.password_file, password))
        fail(static_cast<uplink_error>(ec.value()), "uplink.password_file " + config.password_file.string());
    options.connect.set_password(password);
}

} // namespace

std::error_code read_password_file(const std::filesystem::path& file, std::string& password)
{
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
        return uplink_error::password_file_unreadable;
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        return uplink_error::password_file_permissions;

    std::ifstream in(file);
    std::string line;
    if (!in || !std::getline(in, line))
        return uplink_error::password_file_unreadable;

    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    if (line.empty())
        return uplink_error::password_file_unreadable;

    password = std::move(line);
    return {};
}

client_options make_client_options(const config::uplink_config& config, const std::string& gateway_id,
                                   const topic_set& topics)
{
    client_options options;
    options.client_id = config.client_id.empty() ? gateway_id : config.client_id;

    set_protocol_version(options, config.mqtt_version);
    set_brokers(options, config.brokers, config.tls);
    set_credentials(options, config);

    options.connect.set_keep_alive_interval(config.keepalive);
    options.connect.set_connect_timeout(connect_timeout);
    options.connect.set_automatic_reconnect(false);

    const std::string will = status_offline_json("connection-lost");
    options.connect.set_will(mqtt::will_options(topics.status, will, 1, true));
    return options;
}

} // namespace citygate::uplink
