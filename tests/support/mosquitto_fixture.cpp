#include "tests/support/mosquitto_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace citygate::test {
namespace {

constexpr const char* mosquitto_binary = "/usr/sbin/mosquitto";
constexpr const char* socat_binary = "/usr/bin/socat";
constexpr std::chrono::seconds startup_timeout{5};

struct socket_address {
    sockaddr_storage storage{};
    socklen_t length = 0;
};

socket_address loopback(address_family family, std::uint16_t port)
{
    socket_address out;
    if (family == address_family::ipv4) {
        auto* in = reinterpret_cast<sockaddr_in*>(&out.storage);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        out.length = sizeof(sockaddr_in);
    } else {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        in6->sin6_addr = in6addr_loopback;
        out.length = sizeof(sockaddr_in6);
    }
    return out;
}

int family_of(address_family family)
{
    return family == address_family::ipv4 ? AF_INET : AF_INET6;
}

pid_t spawn(const std::vector<std::string>& argv)
{
    std::vector<char*> args;
    for (const auto& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    // Own process group, so kill() also reaches socat's forked children.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);

    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], nullptr, &attr, args.data(), environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    return pid;
}

void terminate_group(pid_t& pid, int signal_number)
{
    if (pid <= 0)
        return;
    ::kill(-pid, signal_number);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
}

} // namespace

std::uint16_t free_port(address_family family)
{
    const int fd = ::socket(family_of(family), SOCK_STREAM, 0);
    if (fd < 0)
        throw std::runtime_error("socket() failed");

    auto address = loopback(family, 0);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address.storage), address.length) != 0) {
        ::close(fd);
        throw std::runtime_error("bind() to a loopback port failed");
    }
    socklen_t length = address.length;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address.storage), &length);
    ::close(fd);

    if (family == address_family::ipv4)
        return ntohs(reinterpret_cast<sockaddr_in*>(&address.storage)->sin_port);
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address.storage)->sin6_port);
}

bool wait_for_port(address_family family, std::uint16_t port, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const int fd = ::socket(family_of(family), SOCK_STREAM, 0);
        auto address = loopback(family, port);
        const bool accepted = ::connect(fd, reinterpret_cast<sockaddr*>(&address.storage), address.length) == 0;
        ::close(fd);
        if (accepted)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

temp_dir::temp_dir()
{
    std::random_device random;
    const auto base = std::filesystem::temp_directory_path();
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::ostringstream name;
        name << "citygate-test-" << std::hex << random() << random();
        auto candidate = base / name.str();
        if (std::filesystem::create_directory(candidate)) {
            path_ = candidate;
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory");
}

temp_dir::~temp_dir()
{
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

mosquitto_fixture::mosquitto_fixture(mosquitto_options options)
    : options_(std::move(options)), port_(free_port(options_.family))
{
    write_config();
    start();
}

mosquitto_fixture::~mosquitto_fixture()
{
    stop();
}

std::string mosquitto_fixture::host() const
{
    return options_.family == address_family::ipv4 ? "127.0.0.1" : "::1";
}

std::string mosquitto_fixture::uri() const
{
    if (options_.family == address_family::ipv4)
        return "tcp://127.0.0.1:" + std::to_string(port_);
    return "tcp://[::1]:" + std::to_string(port_);
}

void mosquitto_fixture::write_config() const
{
    std::ofstream conf(dir() / "mosquitto.conf");
    conf << "listener " << port_ << ' ' << host() << '\n';
    if (options_.password_file.empty()) {
        conf << "allow_anonymous true\n";
    } else {
        conf << "allow_anonymous false\n";
        conf << "password_file " << options_.password_file.string() << '\n';
    }
    conf << "persistence false\n";
    // Running as root, mosquitto would otherwise switch to its own user and
    // lose access to the log file in the test directory.
    if (::geteuid() == 0)
        conf << "user root\n";
    conf << "log_dest file " << (dir() / "mosquitto.log").string() << '\n';
    conf << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n";
    conf << "connection_messages true\n";
    conf << options_.extra_config << '\n';
}

void mosquitto_fixture::start()
{
    if (running())
        return;

    pid_ = spawn({mosquitto_binary, "-c", (dir() / "mosquitto.conf").string()});
    if (!wait_for_port(options_.family, port_, startup_timeout)) {
        terminate_group(pid_, SIGKILL);
        throw std::runtime_error("mosquitto did not accept connections on " + uri() + "; log:\n" + log_text());
    }
}

void mosquitto_fixture::stop()
{
    terminate_group(pid_, SIGTERM);
}

void mosquitto_fixture::restart()
{
    stop();
    start();
}

std::string mosquitto_fixture::log_text() const
{
    std::ifstream in(dir() / "mosquitto.log");
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

tcp_proxy::tcp_proxy(std::uint16_t target_port) : port_(free_port())
{
    pid_ = spawn({socat_binary, "TCP4-LISTEN:" + std::to_string(port_) + ",bind=127.0.0.1,reuseaddr,fork",
                  "TCP4:127.0.0.1:" + std::to_string(target_port)});
    if (!wait_for_port(address_family::ipv4, port_, startup_timeout)) {
        terminate_group(pid_, SIGKILL);
        throw std::runtime_error("socat did not listen on port " + std::to_string(port_));
    }
}

tcp_proxy::~tcp_proxy()
{
    kill();
}

void tcp_proxy::kill()
{
    terminate_group(pid_, SIGKILL);
}

std::string tcp_proxy::uri() const
{
    return "tcp://127.0.0.1:" + std::to_string(port_);
}

} // namespace citygate::test
