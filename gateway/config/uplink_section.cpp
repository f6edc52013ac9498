// [uplink] and [uplink.tls].

#include "gateway/config/sections.hpp"
#include "gateway/config/values.hpp"

#include <algorithm>
#include <optional>

namespace citygate::config::detail {

namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct broker_schemes {
    bool tls = false;   // at least one ssl:// or mqtts:// broker
    bool plain = false; // at least one tcp:// or mqtt:// broker
};

broker_schemes read_brokers(table_reader& reader, const toml::table& table, std::vector<std::string>& out)
{
    broker_schemes schemes;
    if (!reader.read_string_array("brokers", out))
        return schemes;

    if (out.empty()) {
        reader.sink().error(reader.line_of("brokers"), "uplink.brokers",
                            "expected at least one broker URI, e.g. [\"ssl://mqtt.example.cn:8883\"]");
        return schemes;
    }

    const auto& array = *table["brokers"].as_array();
    for (std::size_t i = 0; i < out.size(); ++i) {
        std::string error;
        auto uri = parse_broker_uri(out[i], error);
        if (!uri) {
            reader.sink().error(line_of(array[i]), "uplink.brokers[" + std::to_string(i) + "]",
                                "invalid broker URI " + quote_text(out[i]) + ": " + error);
            continue;
        }
        (uri->uses_tls() ? schemes.tls : schemes.plain) = true;
    }
    return schemes;
}

// MQTT 3.1.1 is protocol level 4 on the wire, so the file accepts both the
// name "3.1.1" and the number 4; MQTT 5.0 is 5 or "5.0".
void read_mqtt_version(table_reader& reader, int& out)
{
    const auto* node = reader.read_node("mqtt_version");
    if (!node)
        return;

    std::optional<int> version;
    if (node->is_integer() && (node->as_integer()->get() == 4 || node->as_integer()->get() == 5))
        version = static_cast<int>(node->as_integer()->get());
    else if (node->is_string() && node->as_string()->get() == "3.1.1")
        version = 4;
    else if (node->is_string() && (node->as_string()->get() == "5" || node->as_string()->get() == "5.0"))
        version = 5;

    if (!version) {
        reader.sink().error(line_of(*node), "uplink.mqtt_version",
                            "expected \"3.1.1\" (or 4) for MQTT 3.1.1, or 5 (or \"5.0\") for MQTT 5.0, got " +
                                describe(*node));
        return;
    }
    out = *version;
}

bool has_control_characters(std::string_view text)
{
    return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

void check_client_id(table_reader& reader, const std::string& client_id)
{
    // MQTT encodes the client id as a length-prefixed UTF-8 string.
    if (client_id.size() > 65535 || has_control_characters(client_id))
        reader.sink().error(reader.line_of("client_id"), "uplink.client_id",
                            "expected at most 65535 bytes without control characters");
}

void check_topic_prefix(table_reader& reader, const std::string& prefix)
{
    const auto key = "uplink.topic_prefix";
    const auto line = reader.line_of("topic_prefix");
    if (prefix.find_first_of("+#") != std::string::npos)
        reader.sink().error(line, key, "expected a topic without the wildcards '+' and '#', got " + quote_text(prefix));
    else if (prefix.front() == '/' || prefix.back() == '/' || prefix.find("//") != std::string::npos)
        reader.sink().error(line, key,
                            "expected topic levels without empty levels or leading and trailing '/', got " + quote_text(prefix));
    else if (has_control_characters(prefix) || prefix.size() > 1024)
        reader.sink().error(line, key, "expected at most 1024 bytes without control characters");
}

// Returns true when [uplink.tls] names a CA, certificate or key file. verify
// alone does not count: the reference config sets it, and it is harmless
// with plain TCP brokers.
bool read_tls(table_reader& uplink, tls_config& out)
{
    const auto* table = uplink.read_table("tls");
    if (!table)
        return false;
    table_reader reader(*table, "uplink.tls", uplink.sink());

    reader.read_path("ca_file", out.ca_file, presence::non_empty);
    reader.read_path("cert_file", out.cert_file, presence::non_empty);
    reader.read_path("key_file", out.key_file, presence::non_empty);
    reader.read_bool("verify", out.verify);

    if (reader.contains("cert_file") != reader.contains("key_file")) {
        const auto* missing = reader.contains("cert_file") ? "key_file" : "cert_file";
        reader.sink().error(reader.line(), reader.key_path(missing),
                            "missing; a client certificate needs both cert_file and key_file");
    }

    reader.report_unknown_keys();
    return reader.contains("ca_file") || reader.contains("cert_file") || reader.contains("key_file");
}

void check_tls_use(table_reader& reader, const uplink_config& out, bool tls_given, broker_schemes schemes)
{
    if (tls_given && !schemes.tls && schemes.plain) {
        reader.sink().error(reader.line_of("tls"), "uplink.tls",
                            "TLS files are given but no broker in uplink.brokers uses ssl:// or mqtts://");
    }
    if (schemes.tls && !out.tls.verify) {
        reader.sink().warning(reader.line_of("tls"), "uplink.tls.verify",
                              "server certificate verification is disabled, so anyone on the path can impersonate "
                              "the broker; use this only with a lab broker");
    }
    if (schemes.tls && schemes.plain) {
        reader.sink().warning(reader.line_of("brokers"), "uplink.brokers",
                              "brokers mix TLS and plain TCP; while connected to a tcp:// or mqtt:// broker the "
                              "MQTT session, including the password, is not protected by TLS");
    }
}

void check_credentials(table_reader& reader, const uplink_config& out)
{
    // MQTT 3.1.1 section 3.1.2.9: the password flag requires the user name flag.
    if (out.mqtt_version == 4 && !out.password_file.empty() && out.username.empty())
        reader.sink().error(reader.line_of("password_file"), "uplink.password_file",
                            "MQTT 3.1.1 does not allow a password without a user name; set uplink.username");
}

} // namespace

void read_uplink(table_reader& root, uplink_config& out)
{
    const auto* table = root.read_table("uplink");
    if (!table) {
        if (!root.contains("uplink"))
            root.sink().error(root.line(), "uplink.brokers",
                              "missing required key; add an [uplink] section with brokers = [\"ssl://host:8883\"]");
        return;
    }
    table_reader reader(*table, "uplink", root.sink());

    if (!reader.contains("brokers"))
        reader.sink().error(reader.line(), "uplink.brokers",
                            "missing required key; expected at least one broker URI, e.g. [\"ssl://mqtt.example.cn:8883\"]");
    const auto schemes = read_brokers(reader, *table, out.brokers);

    if (reader.read_string("client_id", out.client_id, presence::non_empty))
        check_client_id(reader, out.client_id);
    reader.read_string("username", out.username);
    reader.read_path("password_file", out.password_file, presence::non_empty);
    read_mqtt_version(reader, out.mqtt_version);
    // MQTT carries the keep alive as a 16-bit number of seconds.
    reader.read_duration("keepalive", out.keepalive, seconds(1), seconds(65535));
    if (reader.read_string("topic_prefix", out.topic_prefix, presence::non_empty))
        check_topic_prefix(reader, out.topic_prefix);
    reader.read_duration("health_interval", out.health_interval, seconds(1), hours(24));
    reader.read_number("max_in_flight", out.max_in_flight, 1, 1024);
    std::string content_type;
    if (reader.read_choice("content_type", content_type, {"senml-cbor", "senml-json"}))
        out.content_type = content_type == "senml-json" ? pack_encoding::senml_json : pack_encoding::senml_cbor;
    reader.read_duration("reconnect_min", out.reconnect_min, milliseconds(1), hours(1));
    reader.read_duration("reconnect_max", out.reconnect_max, milliseconds(1), hours(24));
    if (out.reconnect_max < out.reconnect_min)
        reader.sink().error(reader.line_of("reconnect_max"), "uplink.reconnect_max",
                            "expected a duration of at least reconnect_min (" + format_duration(out.reconnect_min) +
                                "), got " + format_duration(out.reconnect_max));

    const bool tls_given = read_tls(reader, out.tls);
    check_tls_use(reader, out, tls_given, schemes);
    check_credentials(reader, out);

    reader.report_unknown_keys();
}

} // namespace citygate::config::detail
