#pragma once
// Parsers for the value formats used in the config file: durations, byte
// sizes, MQTT broker URIs and ids. Shared with the CLI, which validates
// the same formats on the command line.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace citygate::config {

// Parses an integer followed by one unit: "500ms", "2s", "5m", "1h", "30d".
// Returns std::nullopt for any other text or a value above 100 years.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Formats a duration with the largest unit that divides it: 90000ms -> "90s",
// 3600000ms -> "1h".
std::string format_duration(std::chrono::milliseconds value);

// Parses a byte count: "1048576", "512KiB", "256MiB", "2GiB", "1TiB" (powers
// of 1024), "500kB", "100MB", "1GB", "1TB" (powers of 1000), "4096B".
// Returns std::nullopt for any other text or on overflow.
std::optional<std::uint64_t> parse_size(std::string_view text);

struct broker_uri {
    std::string scheme;     // "tcp", "ssl", "mqtt" or "mqtts"
    std::string host;       // name or address, IPv6 without brackets
    std::uint16_t port = 0;

    bool uses_tls() const { return scheme == "ssl" || scheme == "mqtts"; }
};

// Parses scheme://host:port where scheme is tcp, ssl, mqtt or mqtts and
// an IPv6 host is written in brackets ("tcp://[::1]:1883"). On failure
// returns std::nullopt and sets `error` to what is wrong.
std::optional<broker_uri> parse_broker_uri(std::string_view uri, std::string& error);

// Checks the host of a tcp-client bus: a host name, an IPv4 address, or an
// IPv6 address with or without brackets. Returns it without brackets, or
// std::nullopt with `error` set.
std::optional<std::string> parse_tcp_host(std::string_view host, std::string& error);

struct listen_address {
    std::string host;       // IPv4 or IPv6 literal, IPv6 without brackets
    std::uint16_t port = 0;
};

// Parses "0.0.0.0:9000" or "[::]:9000": an IP literal, because a listener
// binds to an interface address, and a port. Sets `error` on failure.
std::optional<listen_address> parse_listen_address(std::string_view text, std::string& error);

// Longest registration or heartbeat packet a DTU may send, and the longest
// registration pattern. Longer input is not a registration.
inline constexpr std::size_t max_dtu_packet_bytes = 256;

// A packet that a DTU sends outside the data stream: its registration or
// its heartbeat.
struct dtu_packet {
    std::vector<std::uint8_t> bytes; // "text:" and "hex:" forms
    std::string pattern;             // "pattern:" form: an ECMAScript regex over the whole packet

    bool is_pattern() const { return !pattern.empty(); }
};

// Parses "text:<characters>", "hex:<hex digits, spaces allowed>" or, when
// `allow_pattern` is set, "pattern:<ECMAScript regular expression>". The
// packet has 1 to max_dtu_packet_bytes bytes. Sets `error` on failure.
std::optional<dtu_packet> parse_dtu_packet(std::string_view text, bool allow_pattern, std::string& error);

// True for 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'. Gateway,
// bus and device ids follow this rule because they appear in MQTT topics
// and file names.
bool is_valid_id(std::string_view id);

} // namespace citygate::config
