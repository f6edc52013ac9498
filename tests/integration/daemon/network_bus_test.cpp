// citygated with buses over TCP: a tcp-client bus to a serial server (socat
// bridging TCP to a pty) and a dtu bus fed by a test DTU that dials in over
// IPv6, registers, heartbeats and relays to its serial line. Each line has
// a CJ/T 188 simulator behind it; readings must reach an independent MQTT
// subscriber, verified and decrypted.

#include "tests/integration/daemon/dtu_relay.hpp"
#include "tests/integration/daemon/harness.hpp"
#include "tests/support/mosquitto_fixture.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <thread>

namespace citygate::itest {
namespace {

const std::string tcp_meter = "78330011220001";
const std::string dtu_meter = "78330011220002";

std::string network_buses(std::uint16_t serial_server_port, std::uint16_t dtu_port)
{
    const auto dtu = std::to_string(dtu_port);
    return "[dtu]\nlisten = [\"127.0.0.1:" + dtu + "\", \"[::1]:" + dtu + "\"]\nregistration_timeout = \"2s\"\n\n" +
           "[[bus]]\nid = \"ser-1\"\ntype = \"tcp-client\"\nhost = \"127.0.0.1\"\nport = " +
           std::to_string(serial_server_port) +
           "\nconnect_timeout = \"2s\"\nresponse_timeout = \"500ms\"\ninter_frame_gap = \"5ms\"\n\n"
           "[[bus]]\nid = \"dtu-1\"\ntype = \"dtu\"\nregistration = \"text:CL-DTU-0001\"\n"
           "heartbeat = \"hex:48 42\"\nheartbeat_interval = \"1s\"\nresponse_timeout = \"500ms\"\n"
           "inter_frame_gap = \"5ms\"\n\n"
           "[[device]]\nid = \"wm-tcp\"\ndriver = \"cjt188\"\nbus = \"ser-1\"\naddress = \"" +
           tcp_meter + "\"\npoll_interval = \"1s\"\n\n" +
           "[[device]]\nid = \"wm-dtu\"\ndriver = \"cjt188\"\nbus = \"dtu-1\"\naddress = \"" + dtu_meter +
           "\"\npoll_interval = \"1s\"\n";
}

std::size_t readings_of(const collector& c, const std::string& device)
{
    std::size_t n = 0;
    for (const auto& [event, id, time] : analyse(c.envelopes()).readings)
        n += !event && id == device ? 1 : 0;
    return n;
}

// Connects to 127.0.0.1:port, sends `bytes` and returns true when the peer
// closes the connection within 3 s.
bool closed_after_sending(std::uint16_t port, const std::string& bytes)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    bool closed = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size())) {
        timeval timeout{3, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        char c = 0;
        closed = ::read(fd, &c, 1) == 0;
    }
    ::close(fd);
    return closed;
}

std::string read_file(const std::filesystem::path& path)
{
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_CASE("tcp-client and dtu buses deliver decrypted readings")
{
    test::temp_dir dir;
    test::mosquitto_fixture broker;
    std::filesystem::create_directories(dir.path() / "serial-server");
    std::filesystem::create_directories(dir.path() / "dtu");
    pty_bus serial_server_line(dir.path() / "serial-server");
    pty_bus dtu_line(dir.path() / "dtu");

    const auto serial_server_port = test::free_port();
    const auto dtu_port = test::free_port(test::address_family::ipv6);
    gateway_options options;
    options.broker_port = broker.port();
    options.buses_and_devices = network_buses(serial_server_port, dtu_port);
    gateway_files files(dir.path(), options, {});

    child tcp_sim({simulator_path(), "--device", serial_server_line.device_end().string(), "--meter", tcp_meter},
                  dir.path() / "sim-tcp.log");
    child dtu_sim({simulator_path(), "--device", dtu_line.device_end().string(), "--meter", dtu_meter},
                  dir.path() / "sim-dtu.log");
    // The serial server: one TCP connection bridged to the line's pty. It
    // is not probed for readiness, because a probe would take the one
    // connection; the gateway reconnects with backoff until it listens.
    child serial_server({"/usr/bin/socat",
                         "TCP-LISTEN:" + std::to_string(serial_server_port) + ",bind=127.0.0.1,reuseaddr",
                         "GOPEN:" + serial_server_line.gateway_end().string() + ",raw,echo=0"},
                        dir.path() / "serial-server.log");

    collector subscriber(broker.port(), "citygate/v1/" + options.gateway_id, files.keys);
    child gateway({citygated_path(), "--config", files.config.string()}, dir.path() / "citygated.log");
    dtu_relay dtu({.address = "::1",
                   .port = dtu_port,
                   .serial = dtu_line.gateway_end(),
                   .registration = "CL-DTU-0001",
                   .heartbeat = "HB",
                   .heartbeat_every = 300ms});

    REQUIRE_MESSAGE(subscriber.wait_until(
                        [](const collector& c) { return readings_of(c, "wm-tcp") >= 3 && readings_of(c, "wm-dtu") >= 3; },
                        30s),
                    read_file(dir.path() / "citygated.log"));
    const auto report = analyse(subscriber.envelopes());
    CHECK(report.last_volume.at("wm-tcp") > 0);
    CHECK(report.last_volume.at("wm-dtu") > 0);
    CHECK(subscriber.rejected() == 0);
    CHECK(dtu.connections() == 1);
    CHECK(dtu.heartbeats_sent() > 0);

    // A scanner's probe is rejected and counted in the health report.
    CHECK(closed_after_sending(dtu_port, "GET / HTTP/1.0\r\n\r\n"));
    REQUIRE(subscriber.wait_until(
        [](const collector& c) {
            const auto health = c.health_payloads();
            return !health.empty() && health.back().find("\"rejected\":1,") != std::string::npos;
        },
        10s));
    const auto health = subscriber.health_payloads().back();
    CHECK(health.find("\"dtu\":{\"attached\":1,\"registered\":1,\"replaced\":0,\"rejected\":1,") != std::string::npos);

    const auto log = read_file(dir.path() / "citygated.log");
    CHECK(log.find("bus ser-1: opened tcp 127.0.0.1:" + std::to_string(serial_server_port)) != std::string::npos);
    CHECK(log.find("bus dtu-1: DTU registered from [::1]:") != std::string::npos);
    CHECK(log.find("unknown registration 47 45 54") != std::string::npos);
    CHECK(log.find("rejected answer") == std::string::npos);

    gateway.signal(SIGTERM);
    CHECK(gateway.wait(15s) == std::optional<int>(0));
}

} // namespace citygate::itest
