#include "tests/integration/daemon/harness.hpp"

#include "gateway/crypto/envelope.hpp"

#include <mqtt/async_client.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace citygate::itest {

child::child(std::vector<std::string> argv, const std::filesystem::path& log_file)
{
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(a.data());
    args.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);

    const int rc = posix_spawn(&pid_, args[0], &actions, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

child::~child()
{
    if (pid_ > 0 && running()) {
        ::kill(-pid_, SIGKILL);
        wait(5s);
    }
}

void child::signal(int sig)
{
    if (pid_ > 0)
        ::kill(pid_, sig);
}

bool child::running()
{
    if (pid_ <= 0)
        return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        pid_ = -1;
        return false;
    }
    return true;
}

std::optional<int> child::wait(std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() > deadline)
            return std::nullopt;
        std::this_thread::sleep_for(20ms);
    }
    return exit_status_;
}

pty_bus::pty_bus(const std::filesystem::path& dir)
    : gateway_end_(dir / "bus-gateway"), device_end_(dir / "bus-device")
{
    socat_ = std::make_unique<child>(
        std::vector<std::string>{"/usr/bin/socat", "pty,raw,echo=0,link=" + gateway_end_.string(),
                                 "pty,raw,echo=0,link=" + device_end_.string()},
        dir / "socat.log");
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!(std::filesystem::exists(gateway_end_) && std::filesystem::exists(device_end_))) {
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("socat did not create the pty pair in " + dir.string());
        std::this_thread::sleep_for(20ms);
    }
}

std::string citygated_path() { return CITYGATE_ITEST_CITYGATED; }
std::string simulator_path() { return CITYGATE_ITEST_SIMULATOR; }
std::string dlt645_simulator_path() { return CITYGATE_ITEST_DLT645_SIMULATOR; }
std::string cli_path() { return CITYGATE_ITEST_CLI; }

namespace {

std::string device_blocks(const gateway_options& options)
{
    std::string text;
    for (std::size_t i = 0; i < options.meters.size(); ++i) {
        text += "\n[[device]]\nid = \"wm-" + std::to_string(i + 1) + "\"\ndriver = \"cjt188\"\nbus = \"rs485-1\"\n";
        text += "address = \"" + options.meters[i] + "\"\npoll_interval = \"" + options.poll_interval + "\"\n";
    }
    return text;
}

} // namespace

gateway_files::gateway_files(const std::filesystem::path& root, const gateway_options& options,
                             const std::filesystem::path& bus_device)
    : dir(root), config(root / "citygate.toml"), key_file(root / "keys.toml"), outbox(root / "data" / "outbox.db"),
      control_socket(root / "control.sock")
{
    if (const auto error = crypto::generate_key_file(key_file, 7))
        throw std::runtime_error("cannot write " + key_file.string() + ": " + error.message());
    std::error_code error;
    std::string detail;
    auto loaded = crypto::load_key_file(key_file, error, detail);
    if (!loaded)
        throw std::runtime_error("cannot read back " + key_file.string() + ": " + detail);
    keys = *loaded;

    std::ofstream out(config);
    out << "[gateway]\nid = \"" << options.gateway_id << "\"\ndata_dir = \"" << (root / "data").string()
        << "\"\nkey_file = \"" << key_file.string() << "\"\ncontrol_socket = \"" << control_socket.string()
        << "\"\nlog_level = \"debug\"\n\n"
        << "[uplink]\nbrokers = [\"tcp://127.0.0.1:" << options.broker_port << "\"]\nhealth_interval = \""
        << options.health_interval << "\"\nreconnect_min = \"100ms\"\nreconnect_max = \"1s\"\n\n"
        << "[store]\nflush_interval = \"" << options.flush_interval << "\"\n\n";
    if (!options.buses_and_devices.empty()) {
        out << options.buses_and_devices;
        return;
    }
    out << "[[bus]]\nid = \"rs485-1\"\ndevice = \"" << bus_device.string()
        << "\"\nbaud = 9600\nresponse_timeout = \"300ms\"\ninter_frame_gap = \"5ms\"\n"
        << device_blocks(options) << options.extra_devices;
}

} // namespace citygate::itest
