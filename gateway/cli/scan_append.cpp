#include "gateway/cli/scan_append.hpp"

#include "drivers/probe.hpp"
#include "drivers/registry.hpp"
#include "gateway/cli/daemon_call.hpp"
#include "gateway/cli/exit_codes.hpp"
#include "gateway/cli/i18n.hpp"
#include "gateway/config/check_drivers.hpp"
#include "gateway/config/config.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace citygate::cli {

namespace {

using nlohmann::json;

// Text for a TOML comment: one line, no control characters.
std::string comment_text(std::string text) {
    for (auto& c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            c = ' ';
        }
    }
    return text;
}

std::optional<std::string> read_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Prints the errors among `issues`, naming `shown_as` where an issue names
// `checked`, because the temporary file replaces the file the user named.
bool print_errors(const std::vector<config::config_issue>& issues, const std::filesystem::path& checked,
                  const std::filesystem::path& shown_as) {
    bool ok = true;
    for (auto issue : issues) {
        if (issue.severity != config::severity::error) {
            continue;
        }
        ok = false;
        if (issue.file == checked) {
            issue.file = shown_as;
        }
        std::cerr << config::to_string(issue) << '\n';
    }
    return ok;
}

// The config check of `citygate config check` on `checked`, printing the
// problems as if they were in `shown_as`.
bool passes_config_check(const std::filesystem::path& checked, const std::filesystem::path& shown_as) {
    std::vector<config::config_issue> issues;
    const auto loaded = config::load(checked, issues);
    if (loaded) {
        drivers::registry registry;
        drivers::register_builtin_drivers(registry);
        auto driver_issues = config::check_drivers(*loaded, registry);
        issues.insert(issues.end(), driver_issues.begin(), driver_issues.end());
    }
    return print_errors(issues, checked, shown_as) && loaded.has_value();
}

// Device ids by address of the devices that `file` puts on `bus`, or
// nullopt after printing why `file` cannot be read as a config file.
std::optional<std::map<std::string, std::string>> devices_in_file(const std::filesystem::path& file,
                                                                  const std::string& bus) {
    std::vector<config::config_issue> issues;
    const auto loaded = config::load(file, issues);
    if (!loaded) {
        print_errors(issues, file, file);
        std::cerr << fmt::format(fmt::runtime(_("{file} fails the config check (errors above); fix it before "
                                                "appending devices to it.")),
                                 fmt::arg("file", file.string()))
                  << '\n';
        return std::nullopt;
    }

    std::map<std::string, std::string> out;
    for (const auto& device : loaded->devices) {
        if (device.bus == bus) {
            out.emplace(device.address, device.id);
        }
    }
    return out;
}

// Writes `content` to a new file in `file`'s directory with `file`'s mode
// and owner; returns its path, or an empty path after printing the error.
std::filesystem::path write_temporary(const std::filesystem::path& file, const std::string& content) {
    struct stat original {};
    std::string name = (file.parent_path() / ("." + file.filename().string() + ".XXXXXX")).string();
    const int fd = ::stat(file.c_str(), &original) == 0 ? ::mkstemp(name.data()) : -1;
    if (fd < 0) {
        std::cerr << _("error: ") << fmt::format(fmt::runtime(_("cannot write next to {file}: {reason}")),
                                                 fmt::arg("file", file.string()), fmt::arg("reason", std::strerror(errno)))
                  << '\n';
        return {};
    }

    // chown fails unless run as root; the file then keeps the user's owner.
    (void)::fchown(fd, original.st_uid, original.st_gid);
    bool ok = ::fchmod(fd, original.st_mode & 07777) == 0;
    for (std::size_t written = 0; ok && written < content.size();) {
        const auto n = ::write(fd, content.data() + written, content.size() - written);
        ok = n > 0 || (n < 0 && errno == EINTR);
        written += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    ok = ok && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
        std::cerr << _("error: ") << fmt::format(fmt::runtime(_("cannot write next to {file}: {reason}")),
                                                 fmt::arg("file", file.string()), fmt::arg("reason", std::strerror(errno)))
                  << '\n';
        ::unlink(name.c_str());
        return {};
    }
    return name;
}

bool confirm_append(const std::filesystem::path& file, std::size_t count, const std::string& blocks) {
    std::cerr << blocks << '\n'
              << fmt::format(fmt::runtime(_("Append the devices found ({count}) to {file}? Type 'yes' to confirm: ")),
                             fmt::arg("count", count), fmt::arg("file", file.string()))
              << std::flush;
    return read_confirmation();
}

