#include "gateway/uplink/client_options.hpp"
#include "gateway/uplink/health.hpp"
#include "gateway/uplink/uplink_error.hpp"

#include <doctest/doctest.h>

#include <mqtt/message.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

using namespace citygate;
using namespace citygate::uplink;

namespace {

struct scratch_file {
    explicit scratch_file(const std::string& content, mode_t mode)
    {
        path = std::filesystem::temp_directory_path() /
               ("citygate-uplink-pw-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
        std::ofstream(path) << content;
        ::chmod(path.c_str(), mode);
    }
    ~scratch_file() { std::filesystem::remove(path); }

    std::filesystem::path path;
};

config::uplink_config plain_config()
{
    config::uplink_config c;
    c.brokers = {"tcp://127.0.0.1:1"};
    return c;
}

uplink_error error_of(const std::function<void()>& build)
{
    try {
        build();
    } catch (const std::system_error& e) {
        REQUIRE(e.code().category() == uplink_category());
        return static_cast<uplink_error>(e.code().value());
    }
    FAIL("no std::system_error thrown");
    return {};
}

} // namespace

TEST_CASE("password file: mode 0600 is read, trailing CR LF stripped")
{
    scratch_file file("s3cret\r\nsecond line ignored\n", 0600);

    std::string password;
    CHECK_FALSE(read_password_file(file.path, password));
    CHECK(password == "s3cret");
}

TEST_CASE("password file: group or world access is rejected")
{
    for (const mode_t mode : {0644, 0640, 0604, 0660, 0620, 0602}) {
        CAPTURE(mode);
        scratch_file file("s3cret\n", mode);
        std::string password;
        CHECK(read_password_file(file.path, password) == uplink_error::password_file_permissions);
        CHECK(password.empty());
    }
}

TEST_CASE("password file: missing or empty is rejected")
{
    std::string password;
    CHECK(read_password_file("/nonexistent/citygate/password", password) == uplink_error::password_file_unreadable);

    scratch_file empty("", 0600);
    CHECK(read_password_file(empty.path, password) == uplink_error::password_file_unreadable);
}

TEST_CASE("client options: MQTT 5 is set in the connect options")
{
    const auto options = make_client_options(plain_config(), "gw1", make_topics("gw1", ""));

    CHECK(options.mqtt_version == 5);
    CHECK(options.connect.get_mqtt_version() == 5);
    CHECK(options.client_id == "gw1");
}

TEST_CASE("client options: MQTT 3.1.1 is version 4")
{
    auto c = plain_config();
    c.mqtt_version = 4;

    const auto options = make_client_options(c, "gw1", make_topics("gw1", ""));

    CHECK(options.mqtt_version == 4);
    CHECK(options.connect.get_mqtt_version() == 4);
}

TEST_CASE("client options: other MQTT versions are rejected")
{
    auto c = plain_config();
    c.mqtt_version = 3;
    CHECK(error_of([&] { make_client_options(c, "gw1", make_topics("gw1", "")); }) ==
          uplink_error::invalid_mqtt_version);
}

TEST_CASE("client options: Last Will is the retained connection-lost status")
{
    const auto options = make_client_options(plain_config(), "gw1", make_topics("gw1", ""));

    const auto will = options.connect.get_will_message();
    REQUIRE(will);
    CHECK(will->get_topic() == "citygate/v1/gw1/status");
    CHECK(will->to_string() == status_offline_json("connection-lost"));
    CHECK(will->get_qos() == 1);
    CHECK(will->is_retained());
}

TEST_CASE("client options: broker URIs need a known scheme")
{
    auto c = plain_config();
    c.brokers = {"http://127.0.0.1:1883"};
    CHECK(error_of([&] { make_client_options(c, "gw1", make_topics("gw1", "")); }) ==
          uplink_error::invalid_broker_uri);

    c.brokers.clear();
    CHECK(error_of([&] { make_client_options(c, "gw1", make_topics("gw1", "")); }) == uplink_error::no_brokers);
}

TEST_CASE("client options: TLS verifies the server by default")
{
    scratch_file ca("not parsed here\n", 0644);
    auto c = plain_config();
    c.brokers = {"ssl://[::1]:8883"};
    c.tls.ca_file = ca.path;

    const auto options = make_client_options(c, "gw1", make_topics("gw1", ""));

    CHECK(options.connect.get_ssl_options().get_enable_server_cert_auth());
    CHECK(options.connect.get_ssl_options().get_verify());
    CHECK(options.connect.get_ssl_options().get_trust_store() == ca.path.string());
    CHECK_FALSE(options.tls_unverified);
}

TEST_CASE("client options: a missing TLS CA file is rejected")
{
    auto c = plain_config();
    c.brokers = {"ssl://127.0.0.1:8883"};
    c.tls.ca_file = "/nonexistent/ca.pem";
    CHECK(error_of([&] { make_client_options(c, "gw1", make_topics("gw1", "")); }) ==
          uplink_error::tls_file_missing);
}

TEST_CASE("client options: password file with group access is rejected")
{
    scratch_file file("s3cret\n", 0644);
    auto c = plain_config();
    c.username = "gw1";
    c.password_file = file.path;
    CHECK(error_of([&] { make_client_options(c, "gw1", make_topics("gw1", "")); }) ==
          uplink_error::password_file_permissions);
}
