// The notification protocol of sd_notify(3), sent directly: one datagram
// per state change to the AF_UNIX socket named in NOTIFY_SOCKET. systemd
// documents this protocol as stable for programs that do not link
// libsystemd. Not linking it keeps libsystemd and the six compression and
// crypto libraries it loads out of the daemon's memory (about 1 MB of RSS).

#include "gateway/daemon/systemd_notify.hpp"

#include <charconv>
#include <cstdint>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace citygate::daemon {

namespace {

// Fills `addr` from NOTIFY_SOCKET: a path, or an abstract name starting
// with '@'. Returns the address length, 0 when there is nothing to notify.
socklen_t notify_address(sockaddr_un& addr)
{
    const char* env = std::getenv("NOTIFY_SOCKET");
    const std::string_view name = env != nullptr ? env : "";
    // TODO: systemd also accepts vsock: addresses (for VMs); they are not supported here.
    if (name.empty() || (name[0] != '/' && name[0] != '@') || name.size() >= sizeof(addr.sun_path))
        return 0;

    addr = {};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@')
        addr.sun_path[0] = '\0';
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
}

void notify(std::string_view state)
{
    sockaddr_un addr{};
    const socklen_t length = notify_address(addr);
    if (length == 0)
        return;

    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    // Best effort, as with sd_notify, because systemd's own timeouts report
    // a daemon whose notifications do not arrive.
    (void)::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), length);
    ::close(fd);
}

std::optional<std::uint64_t> env_number(const char* name)
{
    const char* env = std::getenv(name);
    const std::string_view text = env != nullptr ? env : "";
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

} // namespace

void notify_ready()
{
    notify("READY=1");
}

void notify_reloading()
{
    notify("RELOADING=1");
}

void notify_stopping()
{
    notify("STOPPING=1");
}

void notify_status(std::string_view text)
{
    notify("STATUS=" + std::string(text));
}

void notify_watchdog()
{
    notify("WATCHDOG=1");
}

// WATCHDOG_USEC is set when the unit has WatchdogSec. WATCHDOG_PID, when
// present, names the watched process, so a child that inherited the
// environment does not send keep-alives for its parent.
std::optional<std::chrono::microseconds> watchdog_interval()
{
    const auto usec = env_number("WATCHDOG_USEC");
    if (!usec || *usec == 0)
        return std::nullopt;
    if (std::getenv("WATCHDOG_PID") != nullptr) {
        const auto pid = env_number("WATCHDOG_PID");
        if (!pid || *pid != static_cast<std::uint64_t>(::getpid()))
            return std::nullopt;
    }
    return std::chrono::microseconds(*usec / 2);
}

} // namespace citygate::daemon
