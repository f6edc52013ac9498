#include "tests/integration/daemon/dtu_relay.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace citygate::itest {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

// Line idle time after which a heartbeat may go out, so it never lands
// inside an answer that is still arriving from the meter.
constexpr auto idle_before_heartbeat = 100ms;

bool write_all(int fd, const char* data, std::size_t size)
{
    while (size > 0) {
        const auto n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace

dtu_relay::dtu_relay(dtu_relay_options options) : options_(std::move(options))
{
    thread_ = std::thread([this] { run(); });
}

dtu_relay::~dtu_relay()
{
    stop_ = true;
    thread_.join();
}

int dtu_relay::connect_once() const
{
    const bool ipv6 = options_.address.find(':') != std::string::npos;
    const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;

    int result = -1;
    if (ipv6) {
        sockaddr_in6 address{};
        address.sin6_family = AF_INET6;
        address.sin6_port = htons(options_.port);
        ::inet_pton(AF_INET6, options_.address.c_str(), &address.sin6_addr);
        result = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    } else {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(options_.port);
        ::inet_pton(AF_INET, options_.address.c_str(), &address.sin_addr);
        result = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    }
    if (result != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void dtu_relay::run()
{
    const int serial = ::open(options_.serial.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (serial < 0)
        return;
    termios tio{};
    if (::tcgetattr(serial, &tio) == 0) {
        ::cfmakeraw(&tio);
        ::tcsetattr(serial, TCSANOW, &tio);
    }

    while (!stop_) {
        const int socket = connect_once();
        if (socket < 0) {
            std::this_thread::sleep_for(100ms);
            continue;
        }
        ++connections_;
        if (write_all(socket, options_.registration.data(), options_.registration.size()))
            relay(socket, serial);
        ::close(socket);
    }
    ::close(serial);
}

void dtu_relay::relay(int socket, int serial)
{
    auto last_traffic = steady::now();
    auto last_heartbeat = steady::now();
    std::array<char, 512> buffer{};

    while (!stop_) {
        std::array<pollfd, 2> fds{{{socket, POLLIN, 0}, {serial, POLLIN, 0}}};
        if (::poll(fds.data(), fds.size(), 20) < 0 && errno != EINTR)
            return;

        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            const auto n = ::read(socket, buffer.data(), buffer.size());
            if (n <= 0)
                return; // the gateway closed the connection: dial again
            write_all(serial, buffer.data(), static_cast<std::size_t>(n));
            bytes_ += static_cast<std::uint64_t>(n);
            last_traffic = steady::now();
        }
        if (fds[1].revents & POLLIN) {
            const auto n = ::read(serial, buffer.data(), buffer.size());
            if (n > 0) {
                if (!write_all(socket, buffer.data(), static_cast<std::size_t>(n)))
                    return;
                bytes_ += static_cast<std::uint64_t>(n);
                last_traffic = steady::now();
            }
        }

        const auto now = steady::now();
        if (!options_.heartbeat.empty() && now - last_traffic >= idle_before_heartbeat &&
            now - last_heartbeat >= options_.heartbeat_every) {
            if (!write_all(socket, options_.heartbeat.data(), options_.heartbeat.size()))
                return;
            ++heartbeats_;
            last_heartbeat = now;
        }
    }
}

} // namespace citygate::itest
