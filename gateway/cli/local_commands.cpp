// keygen, envelope open and config check: commands that work on local files
// and need no daemon.

#include "gateway/cli/commands.hpp"
#include "gateway/cli/envelope_view.hpp"
#include "gateway/cli/exit_codes.hpp"
#include "gateway/cli/i18n.hpp"
#include "gateway/cli/text.hpp"
#include "gateway/config/check_drivers.hpp"
#include "gateway/config/config.hpp"
#include "gateway/crypto/key_file.hpp"
#include "drivers/registry.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <iterator>

namespace citygate::cli {
namespace {

using nlohmann::json;

// Prints a failure as {"error":{...}} on stdout when --json is set, and
// always as a translated line on stderr.
int fail(bool as_json, std::string_view code, const std::string& message) {
    if (as_json) {
        std::cout << json{{"error", {{"code", code}, {"message", message}}}}.dump() << std::endl;
    }
    std::cerr << _("error: ") << message << std::endl;
    return exit_failed;
}

// Reads stdin up to `limit` bytes; false when there was more.
bool read_stdin(std::string& out, std::size_t limit) {
    out.clear();
    char chunk[65536];
    while (std::cin.read(chunk, sizeof(chunk)) || std::cin.gcount() > 0) {
        out.append(chunk, static_cast<std::size_t>(std::cin.gcount()));
        if (out.size() > limit) {
            return false;
        }
    }
    return true;
}

json issue_to_json(const config::config_issue& issue) {
    return {{"line", issue.line},
            {"column", issue.column},
            {"key", issue.key},
            {"severity", issue.severity == config::severity::error ? "error" : "warning"},
            {"message", issue.message}};
}

} // namespace

std::optional<crypto::key_set> load_keys(const std::filesystem::path& key_file, bool as_json) {
    std::error_code error;
    std::string detail;
    auto keys = crypto::load_key_file(key_file, error, detail);
    if (!keys) {
        fail(as_json, "key_file",
             fmt::format(fmt::runtime(_("cannot use the key file {file}: {reason}")), fmt::arg("file", key_file.string()),
                         fmt::arg("reason", detail.empty() ? error.message() : detail)));
    }
    return keys;
}

int run_keygen(const std::filesystem::path& key_file, std::uint32_t key_id) {
    const auto error = crypto::generate_key_file(key_file, key_id);
    if (error == std::errc::file_exists) {
        std::cerr << _("error: ")
                  << fmt::format(fmt::runtime(_("{file} already exists; citygate never overwrites a key file. "
                                                "Move it away first if you really mean to replace the keys.")),
                                 fmt::arg("file", key_file.string()))
                  << std::endl;
        return exit_failed;
    }
    if (error) {
        std::cerr << _("error: ")
                  << fmt::format(fmt::runtime(_("cannot write the key file {file}: {reason}")),
                                 fmt::arg("file", key_file.string()), fmt::arg("reason", error.message()))
                  << std::endl;
        return exit_failed;
    }
    std::cout << fmt::format(fmt::runtime(_("Wrote a new key file {file} with key id {id} (mode 0600).")),
                             fmt::arg("file", key_file.string()), fmt::arg("id", key_id))
              << '\n'
              << _("Give the same file to the platform over a secure channel; keep it out of backups and tickets.")
              << std::endl;
    return exit_ok;
}

int run_envelope_open(const envelope_open_options& options) {
    const auto keys = load_keys(options.key_file, options.json);
    if (!keys) {
        return exit_failed;
    }

    std::string input;
    const std::size_t limit = options.hex ? crypto::envelope_max_size * 2 + 4096 : crypto::envelope_max_size;
    if (!read_stdin(input, limit)) {
        return fail(options.json, "too_long", _("the input is larger than the 4 MiB envelope limit"));
    }

    std::vector<std::uint8_t> bytes;
    if (options.hex) {
        if (!parse_hex(input, bytes)) {
            return fail(options.json, "bad_hex", _("the input is not valid hex text"));
        }
    } else {
        bytes.assign(input.begin(), input.end());
    }

    decoded_envelope envelope;
    envelope_failure failure;
    if (!decode_envelope(*keys, bytes, envelope, failure)) {
        return fail(options.json, failure.code,
                    fmt::format(fmt::runtime(_("envelope rejected: {reason}")), fmt::arg("reason", failure.message)));
    }

    if (options.json) {
        std::cout << envelope_to_json(envelope, {}).dump() << std::endl;
        return exit_ok;
    }
    std::cout << fmt::format(fmt::runtime(_("Envelope: lane {lane}, key id {key}, sequence {sequence}, sealed at {time}, "
                                            "{content}")),
                             fmt::arg("lane", lane_name(envelope.header) == "event" ? _("event") : _("telemetry")),
                             fmt::arg("key", envelope.header.key_id), fmt::arg("sequence", envelope.header.sequence),
                             fmt::arg("time", format_local_time_ms(envelope.header.sealed_at_ms)),
                             fmt::arg("content", content_type_name(envelope.header)))
              << '\n'
              << "SM3: " << envelope.envelope_sm3 << '\n';
    print_envelope_text(envelope, std::cout);
    std::cout.flush();
    return exit_ok;
}

int run_config_check(const std::filesystem::path& file, bool as_json) {
    std::vector<config::config_issue> issues;
    const auto loaded = config::load(file, issues);
    if (loaded) {
        drivers::registry registry;
        drivers::register_builtin_drivers(registry);
        auto driver_issues = config::check_drivers(*loaded, registry);
        issues.insert(issues.end(), std::make_move_iterator(driver_issues.begin()),
                      std::make_move_iterator(driver_issues.end()));
    }

    const auto errors = static_cast<std::size_t>(std::count_if(
        issues.begin(), issues.end(), [](const auto& issue) { return issue.severity == config::severity::error; }));
    const auto warnings = issues.size() - errors;
    const bool ok = loaded.has_value() && errors == 0;

    if (as_json) {
        json list = json::array();
        for (const auto& issue : issues) {
            list.push_back(issue_to_json(issue));
        }
        std::cout << json{{"file", file.string()}, {"ok", ok}, {"errors", errors}, {"warnings", warnings},
                          {"issues", std::move(list)}}
                         .dump()
                  << std::endl;
        return ok ? exit_ok : exit_failed;
    }

    for (const auto& issue : issues) {
        (issue.severity == config::severity::error ? std::cerr : std::cout) << config::to_string(issue) << '\n';
    }
    if (ok) {
        std::cout << fmt::format(fmt::runtime(_("{file}: OK (warnings: {warnings})")), fmt::arg("file", file.string()),
                                 fmt::arg("warnings", warnings))
                  << std::endl;
        return exit_ok;
    }
    std::cerr << fmt::format(fmt::runtime(_("{file}: rejected (errors: {errors}, warnings: {warnings})")),
                             fmt::arg("file", file.string()), fmt::arg("errors", errors), fmt::arg("warnings", warnings))
              << std::endl;
    return exit_failed;
}

} // namespace citygate::cli
