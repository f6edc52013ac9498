// citygate init: first-boot provisioning. Asks for (or takes as flags) the
// gateway id, brokers and location, writes a fresh key file and a commented
// config from the reference, and prints the keys once for registration.

#include "gateway/cli/commands.hpp"
#include "gateway/cli/exit_codes.hpp"
#include "gateway/cli/i18n.hpp"
#include "gateway/cli/init_config.hpp"
#include "gateway/config/config.hpp"
#include "gateway/crypto/key_file.hpp"
#include "gateway/crypto/sm_primitives.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <iostream>
#include <span>
#include <sstream>
#include <system_error>

namespace citygate::cli {
namespace {

namespace fs = std::filesystem;

// The system user the citygated package creates; the daemon runs as it.
constexpr const char* service_user = "citygate";

int fail(const std::string& message) {
    std::cerr << _("error: ") << message << std::endl;
    return exit_failed;
}

// Reads one answer from standard input after printing `prompt`; false at
// the end of input. A terminal echoes the answer and its newline; from a
// pipe nothing is echoed, so the prompt ends its own line.
bool ask(const std::string& prompt, std::string& answer) {
    const bool terminal = ::isatty(STDIN_FILENO) == 1;
    std::cout << prompt << (terminal ? "" : "\n") << std::flush;
    if (!std::getline(std::cin, answer)) {
        if (terminal) {
            std::cout << '\n';
        }
        return false;
    }
    if (!answer.empty() && answer.back() == '\r') {
        answer.pop_back();
    }
    return true;
}

std::vector<std::string> split_words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string word; in >> word;) {
        words.push_back(word);
    }
    return words;
}

int missing_answer(std::string_view flag) {
    return fail(fmt::format(fmt::runtime(_("no answer on standard input; pass {flag} or answer the prompt")),
                            fmt::arg("flag", flag)));
}

// Prompts for an invalid or empty answer this many times in a row before
// init gives up.
constexpr int max_attempts = 3;

// Checks `values` with the daemon's loader and prints the errors of `key`
// (gateway.id, uplink.brokers); true when it has none. Values not asked
// yet get valid placeholders, so only the answer is judged.
bool answer_valid(init_values values, std::string_view key) {
    if (values.gateway_id.empty()) {
        values.gateway_id = "gw-1";
    }
    if (values.brokers.empty()) {
        values.brokers = {"tcp://127.0.0.1:1883"};
    }
    if (values.key_file.empty()) {
        values.key_file = "/etc/citygate/keys.toml";
    }

    std::vector<config::config_issue> issues;
    config::parse(render_config(reference_config, values), "citygate.toml", issues);
    bool valid = true;
    for (const auto& issue : issues) {
        if (issue.severity == config::severity::error && issue.key.starts_with(key)) {
            std::cerr << _("error: ") << issue.key << ": " << issue.message << '\n';
            valid = false;
        }
    }
    return valid;
}

// Prompts until `read_answer` stores a valid value of `key`, up to
// max_attempts times.
int ask_until_valid(const std::string& prompt, std::string_view flag, std::string_view key, init_values& values,
                    const std::function<bool(const std::string&, init_values&)>& read_answer) {
    std::string answer;
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
        if (!ask(prompt, answer)) {
            return missing_answer(flag);
        }
        if (read_answer(answer, values) && answer_valid(values, key)) {
            return exit_ok;
        }
    }
    return fail(fmt::format(fmt::runtime(_("no valid answer after {count} attempts; pass {flag} or answer the "
                                           "prompt with a valid value")),
                            fmt::arg("count", max_attempts), fmt::arg("flag", flag)));
}

// Fills `values` from the options and prompts for what they leave out.
int collect_values(const init_options& options, init_values& values) {
    values.gateway_id = options.gateway_id;
    values.brokers = options.brokers;
    std::string answer;

    if (values.gateway_id.empty()) {
        const int result = ask_until_valid(
            _("Gateway id, as registered on the platform (e.g. changle-gw-0001): "), "--gateway-id", "gateway.id",
            values, [](const std::string& text, init_values& out) {
                out.gateway_id = text;
                return !text.empty();
            });
        if (result != exit_ok) {
            return result;
        }
    }
    if (values.brokers.empty()) {
        const int result = ask_until_valid(
            _("MQTT broker URI, e.g. ssl://mqtt.example.org:8883 (several: separate with spaces): "), "--broker",
            "uplink.brokers", values, [](const std::string& text, init_values& out) {
                out.brokers = split_words(text);
                return !out.brokers.empty();
            });
        if (result != exit_ok) {
            return result;
        }
    }
    if (options.location) {
        values.location = *options.location;
    } else if (ask(_("Location of the box, free text (may be empty): "), answer)) {
        values.location = answer;
    } else {
        return missing_answer("--location");
    }
    return exit_ok;
}

