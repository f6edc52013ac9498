#include "scripts/sim/serial_line.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

namespace citygate::sim_serial {

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int)
{
    stop_requested = 1;
}

} // namespace

void stop_on_signals()
{
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
}

int open_serial(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY);
    if (fd < 0)
        return -1;

    termios tio{};
    if (::tcgetattr(fd, &tio) == 0) {
        ::cfmakeraw(&tio);
        ::tcsetattr(fd, TCSANOW, &tio);
    }
    return fd;
}

bool write_all(int fd, std::span<const std::uint8_t> bytes)
{
    std::size_t done = 0;
    while (done < bytes.size()) {
        const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

int serve_serial_line(int fd, const std::string& name, const buffer_server& serve)
{
    std::vector<std::uint8_t> buffer;
    while (!stop_requested) {
        pollfd pfd{fd, POLLIN, 0};
        const int ready = ::poll(&pfd, 1, 200);
        if (ready == 0) {
            buffer.clear();
            continue;
        }
        if (ready < 0 && errno == EINTR)
            continue;

        std::uint8_t chunk[256];
        const auto n = ready > 0 ? ::read(fd, chunk, sizeof chunk) : -1;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            spdlog::error("{}: serial read failed: {}", name, n == 0 ? "end of file" : std::strerror(errno));
            return 1;
        }

        buffer.insert(buffer.end(), chunk, chunk + n);
        if (!serve(fd, buffer)) {
            spdlog::error("{}: serial write failed: {}", name, std::strerror(errno));
            return 1;
        }
    }
    return 0;
}

} // namespace citygate::sim_serial
