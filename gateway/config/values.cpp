#include "gateway/config/values.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <regex>

namespace citygate::config {

namespace {

struct unit_factor {
    std::string_view suffix;
    std::uint64_t factor;
};

// Splits "256MiB" into 256 and "MiB". Rejects signs, spaces and empty numbers.
bool split_number(std::string_view text, std::uint64_t& number, std::string_view& suffix)
{
    const auto* first = text.data();
    const auto* last = text.data() + text.size();
    auto [end, ec] = std::from_chars(first, last, number);
    if (ec != std::errc{} || end == first)
        return false;

    suffix = std::string_view(end, static_cast<std::size_t>(last - end));
    return true;
}

std::optional<std::uint64_t> multiply(std::uint64_t number, std::uint64_t factor, std::uint64_t limit)
{
    if (factor != 0 && number > limit / factor)
        return std::nullopt;
    return number * factor;
}

bool is_hostname(std::string_view host)
{
    if (host.empty() || host.size() > 253)
        return false;

    std::size_t start = 0;
    while (start <= host.size()) {
        auto dot = host.find('.', start);
        auto label = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return false;
        bool valid = std::all_of(label.begin(), label.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        });
        if (!valid)
            return false;
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    return true;
}

bool looks_like_ipv4(std::string_view host)
{
    return std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

bool is_address(int family, const std::string& host)
{
    std::array<unsigned char, 16> buffer{};
    return inet_pton(family, host.c_str(), buffer.data()) == 1;
}

// Checks the host part and stores it without brackets in `out`.
bool parse_host(std::string_view host, broker_uri& out, std::string& error)
{
    if (host.empty()) {
        error = "the host is missing";
        return false;
    }

    if (host.front() == '[') {
        out.host = std::string(host.substr(1, host.size() - 2));
        if (host.back() != ']' || !is_address(AF_INET6, out.host)) {
            error = "\"" + std::string(host) + "\" is not a valid IPv6 address in brackets";
            return false;
        }
        return true;
    }

    out.host = std::string(host);
    if (looks_like_ipv4(host)) {
        if (!is_address(AF_INET, out.host)) {
            error = "\"" + out.host + "\" is not a valid IPv4 address";
            return false;
        }
        return true;
    }
    if (!is_hostname(host)) {
        error = "\"" + out.host + "\" is not a valid host name";
        return false;
    }
    return true;
}

bool parse_port(std::string_view text, broker_uri& out, std::string& error)
{
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
        error = "the port must be a number from 1 to 65535, got \"" + std::string(text) + "\"";
        return false;
    }
    out.port = static_cast<std::uint16_t>(value);
    return true;
}

// Splits "host:port" or "[v6]:port" at the port colon. Returns false when
// there is no port or an IPv6 address lacks brackets.
bool split_host_port(std::string_view authority, std::string_view& host, std::string_view& port, std::string& error)
{
    std::size_t colon = std::string_view::npos;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) {
            error = "the IPv6 address has no closing ']'";
            return false;
        }
        if (close + 1 < authority.size() && authority[close + 1] == ':')
            colon = close + 1;
    } else {
        if (std::count(authority.begin(), authority.end(), ':') > 1) {
            error = "an IPv6 address must be written in brackets, e.g. tcp://[::1]:1883";
            return false;
        }
        colon = authority.find(':');
    }

    if (colon == std::string_view::npos) {
        error = "the port is missing, e.g. tcp://broker.example:1883 or ssl://broker.example:8883";
        return false;
    }
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    return true;
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text)
{
    static constexpr std::array<unit_factor, 5> units{{
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000},
    }};
    // A hundred years; larger values are typing errors and risk overflow downstream.
    constexpr std::uint64_t limit = 100ull * 365 * 86'400'000;

    std::uint64_t number = 0;
    std::string_view suffix;
    if (!split_number(text, number, suffix))
        return std::nullopt;

    for (const auto& unit : units) {
        if (suffix != unit.suffix)
            continue;
        auto value = multiply(number, unit.factor, limit);
        if (!value)
            return std::nullopt;
        return std::chrono::milliseconds(static_cast<std::int64_t>(*value));
    }
    return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds value)
{
    static constexpr std::array<unit_factor, 4> units{{
        {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000},
    }};

    const auto count = value.count();
    for (const auto& unit : units) {
        const auto factor = static_cast<std::int64_t>(unit.factor);
        if (count != 0 && count % factor == 0)
            return std::to_string(count / factor) + std::string(unit.suffix);
    }
    return std::to_string(count) + "ms";
}

std::optional<std::uint64_t> parse_size(std::string_view text)
{
    static constexpr std::array<unit_factor, 10> units{{
        {"", 1}, {"B", 1},
        {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}, {"TiB", 1ull << 40},
        {"kB", 1'000}, {"MB", 1'000'000}, {"GB", 1'000'000'000}, {"TB", 1'000'000'000'000},
    }};

    std::uint64_t number = 0;
    std::string_view suffix;
    if (!split_number(text, number, suffix))
        return std::nullopt;

    for (const auto& unit : units) {
        if (suffix == unit.suffix)
            return multiply(number, unit.factor, std::numeric_limits<std::uint64_t>::max());
    }
    return std::nullopt;
}