// Checks the rendered config with the daemon's loader, so init accepts
// exactly what citygated accepts.
bool config_valid(const std::string& text, const fs::path& file) {
    std::vector<config::config_issue> issues;
    const auto loaded = config::parse(text, file, issues);
    for (const auto& issue : issues) {
        std::cerr << config::to_string(issue) << '\n';
    }
    return loaded && !config::has_errors(issues);
}

// Next key id: one after the current id of the key file being replaced, so
// the platform can tell the new key from the old; 1 for a first key file.
std::uint32_t next_key_id(const fs::path& key_file) {
    std::error_code error;
    std::string detail;
    const auto old_keys = crypto::load_key_file(key_file, error, detail);
    if (!old_keys || old_keys->current == UINT32_MAX) {
        return 1;
    }
    return old_keys->current + 1;
}

struct owners {
    uid_t key_uid = 0;
    gid_t group = 0;
    bool change = false;
};

// Run as root on a box with the citygated package, the key file goes to
// the service user (the daemon must read it at mode 0600) and the config
// to root:citygate (mode 0640). Elsewhere the caller keeps both files.
owners service_owners() {
    owners result;
    if (::geteuid() != 0) {
        return result;
    }
    const passwd* user = ::getpwnam(service_user);
    if (user == nullptr) {
        std::cout << _("Note: there is no 'citygate' user (is the citygated package installed?), so the files stay owned by root.")
                  << '\n';
        return result;
    }
    result.key_uid = user->pw_uid;
    result.group = user->pw_gid;
    result.change = true;
    return result;
}

fs::path temporary_path(const fs::path& file) { return file.parent_path() / ("." + file.filename().string() + ".init-tmp"); }

// Gives `temporary` its owners and renames it over `file`, so a reader
// sees either the old file or the complete new one.
std::error_code install_file(const fs::path& temporary, const fs::path& file, uid_t uid, gid_t gid, bool chown) {
    if (chown && ::chown(temporary.c_str(), uid, gid) != 0) {
        const std::error_code error{errno, std::generic_category()};
        ::unlink(temporary.c_str());
        return error;
    }
    if (::rename(temporary.c_str(), file.c_str()) != 0) {
        const std::error_code error{errno, std::generic_category()};
        ::unlink(temporary.c_str());
        return error;
    }
    return {};
}

std::error_code write_key_file(const fs::path& file, std::uint32_t id, const owners& owner) {
    // crypto::generate_key_file never overwrites, so the keys go to a
    // temporary file first; a leftover from an interrupted run is removed.
    const fs::path temporary = temporary_path(file);
    ::unlink(temporary.c_str());
    if (const auto error = crypto::generate_key_file(temporary, id)) {
        return error;
    }
    return install_file(temporary, file, owner.key_uid, owner.group, owner.change);
}

std::error_code write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t written = ::write(fd, text.data(), text.size());
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written < 0) {
            return {errno, std::generic_category()};
        }
        text.remove_prefix(static_cast<std::size_t>(written));
    }
    return ::fsync(fd) == 0 ? std::error_code{} : std::error_code{errno, std::generic_category()};
}

std::error_code write_config_file(const fs::path& file, const std::string& text, const owners& owner) {
    const fs::path temporary = temporary_path(file);
    ::unlink(temporary.c_str());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        return {errno, std::generic_category()};
    }

    // fchmod because the umask may have cleared bits of 0640.
    std::error_code error = ::fchmod(fd, 0640) == 0 ? write_all(fd, text) : std::error_code{errno, std::generic_category()};
    if (::close(fd) != 0 && !error) {
        error = {errno, std::generic_category()};
    }
    if (error) {
        ::unlink(temporary.c_str());
        return error;
    }
    return install_file(temporary, file, 0, owner.group, owner.change);
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const std::uint8_t byte : bytes) {
        out += digits[byte >> 4];
        out += digits[byte & 0x0f];
    }
    return out;
}