int replace_checked(const std::filesystem::path& file, const std::string& original, const std::string& blocks) {
    const auto separator = original.empty() || original.back() == '\n' ? "\n" : "\n\n";
    const auto temporary = write_temporary(file, original + separator + blocks);
    if (temporary.empty()) {
        return exit_failed;
    }
    if (!passes_config_check(temporary, file)) {
        ::unlink(temporary.c_str());
        std::cerr << fmt::format(fmt::runtime(_("The config file with the new devices fails the config check "
                                                "(errors above), so {file} was not changed.")),
                                 fmt::arg("file", file.string()))
                  << '\n';
        return exit_failed;
    }
    if (::rename(temporary.c_str(), file.c_str()) != 0) {
        std::cerr << _("error: ") << fmt::format(fmt::runtime(_("cannot replace {file}: {reason}")),
                                                 fmt::arg("file", file.string()), fmt::arg("reason", std::strerror(errno)))
                  << '\n';
        ::unlink(temporary.c_str());
        return exit_failed;
    }
    return exit_ok;
}

} // namespace

std::string device_block(const scan_request& scan, const json& probe) {
    const auto address = probe.value("address", "");
    std::string block = "# " + comment_text(fmt::format(fmt::runtime(_("Found by 'citygate bus scan' on bus {bus}: {read}")),
                                                        fmt::arg("bus", scan.bus),
                                                        fmt::arg("read", probe.value("detail", "")))) +
                        "\n";
    block += "[[device]]\n";
    block += "id = \"" + scan.bus + "-" + address + "\"\n";
    block += "driver = \"" + std::string(drivers::probe_driver_name(scan.protocol)) + "\"\n";
    block += "bus = \"" + scan.bus + "\"\n";
    block += "address = \"" + address + "\"\n";

    const auto options = probe.value("options", json::object());
    if (scan.protocol == "modbus") {
        block += "# " + comment_text(_("The scan read holding register 0. Replace this point with the device's "
                                       "register map, or set template = \"NAME\".")) +
                 "\n";
        block += "[device.options]\n\"point.holding_0\" = \"holding 0 u16\"\n";
    } else if (!options.empty()) {
        block += "[device.options]\n";
        for (const auto& [key, value] : options.items()) {
            block += key + " = \"" + (value.is_string() ? value.get<std::string>() : value.dump()) + "\"\n";
        }
    }
    return block;
}

int append_found_devices(const std::filesystem::path& file, const scan_request& scan, const std::vector<json>& found) {
    // FILE may not be the config the daemon runs, so its own devices decide
    // what is new, not the daemon's.
    const auto existing = devices_in_file(file, scan.bus);
    if (!existing) {
        return exit_failed;
    }

    std::string blocks;
    std::size_t count = 0;
    for (const auto& probe : found) {
        const auto address = probe.value("address", "");
        if (const auto known = existing->find(address); known != existing->end()) {
            std::cerr << fmt::format(fmt::runtime(_("Skipped {address}: {file} already has it as device {id}.")),
                                     fmt::arg("address", address), fmt::arg("file", file.string()),
                                     fmt::arg("id", known->second))
                      << '\n';
            continue;
        }
        blocks += (count == 0 ? "" : "\n") + device_block(scan, probe);
        ++count;
    }
    if (count == 0) {
        std::cerr << fmt::format(fmt::runtime(_("Nothing to append to {file}: no new device was found.")),
                                 fmt::arg("file", file.string()))
                  << '\n';
        return exit_ok;
    }

    const auto original = read_file(file);
    if (!original) {
        std::cerr << _("error: ") << fmt::format(fmt::runtime(_("cannot read {file}: {reason}")),
                                                 fmt::arg("file", file.string()), fmt::arg("reason", std::strerror(errno)))
                  << '\n';
        return exit_failed;
    }
    if (!scan.yes && !confirm_append(file, count, blocks)) {
        std::cerr << fmt::format(fmt::runtime(_("Not confirmed; {file} was not changed. Pass --yes to skip the "
                                                "question.")),
                                 fmt::arg("file", file.string()))
                  << '\n';
        return exit_failed;
    }

    const int result = replace_checked(file, *original, blocks);
    if (result == exit_ok) {
        std::cerr << fmt::format(fmt::runtime(_("Appended the devices found ({count}) to {file}. Reload citygated to poll them "
                                                "(systemctl reload citygated).")),
                                 fmt::arg("count", count), fmt::arg("file", file.string()))
                  << '\n';
    }
    return result;
}

} // namespace citygate::cli
