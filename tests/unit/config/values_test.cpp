// Value formats of the config file: durations, sizes, broker URIs, ids.

#include "gateway/config/values.hpp"

#include <doctest/doctest.h>

using namespace citygate::config;
using std::chrono::milliseconds;

TEST_CASE("parse_duration units")
{
    CHECK(parse_duration("500ms") == milliseconds(500));
    CHECK(parse_duration("2s") == milliseconds(2000));
    CHECK(parse_duration("5m") == milliseconds(300'000));
    CHECK(parse_duration("1h") == milliseconds(3'600'000));
    CHECK(parse_duration("30d") == milliseconds(2'592'000'000));
    CHECK(parse_duration("0s") == milliseconds(0));
}

TEST_CASE("parse_duration rejects malformed text")
{
    for (const char* text : {"", "fast", "s", "10", "1.5s", "-1s", "+1s", " 1s", "1s ", "1 s", "1sec", "1S", "1w",
                             "99999999999999999999s", "40000d"}) {
        CAPTURE(text);
        CHECK_FALSE(parse_duration(text).has_value());
    }
}

TEST_CASE("format_duration picks largest exact unit")
{
    CHECK(format_duration(milliseconds(500)) == "500ms");
    CHECK(format_duration(milliseconds(1500)) == "1500ms");
    CHECK(format_duration(milliseconds(90'000)) == "90s");
    CHECK(format_duration(milliseconds(3'600'000)) == "1h");
    CHECK(format_duration(milliseconds(86'400'000)) == "1d");
    CHECK(format_duration(milliseconds(0)) == "0ms");
}

TEST_CASE("parse_size units")
{
    CHECK(parse_size("4096") == 4096u);
    CHECK(parse_size("4096B") == 4096u);
    CHECK(parse_size("512KiB") == 512u * 1024);
    CHECK(parse_size("256MiB") == 256ull << 20);
    CHECK(parse_size("2GiB") == 2ull << 30);
    CHECK(parse_size("1TiB") == 1ull << 40);
    CHECK(parse_size("500kB") == 500'000u);
    CHECK(parse_size("100MB") == 100'000'000u);
    CHECK(parse_size("1GB") == 1'000'000'000u);
}

TEST_CASE("parse_size rejects malformed text and overflow")
{
    for (const char* text : {"", "MiB", "256mib", "256 MiB", "1.5GiB", "-1", "20000000TiB", "256Mb"}) {
        CAPTURE(text);
        CHECK_FALSE(parse_size(text).has_value());
    }
}

TEST_CASE("broker URI IPv4, IPv6 and host names")
{
    struct accepted_uri {
        const char* uri;
        const char* scheme;
        const char* host;
        std::uint16_t port;
        bool tls;
    };
    const accepted_uri cases[] = {
        {"tcp://127.0.0.1:1883", "tcp", "127.0.0.1", 1883, false},
        {"mqtt://broker.example:1883", "mqtt", "broker.example", 1883, false},
        {"ssl://mqtt.changle.example:8883", "ssl", "mqtt.changle.example", 8883, true},
        {"mqtts://10.0.0.1:8883", "mqtts", "10.0.0.1", 8883, true},
        {"tcp://[::1]:1883", "tcp", "::1", 1883, false},
        {"ssl://[2001:db8::10]:8883", "ssl", "2001:db8::10", 8883, true},
        {"tcp://[::ffff:192.0.2.1]:65535", "tcp", "::ffff:192.0.2.1", 65535, false},
        {"tcp://localhost:1", "tcp", "localhost", 1, false},
    };
    for (const auto& c : cases) {
        CAPTURE(c.uri);
        std::string error;
        auto uri = parse_broker_uri(c.uri, error);
        REQUIRE(uri.has_value());
        CHECK(uri->scheme == c.scheme);
        CHECK(uri->host == c.host);
        CHECK(uri->port == c.port);
        CHECK(uri->uses_tls() == c.tls);
        CHECK(error.empty());
    }
}

TEST_CASE("broker URI rejections name the fault")
{
    struct rejected_uri {
        const char* uri;
        const char* fragment;
    };
    const rejected_uri cases[] = {
        {"broker.example:1883", "scheme://host:port"},
        {"http://broker.example:1883", "scheme must be tcp, ssl, mqtt or mqtts"},
        {"ws://broker.example:80", "scheme must be"},
        {"tcp://broker.example", "port is missing"},
        {"tcp://::1:1883", "IPv6 address must be written in brackets"},
        {"tcp://[::1:1883", "no closing ']'"},
        {"tcp://[::1]", "port is missing"},
        {"tcp://[::g]:1883", "not a valid IPv6 address"},
        {"tcp://[192.0.2.1]:1883", "not a valid IPv6 address"},
        {"tcp://256.1.1.1:1883", "not a valid IPv4 address"},
        {"tcp://1.2.3:1883", "not a valid IPv4 address"},
        {"tcp://-bad.example:1883", "not a valid host name"},
        {"tcp://bad_host:1883", "not a valid host name"},
        {"tcp://:1883", "host is missing"},
        {"tcp://broker.example:0", "port must be a number from 1 to 65535"},
        {"tcp://broker.example:65536", "port must be"},
        {"tcp://broker.example:18x3", "port must be"},
        {"tcp://user@broker.example:1883", "user names are not supported"},
        {"tcp://broker.example:1883/path", "paths"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.uri);
        std::string error;
        CHECK_FALSE(parse_broker_uri(c.uri, error).has_value());
        CHECK(error.find(c.fragment) != std::string::npos);
    }
}

TEST_CASE("is_valid_id character set and length")
{
    CHECK(is_valid_id("changle-gw-0001"));
    CHECK(is_valid_id("A_b-9"));
    CHECK(is_valid_id(std::string(64, 'x')));
    CHECK_FALSE(is_valid_id(""));
    CHECK_FALSE(is_valid_id(std::string(65, 'x')));
    CHECK_FALSE(is_valid_id("gw 1"));
    CHECK_FALSE(is_valid_id("gw/1"));
    CHECK_FALSE(is_valid_id("gw+1"));
    CHECK_FALSE(is_valid_id("网关"));
}