// Prints the new keys for registration on the platform. This is the only
// place citygate shows key material; the key file keeps it afterwards.
int print_keys(const fs::path& key_file) {
    const auto keys = load_keys(key_file, false);
    if (!keys) {
        return exit_failed;
    }
    const crypto::key& key = *keys->current_key();
    std::string enc = to_hex(key.enc_key);
    std::string mac = to_hex(key.mac_key);
    std::cout << fmt::format(fmt::runtime(_("Register key id {id} for this gateway on the platform now. "
                                            "The keys are printed only this once:")),
                             fmt::arg("id", key.id))
              << '\n'
              << "  key id:  " << key.id << '\n'
              << "  enc_key: " << enc << "  (SM4)\n"
              << "  mac_key: " << mac << "  (HMAC-SM3)\n";
    crypto::sm::cleanse(enc.data(), enc.size());
    crypto::sm::cleanse(mac.data(), mac.size());
    return exit_ok;
}

int reject_existing(const fs::path& file) {
    return fail(fmt::format(fmt::runtime(_("{file} already exists; citygate init does not replace it without --force. "
                                           "With --force the old keys are lost.")),
                            fmt::arg("file", file.string())));
}

// Makes the config directory when the package has not, 0750 like /etc/citygate.
int ensure_directory(const fs::path& dir) {
    std::error_code error;
    if (fs::is_directory(dir, error)) {
        return exit_ok;
    }
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
        return fail(fmt::format(fmt::runtime(_("cannot create the directory {dir}: {reason}")), fmt::arg("dir", dir.string()),
                                fmt::arg("reason", std::error_code(errno, std::generic_category()).message())));
    }
    return exit_ok;
}

int write_files(const fs::path& config_file, const init_values& values, const std::string& text, bool force) {
    const owners owner = service_owners();
    const std::uint32_t key_id = force ? next_key_id(values.key_file) : 1;

    if (const auto error = write_key_file(values.key_file, key_id, owner)) {
        return fail(fmt::format(fmt::runtime(_("cannot write the key file {file}: {reason}")),
                                fmt::arg("file", values.key_file.string()), fmt::arg("reason", error.message())));
    }
    if (const auto error = write_config_file(config_file, text, owner)) {
        return fail(fmt::format(fmt::runtime(_("cannot write the configuration file {file}: {reason}")),
                                fmt::arg("file", config_file.string()), fmt::arg("reason", error.message())));
    }
    std::cout << fmt::format(fmt::runtime(_("Wrote {config} (mode 0640) and {keys} (mode 0600).")),
                             fmt::arg("config", config_file.string()), fmt::arg("keys", values.key_file.string()))
              << '\n';
    return exit_ok;
}

} // namespace

int run_init(const init_options& options) {
    const fs::path config_file = fs::absolute(options.config);
    init_values values;
    values.key_file = options.key_file.empty() ? config_file.parent_path() / "keys.toml" : fs::absolute(options.key_file);

    std::error_code error;
    for (const auto& file : {values.key_file, config_file}) {
        if (!options.force && fs::exists(fs::symlink_status(file, error))) {
            return reject_existing(file);
        }
    }

    if (const int result = collect_values(options, values); result != exit_ok) {
        return result;
    }
    const std::string text = render_config(reference_config, values);
    if (!config_valid(text, config_file)) {
        return fail(_("the values above are invalid; nothing was written"));
    }

    for (const auto& dir : {values.key_file.parent_path(), config_file.parent_path()}) {
        if (const int result = ensure_directory(dir); result != exit_ok) {
            return result;
        }
    }
    if (const int result = write_files(config_file, values, text, options.force); result != exit_ok) {
        return result;
    }
    if (const int result = print_keys(values.key_file); result != exit_ok) {
        return result;
    }
    std::cout << fmt::format(fmt::runtime(_("Next: add the buses and devices to {config}, check it with "
                                            "'citygate config check {config}', then run 'systemctl enable --now citygated'.")),
                             fmt::arg("config", config_file.string()))
              << std::endl;
    return exit_ok;
}

} // namespace citygate::cli
