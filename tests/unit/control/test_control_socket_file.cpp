// Socket file lifecycle and the protocol helpers.

#include "control_fixture.hpp"

#include "gateway/control/client.hpp"
#include "gateway/control/protocol.hpp"
#include "gateway/control/socket_file.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sys/socket.h>
#include <sys/un.h>

using namespace citygate::control;
using nlohmann::json;

namespace {

void noop_handler(const json&, reply_fn reply) {
    reply(make_result(json::object()));
}

// Leaves a socket file behind with nobody listening, as after a crash.
void make_stale_socket(const std::filesystem::path& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path.native().copy(address.sun_path, sizeof(address.sun_path) - 1);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    ::close(fd);
}

struct temp_dir {
    std::filesystem::path path = test::make_temp_dir();
    ~temp_dir() { std::filesystem::remove_all(path); }
};

} // namespace

TEST_CASE("socket file stale socket is replaced") {
    temp_dir dir;
    const auto path = dir.path / "control.sock";
    make_stale_socket(path);
    REQUIRE(std::filesystem::is_socket(path));

    boost::asio::io_context io;
    server s(io, path, noop_handler);

    CHECK(std::filesystem::is_socket(path));
}

TEST_CASE("socket file regular file at the path is not removed") {
    temp_dir dir;
    const auto path = dir.path / "control.sock";
    std::ofstream(path) << "not a socket";

    boost::asio::io_context io;
    CHECK_THROWS_AS(server(io, path, noop_handler), std::system_error);
    CHECK(std::filesystem::is_regular_file(path));
}

TEST_CASE("socket file live server is not displaced") {
    test::running_server first(noop_handler);

    boost::asio::io_context io;
    try {
        server second(io, first.path(), noop_handler);
        FAIL("a second server bound the socket of a running one");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::address_in_use);
    }

    const auto result = client(first.path(), std::chrono::seconds(5)).call({{"cmd", "status"}});
    CHECK(result.response);
}

TEST_CASE("socket file path longer than sun_path is rejected") {
    const std::filesystem::path path = "/tmp/" + std::string(120, 'p') + "/control.sock";
    boost::asio::io_context io;

    try {
        server s(io, path, noop_handler);
        FAIL("a path longer than sun_path was accepted");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::filename_too_long);
    }
}

TEST_CASE("log excerpt escapes control bytes and truncates") {
    CHECK(detail::log_excerpt("status") == "status");
    CHECK(detail::log_excerpt("a\nb") == "a\\x0Ab");
    CHECK(detail::log_excerpt("\x1b[31m") == "\\x1B[31m");
    CHECK(detail::log_excerpt(std::string(200, 'x'), 10) == "xxxxxxxxxx... (200 bytes)");
}

TEST_CASE("protocol wire names round trip") {
    for (int value = static_cast<int>(errc::malformed_json); value <= static_cast<int>(errc::internal_error); ++value) {
        const auto code = static_cast<errc>(value);
        const auto name = wire_name(code);
        CAPTURE(name);
        REQUIRE(errc_from_wire(name));
        CHECK(*errc_from_wire(name) == code);
    }
    CHECK(wire_name(errc::device_not_found) == "device_not_found");
    CHECK_FALSE(errc_from_wire("no_such_code"));
}

TEST_CASE("protocol response validation") {
    CHECK(is_valid_response(make_result({{"a", 1}})));
    CHECK(is_valid_response(make_error(errc::device_not_found, "device 'x' not found")));
    CHECK_FALSE(is_valid_response(json{{"ok", true}}));
    CHECK_FALSE(is_valid_response(json{{"ok", "yes"}, {"result", 1}}));
    CHECK_FALSE(is_valid_response(json{{"ok", false}, {"error", "x"}}));
    CHECK_FALSE(is_valid_response(json{{"ok", false}, {"error", {{"code", 3}}}}));
    CHECK_FALSE(is_valid_response(json::array()));
}

TEST_CASE("protocol valid requests pass the check") {
    CHECK_FALSE(check_request({{"cmd", "status"}}));
    CHECK_FALSE(check_request({{"cmd", "devices"}}));
    CHECK_FALSE(check_request({{"cmd", "queue"}}));
    CHECK_FALSE(check_request({{"cmd", "read"}, {"device", "wm-01"}}));
    CHECK_FALSE(check_request({{"cmd", "read"}, {"device", "wm-01"}, {"raw", false}}));
}
