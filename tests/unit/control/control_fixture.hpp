#pragma once
// A control server on a real Unix socket in a fresh temporary directory,
// with its io_context on a background thread, plus a raw blocking client
// for byte-level tests.

#include "gateway/control/server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace citygate::control::test {

// mkdtemp under /tmp keeps the socket path well below the 108-byte limit.
inline std::filesystem::path make_temp_dir() {
    std::string pattern = "/tmp/cg-ctl-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    return pattern;
}

class running_server {
public:
    explicit running_server(control::handler h, server_options options = {}, std::string leaf = "control.sock")
        : dir_(make_temp_dir()), path_(dir_ / leaf), work_(io_.get_executor()) {
        options.socket_group = "citygate-test-group-that-does-not-exist";
        server_.emplace(io_, path_, std::move(h), options);
        thread_ = std::thread([this] { io_.run(); });
    }

    // Runs `f` on the io thread and waits for its result. Defined before its
    // first use because its return type is deduced.
    template <typename F>
    auto run_on_io(F f) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        boost::asio::post(io_, [&task] { task(); });
        return result.get();
    }

    ~running_server() {
        run_on_io([this] { server_.reset(); });
        work_.reset();
        io_.stop();
        thread_.join();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    running_server(const running_server&) = delete;
    running_server& operator=(const running_server&) = delete;

    const std::filesystem::path& path() const { return path_; }
    boost::asio::io_context& io() { return io_; }

    // Reads the counters on the io thread, where the server updates them.
    server_counters counters() {
        return run_on_io([this] { return server_->counters(); });
    }

private:
    boost::asio::io_context io_;
    std::filesystem::path dir_;
    std::filesystem::path path_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::optional<server> server_;
    std::thread thread_;
};

// Blocking client socket with a receive timeout, for tests that send
// arbitrary bytes.
class raw_connection {
public:
    explicit raw_connection(const std::filesystem::path& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        path.native().copy(address.sun_path, sizeof(address.sun_path) - 1);
        if (fd_ < 0 || ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
            throw std::runtime_error("connect to " + path.string() + " failed");
        }
        timeval timeout{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    }

    ~raw_connection() { ::close(fd_); }

    raw_connection(const raw_connection&) = delete;
    raw_connection& operator=(const raw_connection&) = delete;

    // Returns false when the peer closed or reset the connection.
    bool send(const std::string& bytes) {
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            sent += static_cast<std::size_t>(n);
        }
        return true;
    }

    // One line without its '\n'; std::nullopt on EOF, error or timeout.
    std::optional<std::string> read_line() {
        while (true) {
            const auto end = pending_.find('\n');
            if (end != std::string::npos) {
                std::string line = pending_.substr(0, end);
                pending_.erase(0, end + 1);
                return line;
            }
            char chunk[4096];
            const auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
            if (n <= 0) {
                return std::nullopt;
            }
            pending_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    // True when the server closed the connection (recv returns 0 or reset).
    bool closed_by_peer() {
        char byte = 0;
        const auto n = ::recv(fd_, &byte, 1, 0);
        return n == 0 || (n < 0 && errno == ECONNRESET);
    }

private:
    int fd_ = -1;
    std::string pending_;
};

} // namespace citygate::control::test
