#include "gateway/log/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdlib>
#include <memory>
#include <string_view>

#include <sys/stat.h>

namespace citygate::log {

namespace {

// systemd sets JOURNAL_STREAM to "device:inode" of the stream it connected
// to the journal. Only when stderr is still that stream (not redirected by
// a wrapper script) does a priority prefix reach journald.
bool stderr_is_journal()
{
    const char* env = std::getenv("JOURNAL_STREAM");
    const std::string_view text = env != nullptr ? env : "";
    const auto colon = text.find(':');
    unsigned long long device = 0;
    unsigned long long inode = 0;
    if (colon == std::string_view::npos ||
        std::from_chars(text.data(), text.data() + colon, device).ec != std::errc{} ||
        std::from_chars(text.data() + colon + 1, text.data() + text.size(), inode).ec != std::errc{})
        return false;

    struct stat info {};
    return ::fstat(STDERR_FILENO, &info) == 0 && info.st_dev == device && info.st_ino == inode;
}

// journald reads a leading "<N>" on each stderr line as its syslog priority
// (sd-daemon(3)), which keeps levels without linking libsystemd.
class syslog_priority_flag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override
    {
        const char prefix[] = {'<', priority(msg.level), '>'};
        dest.append(prefix, prefix + sizeof(prefix));
    }

    std::unique_ptr<custom_flag_formatter> clone() const override
    {
        return std::make_unique<syslog_priority_flag>();
    }

private:
    static char priority(spdlog::level::level_enum level)
    {
        switch (level) {
        case spdlog::level::critical: return '2';
        case spdlog::level::err: return '3';
        case spdlog::level::warn: return '4';
        case spdlog::level::info: return '6';
        default: return '7';
        }
    }
};

} // namespace

bool init(std::string_view program, std::string_view level)
{
    std::shared_ptr<spdlog::logger> logger;
    if (stderr_is_journal()) {
        auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        logger = std::make_shared<spdlog::logger>(std::string(program), std::move(sink));
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<syslog_priority_flag>('*').set_pattern("%*%v");
        logger->set_formatter(std::move(formatter));
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
