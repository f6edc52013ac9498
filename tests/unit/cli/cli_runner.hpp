#pragma once
// Runs the real citygate executable (path from CITYGATE_CLI) with given
// arguments, environment and standard input, and captures what it prints.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace citygate::cli::test {

struct run_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

inline std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// English output unless `env` overrides LANG/LANGUAGE; a fixed time zone so
// times in the output are predictable.
inline std::vector<std::string> default_env() {
    return {"LANG=C", "LC_ALL=", "LANGUAGE=", "TZ=UTC0", "PATH=/usr/bin:/bin"};
}

inline run_result run_cli(const std::vector<std::string>& args, const std::string& input = {},
                          std::vector<std::string> env = default_env()) {
    char dir_template[] = "/tmp/cg-cli-run-XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    const std::filesystem::path dir = dir_template;
    const auto in_file = dir / "in";
    const auto out_file = dir / "out";
    const auto err_file = dir / "err";
    std::ofstream(in_file, std::ios::binary) << input;

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, in_file.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);

    std::vector<std::string> argv_strings{CITYGATE_CLI};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_strings) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& entry : env) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);

    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, CITYGATE_CLI, &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        throw std::runtime_error("posix_spawn " CITYGATE_CLI " failed");
    }
    int status = 0;
    ::waitpid(pid, &status, 0);

    run_result result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = slurp(out_file);
    result.err = slurp(err_file);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return result;
}

} // namespace citygate::cli::test
