// TLS and password authentication against a real mosquitto. Certificates
// and the password file are made in the test with openssl and
// mosquitto_passwd.

#include "gateway/uplink/mqtt_uplink.hpp"
#include "gateway/uplink/uplink_error.hpp"
#include "tests/integration/uplink/uplink_harness.hpp"

#include <doctest/doctest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace citygate;
using namespace citygate::test;
using citygate::uplink::mqtt_uplink;

namespace {

void run_tool(const std::string& command)
{
    INFO(command);
    REQUIRE(std::system((command + " >/dev/null 2>&1").c_str()) == 0);
}

// A CA and a server certificate for 127.0.0.1 signed by it, with EC keys
// because they are quick to generate.
struct test_pki {
    explicit test_pki(const std::filesystem::path& directory) : dir(directory)
    {
        make_ca("ca");
        make_ca("other-ca");

        const std::string d = dir.string() + "/";
        std::ofstream(dir / "san.cnf") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
        run_tool("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + d +
                 "server.key -out " + d + "server.csr -subj /CN=127.0.0.1");
        run_tool("openssl x509 -req -in " + d + "server.csr -CA " + d + "ca.crt -CAkey " + d +
                 "ca.key -CAcreateserial -days 1 -extfile " + d + "san.cnf -out " + d + "server.crt");
    }

    void make_ca(const std::string& name)
    {
        const std::string base = (dir / name).string();
        run_tool("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=citygate-test-" +
                 name + " -keyout " + base + ".key -out " + base + ".crt");
    }

    std::string mosquitto_config() const
    {
        return "cafile " + (dir / "ca.crt").string() + "\ncertfile " + (dir / "server.crt").string() + "\nkeyfile " +
               (dir / "server.key").string() + "\n";
    }

    std::filesystem::path dir;
};

std::filesystem::path write_password_file(const std::filesystem::path& dir, const std::string& password, mode_t mode)
{
    const auto file = dir / ("uplink-password-" + std::to_string(mode));
    std::ofstream(file) << password << '\n';
    ::chmod(file.c_str(), mode);
    return file;
}

// Routes spdlog into a string for the lifetime of the object.
struct captured_log {
    captured_log() : previous(spdlog::default_logger())
    {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text);
        auto logger = std::make_shared<spdlog::logger>("capture", sink);
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(logger);
    }
    ~captured_log() { spdlog::set_default_logger(previous); }

    std::ostringstream text;
    std::shared_ptr<spdlog::logger> previous;
};

} // namespace

TEST_CASE("TLS broker: verified connect with the right CA")
{
    temp_dir dir;
    test_pki pki(dir.path());
    mosquitto_options options;
    options.extra_config = pki.mosquitto_config();
    mosquitto_fixture broker(options);

    boost::asio::io_context io;
    auto config = test_uplink_config("ssl://127.0.0.1:" + std::to_string(broker.port()));
    config.tls.ca_file = pki.dir / "ca.crt";
    REQUIRE(config.tls.verify); // on unless configured off
    const std::string id = unique_gateway_id();
    mqtt_uplink link(io, config, id, "0.1.0-test", {});
    link.start();

    REQUIRE(run_until(io, [&] { return link.connected(); }, 5s));
    CHECK(link.stats().broker_uri.starts_with("ssl://"));
    CHECK(wait_for_log(broker, "as " + id + " (p5,"));
}

TEST_CASE("TLS broker: server certificate from another CA is rejected")
{
    temp_dir dir;
    test_pki pki(dir.path());
    mosquitto_options options;
    options.extra_config = pki.mosquitto_config();
    mosquitto_fixture broker(options);

    boost::asio::io_context io;
    auto config = test_uplink_config("ssl://127.0.0.1:" + std::to_string(broker.port()));
    config.tls.ca_file = pki.dir / "other-ca.crt";
    mqtt_uplink link(io, config, unique_gateway_id(), "0.1.0-test", {});
    link.start();

    // Fails, then keeps trying with backoff, never connecting.
    CHECK(run_until(io, [&] { return link.stats().connect_failures >= 2; }, 5s));
    CHECK_FALSE(link.connected());
    CHECK(link.stats().connects == 0);
}

TEST_CASE("password file: username and 0600 password file authenticate")
{
    temp_dir dir;
    const std::string password = "pw-Changle-7f3a9c";
    const auto broker_passwords = dir.path() / "mosquitto.passwd";
    run_tool("/usr/bin/mosquitto_passwd -b -c " + broker_passwords.string() + " gw-user " + password);
    mosquitto_options options;
    options.password_file = broker_passwords;
    mosquitto_fixture broker(options);

    captured_log log;
    boost::asio::io_context io;
    auto config = test_uplink_config(broker.uri());
    config.username = "gw-user";
    config.password_file = write_password_file(dir.path(), password, 0600);
    mqtt_uplink link(io, config, unique_gateway_id(), "0.1.0-test", {});
    link.start();

    REQUIRE(run_until(io, [&] { return link.connected(); }, 5s));
    bool stopped = false;
    link.stop([&] { stopped = true; });
    REQUIRE(run_until(io, [&] { return stopped; }, 5s));

    CHECK(log.text.str().find("link up") != std::string::npos); // the capture works
    CHECK(log.text.str().find(password) == std::string::npos);
}

TEST_CASE("password file: wrong password is refused by the broker")
{
    temp_dir dir;
    const auto broker_passwords = dir.path() / "mosquitto.passwd";
    run_tool("/usr/bin/mosquitto_passwd -b -c " + broker_passwords.string() + " gw-user right-password");
    mosquitto_options options;
    options.password_file = broker_passwords;
    mosquitto_fixture broker(options);

    captured_log log;
    boost::asio::io_context io;
    auto config = test_uplink_config(broker.uri());
    config.username = "gw-user";
    config.password_file = write_password_file(dir.path(), "wrong-password-5d1e", 0600);
    mqtt_uplink link(io, config, unique_gateway_id(), "0.1.0-test", {});
    link.start();

    CHECK(run_until(io, [&] { return link.stats().connect_failures >= 2; }, 5s));
    CHECK_FALSE(link.connected());
    CHECK(log.text.str().find("failed") != std::string::npos);
    CHECK(log.text.str().find("wrong-password-5d1e") == std::string::npos);
}

TEST_CASE("password file: mode 0644 is rejected before connecting")
{
    temp_dir dir;
    boost::asio::io_context io;
    auto config = test_uplink_config("tcp://127.0.0.1:" + std::to_string(free_port()));
    config.username = "gw-user";
    config.password_file = write_password_file(dir.path(), "secret-0644", 0644);

    try {
        mqtt_uplink link(io, config, unique_gateway_id(), "0.1.0-test", {});
        FAIL("a group- and world-readable password file was accepted");
    } catch (const std::system_error& e) {
        CHECK(e.code() == uplink::uplink_error::password_file_permissions);
        CHECK(std::string(e.what()).find(config.password_file.string()) != std::string::npos);
        CHECK(std::string(e.what()).find("secret-0644") == std::string::npos);
    }
}
