#pragma once
// Test support for tests that run real peers (simulators, socat): a child
// process that is always stopped, polling for a condition, and reading a
// log file whole.

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace citygate::test {

// Polls `done` every 20 ms; false when `timeout` passes first.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// The whole file, or an empty string when it cannot be read.
std::string read_text(const std::filesystem::path& path);

// A child process with stdout and stderr appended to `output`. It is
// stopped when the object goes away.
class child_process {
public:
    // Throws std::system_error when the program cannot be started.
    child_process(const std::vector<std::string>& args, const std::filesystem::path& output);
    ~child_process() { stop(SIGTERM); }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    // Sends `signal`, then SIGKILL if the process is still there after 2 s.
    void stop(int signal = SIGTERM);

private:
    pid_t pid_ = -1;
};

} // namespace citygate::test
