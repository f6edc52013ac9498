// citygated: the gateway daemon.
//
//   citygated [--config FILE] [--log-level LEVEL]
//   citygated --check-config FILE

#include "drivers/registry.hpp"
#include "gateway/config/check_drivers.hpp"
#include "gateway/config/config.hpp"
#include "gateway/crypto/key_file.hpp"
#include "gateway/daemon/app.hpp"
#include "gateway/daemon/memory.hpp"
#include "gateway/log/log.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace {

using citygate::config::config_issue;

constexpr const char* default_config = "/etc/citygate/citygate.toml";

// Loads the file and checks its drivers; prints every issue to stderr.
std::optional<citygate::config::config> load_checked(const std::filesystem::path& file)
{
    std::vector<config_issue> issues;
    auto cfg = citygate::config::load(file, issues);
    if (cfg) {
        citygate::drivers::registry drivers;
        citygate::drivers::register_builtin_drivers(drivers);
        auto driver_issues = citygate::config::check_drivers(*cfg, drivers);
        issues.insert(issues.end(), driver_issues.begin(), driver_issues.end());
    }
    for (const auto& issue : issues)
        std::fprintf(stderr, "%s\n", citygate::config::to_string(issue).c_str());
    if (!cfg || citygate::config::has_errors(issues))
        return std::nullopt;
    return cfg;
}

// The daemon refuses to start without a usable key file, so the check
// includes it; the message names the problem, never the key material.
bool key_file_usable(const std::filesystem::path& key_file)
{
    std::error_code error;
    std::string detail;
    if (citygate::crypto::load_key_file(key_file, error, detail))
        return true;
    std::fprintf(stderr, "%s: %s%s%s\n", key_file.c_str(), error.message().c_str(), detail.empty() ? "" : ": ",
                 detail.c_str());
    return false;
}

int check_config(const std::filesystem::path& file)
{
    const auto cfg = load_checked(file);
    if (!cfg || !key_file_usable(cfg->gateway.key_file)) {
        std::fprintf(stderr, "%s: invalid configuration\n", file.c_str());
        return 1;
    }
    std::printf("%s: configuration is valid\n", file.c_str());
    return 0;
}

int run_daemon(const std::filesystem::path& file, const std::string& level_override)
{
    citygate::daemon::tune_malloc();
    citygate::daemon::skip_openssl_error_strings();
    citygate::log::init("citygated", level_override.empty() ? "info" : level_override);
    auto cfg = load_checked(file);
    if (!cfg) {
        spdlog::error("config {}: invalid, see the errors above; citygated does not start", file.string());
        return 1;
    }
    if (level_override.empty() && !citygate::log::init("citygated", cfg->gateway.log_level))
        spdlog::warn("config {}: unknown log_level \"{}\", using info", file.string(), cfg->gateway.log_level);

    boost::asio::io_context io(1);
    try {
        citygate::daemon::app daemon(io, file, std::move(*cfg));
        daemon.start();
        io.run();
        return daemon.exit_code();
    } catch (const citygate::daemon::startup_error& e) {
        spdlog::error("gateway startup failed: {}", e.what());
        return 1;
    } catch (const std::exception& e) {
        // Anything else escaping the io_context is a bug; exit non-zero so
        // systemd restarts the daemon and the outbox is reopened.
        spdlog::critical("citygated stopped by an unexpected exception: {}", e.what());
        return 2;
    }
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App cli{"citygated: the citygate field gateway daemon"};
    std::filesystem::path config_file = default_config;
    std::filesystem::path check_file;
    std::string level;
    cli.add_option("-c,--config", config_file, "configuration file to run with")->capture_default_str();
    cli.add_option("--check-config", check_file, "check this configuration file, print its errors and exit");
    cli.add_option("--log-level", level, "override gateway.log_level: trace, debug, info, warn, error");
    cli.set_version_flag("--version", citygate::daemon::version());
    CLI11_PARSE(cli, argc, argv);

    // The outbox contains readings before they are sealed, so the files
    // the daemon creates are readable by its group at most.
    ::umask(027);

    if (!check_file.empty())
        return check_config(check_file);
    return run_daemon(config_file, level);
}
