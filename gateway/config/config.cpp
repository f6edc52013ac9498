#include "gateway/config/config.hpp"

#include "gateway/config/reader.hpp"
#include "gateway/config/sections.hpp"
#include "gateway/config/values.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>

namespace citygate::config {

namespace {

// A reference config with every key and comment is about 10 KiB; anything
// near this limit is not a config file.
constexpr std::uintmax_t max_file_size = 4u << 20;

void resolve(std::filesystem::path& path, const std::filesystem::path& base)
{
    if (!path.empty() && path.is_relative() && !base.empty())
        path = (base / path).lexically_normal();
}

// Relative paths name files next to the config file, not in the daemon's
// working directory, which is "/" under systemd.
void resolve_paths(config& cfg, const std::filesystem::path& source)
{
    const auto base = source.parent_path();
    resolve(cfg.gateway.data_dir, base);
    resolve(cfg.gateway.key_file, base);
    resolve(cfg.gateway.control_socket, base);
    resolve(cfg.uplink.password_file, base);
    resolve(cfg.uplink.tls.ca_file, base);
    resolve(cfg.uplink.tls.cert_file, base);
    resolve(cfg.uplink.tls.key_file, base);
}

void apply_defaults(config& cfg)
{
    if (cfg.uplink.topic_prefix.empty())
        cfg.uplink.topic_prefix = default_topic_prefix(cfg.gateway);
    if (cfg.uplink.client_id.empty())
        cfg.uplink.client_id = default_client_id(cfg.gateway);
}

void read_sections(const toml::table& root, config& cfg, detail::issue_sink& sink)
{
    detail::table_reader reader(root, "", sink);
    detail::read_gateway(reader, cfg.gateway);
    detail::read_uplink(reader, cfg.uplink);
    detail::read_store(reader, cfg.store);
    detail::read_dtu(reader, cfg.dtu);
    detail::read_buses(reader, cfg.buses);
    detail::check_dtu_listener(sink, cfg.dtu, cfg.buses);
    detail::read_devices(reader, cfg.buses, cfg.devices);
    reader.report_unknown_keys();
}

std::optional<config> parse_checked(std::string_view text, const std::filesystem::path& source_name,
                                    std::vector<config_issue>& issues)
{
    toml::table root;
    try {
        root = toml::parse(text, source_name.string());
    } catch (const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        issues.push_back({source_name, static_cast<int>(begin.line), static_cast<int>(begin.column), "",
                          "invalid TOML: " + std::string(e.description()), severity::error});
        return std::nullopt;
    }

    config cfg;
    cfg.source = source_name;
    detail::issue_sink sink(source_name, issues);
    read_sections(root, cfg, sink);
    if (sink.error_count() > 0)
        return std::nullopt;

    apply_defaults(cfg);
    resolve_paths(cfg, source_name);
    return cfg;
}

} // namespace

std::string to_string(const config_issue& issue)
{
    std::string out = issue.file.string();
    if (issue.line > 0)
        out += ":" + std::to_string(issue.line);
    if (issue.column > 0)
        out += ":" + std::to_string(issue.column);
    out += ": ";
    if (issue.severity == severity::warning)
        out += "warning: ";
    if (!issue.key.empty())
        out += issue.key + ": ";
    return out + issue.message;
}

bool has_errors(const std::vector<config_issue>& issues)
{
    return std::any_of(issues.begin(), issues.end(), [](const auto& i) { return i.severity == severity::error; });
}

std::optional<config> parse(std::string_view text, const std::filesystem::path& source_name,
                            std::vector<config_issue>& issues)
{
    const auto first_new = static_cast<std::ptrdiff_t>(issues.size());
    std::optional<config> result;
    try {
        result = parse_checked(text, source_name, issues);
    } catch (const std::exception& e) {
        // Only allocation failures reach here; the readers report every bad value as an issue.
        issues.push_back({source_name, 0, 0, "", std::string("failed to load the config: ") + e.what(), severity::error});
        result.reset();
    }

    // Sections are read in a fixed order; sorting puts the issues in file order.
    std::stable_sort(issues.begin() + first_new, issues.end(),
                     [](const config_issue& a, const config_issue& b) { return a.line < b.line; });
    return result;
}

std::optional<config> load(const std::filesystem::path& file, std::vector<config_issue>& issues)
{
    std::error_code error;
    const auto size = std::filesystem::file_size(file, error);
    if (error) {
        issues.push_back({file, 0, 0, "", "cannot read the config file: " + error.message(), severity::error});
        return std::nullopt;
    }
    if (size > max_file_size) {
        issues.push_back({file, 0, 0, "",
                          "the file has " + std::to_string(size) + " bytes, more than the 4 MiB a config file may have",
                          severity::error});
        return std::nullopt;
    }

    std::string text(static_cast<std::size_t>(size), '\0');
    std::ifstream in(file, std::ios::binary);
    if (!in.read(text.data(), static_cast<std::streamsize>(text.size()))) {
        issues.push_back({file, 0, 0, "", "cannot read the config file", severity::error});
        return std::nullopt;
    }
    return parse(text, file, issues);
}

std::string default_topic_prefix(const gateway_config& gateway)
{
    return "citygate/v1/" + gateway.id;
}

std::string default_client_id(const gateway_config& gateway)
{
    return gateway.id;
}

} // namespace citygate::config
