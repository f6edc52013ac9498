#pragma once
// The daemon's configuration, parsed once from one TOML file into typed
// structs with defaults. See rootfs/etc/citygate/citygate.toml for the
// commented reference and docs/configuration.md for every key, unit and
// limit. Relative paths in the file are resolved against the directory
// that contains the file.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace citygate::config {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct tls_config {
    std::filesystem::path ca_file;   // empty: the system trust store
    std::filesystem::path cert_file; // client certificate, optional
    std::filesystem::path key_file;  // client private key, optional
    bool verify = true;              // server certificate and host name checks
};

// Encoding of the SenML pack inside each envelope (the envelope's content
// type). A CBOR pack takes one half to two thirds of the bytes of its JSON form.
enum class pack_encoding { senml_cbor, senml_json };

struct uplink_config {
    std::vector<std::string> brokers;       // tcp://host:1883, ssl://[::1]:8883, ...
    std::string client_id;                  // default: the gateway id
    std::string username;                   // empty: no authentication
    std::filesystem::path password_file;    // first line is the password; 0600 required
    int mqtt_version = 5;                   // 5 or 4 (3.1.1)
    seconds keepalive{30};
    std::string topic_prefix;               // default: citygate/v1/{gateway_id}
    seconds health_interval{60};
    // Sealed batches published and not yet acknowledged. Two full batches
    // (128 KiB) per 100 ms round trip are 1.3 MB/s, more than a 4G uplink
    // usually carries. Paho C++ and Paho C each keep a copy of a batch in flight.
    std::size_t max_in_flight = 2;
    pack_encoding content_type = pack_encoding::senml_cbor;
    milliseconds reconnect_min{500};
    milliseconds reconnect_max{60000};
    tls_config tls;
};

struct store_config {
    std::uint64_t max_bytes = 256ull * 1024 * 1024; // on-disk cap of buffered data
    std::chrono::hours max_age{24 * 30};            // readings older than this are evicted
    std::size_t batch_max_readings = 500;           // readings sealed into one envelope
    std::uint64_t batch_max_bytes = 64 * 1024;      // max SenML pack bytes sealed into one envelope
    milliseconds flush_interval{1000};              // how often pending readings are sealed
};

enum class parity { none, even, odd };

enum class bus_type {
    serial,     // a local serial port
    tcp_client, // the gateway connects to a serial server or Modbus TCP device
    dtu,        // a 4G DTU connects to the gateway's [dtu] listener and registers
};

struct bus_config {
    std::string id;
    bus_type type = bus_type::serial;

    // serial
    std::string device;                  // /dev/ttyS1, /dev/serial/by-id/...
    unsigned baud = 2400;                // CJ/T 188 meters default to 2400 8E1
    unsigned data_bits = 8;
    config::parity parity = parity::even;
    unsigned stop_bits = 1;

    // tcp-client
    std::string host;                    // name or IP address, IPv6 without brackets
    std::uint16_t port = 0;
    milliseconds connect_timeout{5000};

    // dtu: "text:...", "hex:..." or "pattern:..." as written in the file
    std::string registration;
    std::string heartbeat;               // "text:..." or "hex:..."; empty: none
    milliseconds heartbeat_interval{0};  // a link silent for 3 intervals is dropped; 0 = never

    milliseconds response_timeout{1000};
    milliseconds inter_frame_gap{50};    // silence between the end of one exchange and the next request
    unsigned retries = 2;                // repeats after the first failed attempt
    seconds time_sync_interval{0};       // broadcast time sync to the bus's meters; 0 = never
    int line = 0;                        // line of its [[bus]] header, 0 when not loaded from a file
};

// The listener that 4G DTUs connect to; used when a bus has type "dtu".
struct dtu_config {
    std::vector<std::string> listen;         // "0.0.0.0:9000", "[::]:9000"
    milliseconds registration_timeout{10000}; // from accept to a complete registration packet
    unsigned max_connections = 64;           // accepted connections, registered or not
    int line = 0;                            // line of the [dtu] header
};

struct device_config {
    std::string id;
    std::string driver;
    std::string bus;
    std::string address;
    seconds poll_interval{60};
    unsigned offline_after = 3;                   // consecutive failed polls before "offline"
    std::string component_code;                   // GB/T 30428.2 component code, optional
    std::string location;                         // free text, optional
    std::map<std::string, std::string> options;   // driver-specific keys
    int line = 0;                                 // line of its [[device]] header, 0 when not loaded from a file
};

struct gateway_config {
    std::string id;                                     // [A-Za-z0-9_-]{1,64}
    std::string location;                               // free text, optional
    std::filesystem::path data_dir = "/var/lib/citygate";
    std::filesystem::path key_file = "/etc/citygate/keys.toml";
    std::filesystem::path control_socket = "/run/citygate/control.sock";
    std::string log_level = "info";
};

struct config {
    std::filesystem::path source; // file it was loaded from
    gateway_config gateway;
    uplink_config uplink;
    store_config store;
    dtu_config dtu;
    std::vector<bus_config> buses;
    std::vector<device_config> devices;
};

enum class severity {
    error,   // the file is rejected
    warning, // the file loads; the daemon logs the issue at WARN
};

// One problem found in a config file.
struct config_issue {
    std::filesystem::path file;
    int line = 0;     // 0 when unknown
    int column = 0;   // 0 when unknown; set for TOML syntax errors
    std::string key;  // dotted path with 0-based array indexes, e.g. "device[2].poll_interval"
    std::string message; // what is wrong and what is expected
    citygate::config::severity severity = severity::error;
};

// "file:line: key: message" for errors, "file:line: warning: key: message"
// for warnings. Parts that are unknown (line 0, empty key) are left out.
std::string to_string(const config_issue& issue);

bool has_errors(const std::vector<config_issue>& issues);

// Loads and validates. Appends every problem found to `issues`, errors and
// warnings alike, sorted by line. Returns std::nullopt when at least one
// error was found. Never throws.
std::optional<config> load(const std::filesystem::path& file, std::vector<config_issue>& issues);

// Same, from text already in memory (`source_name` is used in messages and
// its directory resolves relative paths).
std::optional<config> parse(std::string_view text, const std::filesystem::path& source_name,
                            std::vector<config_issue>& issues);

// "citygate/v1/{gateway_id}", the topic prefix when uplink.topic_prefix is unset.
std::string default_topic_prefix(const gateway_config& gateway);

// The gateway id, the MQTT client id when uplink.client_id is unset.
std::string default_client_id(const gateway_config& gateway);

} // namespace citygate::config
