#pragma once
// The citygate subcommands. Each run_* function prints its own output and
// errors and returns the process exit code (exit_codes.hpp).

#include "gateway/crypto/key_file.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace citygate::cli {

inline constexpr const char* default_socket_path = "/run/citygate/control.sock";

struct daemon_options {
    std::filesystem::path socket = default_socket_path;
    bool json = false;
    std::optional<double> timeout_s; // unset: 10 s, or 40 s for "read" and each probe of "bus scan"
};

int run_status(const daemon_options& options);
int run_devices(const daemon_options& options);
int run_read(const daemon_options& options, const std::string& device, bool raw);
int run_queue(const daemon_options& options);

struct write_request {
    std::string device;
    std::string assignment; // NAME=VALUE, e.g. "valve=close"
    bool yes = false;       // skip the confirmation question
    bool raw = false;       // also print the frames
};

// Sends a command to a device after asking for confirmation on stdin.
int run_write(const daemon_options& options, const write_request& request);

struct scan_request {
    std::string bus;
    std::string protocol;                  // dlt645, cjt188 or modbus
    std::optional<std::string> range;      // unset: broadcast read-address (modbus: 1-247)
    std::string edition;                   // empty: the protocol's default
    std::string meter_type;                // CJ/T 188 only
    bool quiet = false;                    // no progress output
    std::optional<std::filesystem::path> append; // config file to add the found devices to
    bool yes = false;                      // append without the confirmation question
};

// Finds device addresses on a bus with one broadcast probe or a sweep of
// probes, prints them, and appends them to a config file when asked.
int run_scan(const daemon_options& options, const scan_request& request);

// Writes a new key file (mode 0600); refuses to overwrite one.
int run_keygen(const std::filesystem::path& key_file, std::uint32_t key_id);

// Loads a key file, printing the reason on failure (as JSON on stdout too
// when `as_json`).
std::optional<crypto::key_set> load_keys(const std::filesystem::path& key_file, bool as_json);

struct init_options {
    std::string gateway_id;                  // empty: ask on standard input
    std::vector<std::string> brokers;        // empty: ask on standard input
    std::optional<std::string> location;     // unset: ask; may be empty
    std::filesystem::path config = "/etc/citygate/citygate.toml";
    std::filesystem::path key_file;          // empty: keys.toml next to the config
    bool force = false;                      // replace an existing key file and config
};

// Writes a new key file (0600) and config (0640) for this box and prints
// the keys once; refuses to replace either file without `force`.
int run_init(const init_options& options);

int run_config_check(const std::filesystem::path& file, bool json);

struct envelope_open_options {
    std::filesystem::path key_file;
    bool json = false;
    bool hex = false; // stdin carries hex text rather than raw bytes
};

int run_envelope_open(const envelope_open_options& options);

struct monitor_options {
    std::string broker;
    std::filesystem::path key_file;
    std::string topic_prefix;  // empty: citygate/v1/+ (every gateway)
    std::string gateway;       // sets the prefix to citygate/v1/{gateway}
    bool json = false;
    std::optional<std::uint64_t> count;  // exit after this many envelopes
    std::optional<double> timeout_s;     // exit 0 after this many seconds
    std::string username;
    std::filesystem::path password_file;
    std::filesystem::path ca_file;       // for ssl:// brokers; empty: system trust store
};

int run_monitor(const monitor_options& options);

struct decode_options {
    std::string protocol;         // cjt188, dlt645, modbus-rtu or modbus-tcp
    std::string direction;        // Modbus: request, response or auto; empty when not given (auto)
    std::vector<std::string> hex; // frame bytes; read from standard input when empty
    bool json = false;
};

// Decodes one captured frame. Exit code 0 for a valid frame, 1 for a
// rejected or incomplete one, 2 for input that is not hex.
int run_decode(const decode_options& options);

} // namespace citygate::cli
