#include "gateway/log/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>

namespace citygate::log {

namespace {

// systemd sets JOURNAL_STREAM for services whose stderr goes to the journal;
// logging natively there keeps the priority of each line.
bool under_journald()
{
    return std::getenv("JOURNAL_STREAM") != nullptr;
}

} // namespace

bool init(std::string_view program, std::string_view level)
{
    std::shared_ptr<spdlog::logger> logger;
    if (under_journald()) {
        auto sink = std::make_shared<spdlog::sinks::systemd_sink_mt>(std::string(program));
        logger = std::make_shared<spdlog::logger>(std::string(program), std::move(sink));
        logger->set_pattern("%v");
    } else {
        // Not registered by name, so init() may run again once the config
        // file has named the level.
        auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        logger = std::make_shared<spdlog::logger>(std::string(program), std::move(sink));
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    }
    spdlog::set_default_logger(logger);

    auto parsed = spdlog::level::from_str(std::string(level));
    bool known = parsed != spdlog::level::off || level == "off";
    spdlog::set_level(known ? parsed : spdlog::level::info);
    spdlog::flush_on(spdlog::level::warn);
    return known;
}

bool rate_limiter::allow(const std::string& key, std::uint64_t& suppressed)
{
    auto now = std::chrono::steady_clock::now();
    auto [it, inserted] = entries_.try_emplace(key);
    entry& e = it->second;
    if (!inserted && now - e.last < interval_) {
        ++e.suppressed;
        return false;
    }
    suppressed = e.suppressed;
    e.suppressed = 0;
    e.last = now;
    return true;
}

} // namespace citygate::log