std::optional<broker_uri> parse_broker_uri(std::string_view uri, std::string& error)
{
    broker_uri out;

    auto separator = uri.find("://");
    if (separator == std::string_view::npos) {
        error = "expected scheme://host:port, e.g. tcp://broker.example:1883";
        return std::nullopt;
    }
    out.scheme = std::string(uri.substr(0, separator));
    if (out.scheme != "tcp" && out.scheme != "ssl" && out.scheme != "mqtt" && out.scheme != "mqtts") {
        error = "the scheme must be tcp, ssl, mqtt or mqtts, got \"" + out.scheme + "\"";
        return std::nullopt;
    }

    auto authority = uri.substr(separator + 3);
    if (authority.find_first_of("/?#@") != std::string_view::npos) {
        error = "expected only scheme://host:port; paths, queries and user names are not supported";
        return std::nullopt;
    }

    std::string_view host;
    std::string_view port;
    if (!split_host_port(authority, host, port, error) || !parse_host(host, out, error) || !parse_port(port, out, error))
        return std::nullopt;
    return out;
}

std::optional<std::string> parse_tcp_host(std::string_view host, std::string& error)
{
    broker_uri parsed;
    const bool bare_ipv6 = !host.empty() && host.find(':') != std::string_view::npos && host.front() != '[';
    if (bare_ipv6) {
        parsed.host = std::string(host);
        if (!is_address(AF_INET6, parsed.host)) {
            error = "\"" + parsed.host + "\" is not a valid IPv6 address";
            return std::nullopt;
        }
        return parsed.host;
    }
    if (!parse_host(host, parsed, error))
        return std::nullopt;
    return parsed.host;
}

std::optional<listen_address> parse_listen_address(std::string_view text, std::string& error)
{
    std::string_view host;
    std::string_view port;
    broker_uri parsed;
    if (!split_host_port(text, host, port, error)) {
        error = "expected an IP address and a port, e.g. \"0.0.0.0:9000\" or \"[::]:9000\"";
        return std::nullopt;
    }
    if (!parse_host(host, parsed, error) || !parse_port(port, parsed, error))
        return std::nullopt;
    if (!is_address(AF_INET, parsed.host) && !is_address(AF_INET6, parsed.host)) {
        error = "expected an IP address to listen on, got the host name \"" + parsed.host + "\"";
        return std::nullopt;
    }
    return listen_address{parsed.host, parsed.port};
}

namespace {

std::optional<std::vector<std::uint8_t>> parse_hex_bytes(std::string_view text)
{
    std::vector<std::uint8_t> out;
    int high = -1;
    for (char c : text) {
        if (c == ' ')
            continue;
        int nibble = -1;
        if (c >= '0' && c <= '9')
            nibble = c - '0';
        else if (c >= 'a' && c <= 'f')
            nibble = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            nibble = c - 'A' + 10;
        if (nibble < 0)
            return std::nullopt;
        if (high < 0) {
            high = nibble;
            continue;
        }
        out.push_back(static_cast<std::uint8_t>(high << 4 | nibble));
        high = -1;
    }
    if (high >= 0)
        return std::nullopt;
    return out;
}

bool check_pattern(const std::string& pattern, std::string& error)
{
    try {
        std::regex compiled(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        error = "invalid regular expression: " + std::string(e.what());
        return false;
    }
    return true;
}

} // namespace

std::optional<dtu_packet> parse_dtu_packet(std::string_view text, bool allow_pattern, std::string& error)
{
    const auto forms = std::string(allow_pattern ? "\"text:...\", \"hex:...\" or \"pattern:...\""
                                                 : "\"text:...\" or \"hex:...\"");
    const auto colon = text.find(':');
    const auto kind = text.substr(0, colon == std::string_view::npos ? 0 : colon);
    const auto body = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);

    dtu_packet out;
    if (kind == "text") {
        out.bytes.assign(body.begin(), body.end());
    } else if (kind == "hex") {
        auto bytes = parse_hex_bytes(body);
        if (!bytes) {
            error = "expected pairs of hex digits after \"hex:\", e.g. \"hex:FE 01 A0\"";
            return std::nullopt;
        }
        out.bytes = std::move(*bytes);
    } else if (kind == "pattern" && allow_pattern) {
        out.pattern = std::string(body);
        if (out.pattern.empty() || out.pattern.size() > max_dtu_packet_bytes) {
            error = "the pattern must have 1 to " + std::to_string(max_dtu_packet_bytes) + " characters";
            return std::nullopt;
        }
        if (!check_pattern(out.pattern, error))
            return std::nullopt;
        return out;
    } else {
        error = "expected " + forms;
        return std::nullopt;
    }

    if (out.bytes.empty() || out.bytes.size() > max_dtu_packet_bytes) {
        error = "the packet must have 1 to " + std::to_string(max_dtu_packet_bytes) + " bytes";
        return std::nullopt;
    }
    return out;
}

bool is_valid_id(std::string_view id)
{
    if (id.empty() || id.size() > 64)
        return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

} // namespace citygate::config
