// What systemd receives from the daemon without libsystemd: the sd_notify(3)
// datagrams (READY, STATUS, WATCHDOG) on a real AF_UNIX socket named by
// NOTIFY_SOCKET, the watchdog interval from WATCHDOG_USEC/WATCHDOG_PID,
// and the "<N>" priority prefix journald reads on stderr (sd-daemon(3)).

#include "gateway/daemon/systemd_notify.hpp"
#include "gateway/log/log.hpp"

#include <spdlog/spdlog.h>

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace citygate::daemon {

namespace {

// A datagram socket standing in for systemd's notification socket.
class notify_listener {
public:
    // `name` is a path, or an abstract name starting with '@'.
    explicit notify_listener(const std::string& name) : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0))
    {
        REQUIRE(fd_ >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, name.data(), name.size());
        if (name[0] == '@')
            addr.sun_path[0] = '\0';
        const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), length) == 0);
        timeval timeout{2, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    }
    ~notify_listener() { ::close(fd_); }
    notify_listener(const notify_listener&) = delete;
    notify_listener& operator=(const notify_listener&) = delete;

    // The next datagram, or "" when none arrives (within 2 s unless `wait` is false).
    std::string next(bool wait = true)
    {
        std::array<char, 512> buffer{};
        const auto n = ::recv(fd_, buffer.data(), buffer.size(), wait ? 0 : MSG_DONTWAIT);
        return n > 0 ? std::string(buffer.data(), static_cast<std::size_t>(n)) : std::string();
    }

private:
    int fd_;
};

std::string temp_dir()
{
    std::string pattern = "/tmp/citygate-systemd-test.XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    return pattern;
}

// Runs `body` with stderr redirected to `file`.
template <typename Body>
void with_stderr_in(const std::string& file, Body body)
{
    std::fflush(stderr);
    const int saved = ::dup(STDERR_FILENO);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
    body();
    std::fflush(stderr);
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
}

std::string read_file(const std::string& path)
{
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_CASE("notify: states reach NOTIFY_SOCKET")
{
    const auto dir = temp_dir();
    const auto path = dir + "/notify";
    notify_listener systemd(path);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);

    notify_ready();
    CHECK(systemd.next() == "READY=1");
    notify_status("running, 3 buses");
    CHECK(systemd.next() == "STATUS=running, 3 buses");
    notify_watchdog();
    CHECK(systemd.next() == "WATCHDOG=1");
    notify_reloading();
    CHECK(systemd.next() == "RELOADING=1");
    notify_stopping();
    CHECK(systemd.next() == "STOPPING=1");

    ::unsetenv("NOTIFY_SOCKET");
    notify_ready();
    CHECK(systemd.next(false).empty());

    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
}

TEST_CASE("notify: abstract socket name")
{
    const std::string name = "@citygate-systemd-test-" + std::to_string(::getpid());
    notify_listener systemd(name);
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
    notify_ready();
    CHECK(systemd.next() == "READY=1");
    ::unsetenv("NOTIFY_SOCKET");
}

TEST_CASE("notify: unsupported address ignored")
{
    ::setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
    notify_ready(); // nothing to check but that it returns
    ::setenv("NOTIFY_SOCKET", std::string(200, '/').c_str(), 1);
    notify_ready();
    ::unsetenv("NOTIFY_SOCKET");
}

TEST_CASE("watchdog: half of WATCHDOG_USEC, own pid")
{
    ::unsetenv("WATCHDOG_PID");
    ::unsetenv("WATCHDOG_USEC");
    CHECK_FALSE(watchdog_interval());

    ::setenv("WATCHDOG_USEC", "30000000", 1);
    CHECK(watchdog_interval() == std::chrono::microseconds(15000000));

    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    CHECK(watchdog_interval() == std::chrono::microseconds(15000000));

    ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
    CHECK_FALSE(watchdog_interval());

    ::setenv("WATCHDOG_PID", "not a pid", 1);
    CHECK_FALSE(watchdog_interval());

    ::unsetenv("WATCHDOG_PID");
    for (const char* bad : {"0", "", "-5", "12s", "99999999999999999999999"}) {
        ::setenv("WATCHDOG_USEC", bad, 1);
        CHECK_FALSE(watchdog_interval());
    }
    ::unsetenv("WATCHDOG_USEC");
}

TEST_CASE("journal: priority prefix per line")
{
    const auto dir = temp_dir();
    const auto file = dir + "/stderr";
    with_stderr_in(file, [&] {
        struct stat info {};
        REQUIRE(::fstat(STDERR_FILENO, &info) == 0);
        const auto stream = std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
        ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
        REQUIRE(log::init("citygated", "debug"));
        spdlog::critical("gateway gw: critical line");
        spdlog::error("bus rs485-1: error line");
        spdlog::warn("device m1: warn line");
        spdlog::info("gateway gw: info line");
        spdlog::debug("device m1: debug line");
        spdlog::default_logger()->flush();
    });
    CHECK(read_file(file) == "<2>gateway gw: critical line\n<3>bus rs485-1: error line\n<4>device m1: warn line\n"
                             "<6>gateway gw: info line\n<7>device m1: debug line\n");
    ::unlink(file.c_str());
    ::rmdir(dir.c_str());
}

TEST_CASE("journal: redirected stderr keeps timestamps")
{
    const auto dir = temp_dir();
    const auto file = dir + "/stderr";
    with_stderr_in(file, [&] {
        ::setenv("JOURNAL_STREAM", "1:1", 1);
        REQUIRE(log::init("citygated", "info"));
        spdlog::warn("device m1: warn line");
        spdlog::default_logger()->flush();
    });
    const auto text = read_file(file);
    CHECK(text.find("device m1: warn line") != std::string::npos);
    CHECK(text.rfind("<4>", 0) != 0);
    CHECK(text.find("warning") != std::string::npos);
    ::unsetenv("JOURNAL_STREAM");
    ::unlink(file.c_str());
    ::rmdir(dir.c_str());
}

} // namespace citygate::daemon
