// citygate bus scan: one broadcast read-address probe, or one probe per
// address of a range, each a "probe" request to citygated (protocol in
// gateway/control/protocol.hpp). The CLI drives the sweep so that it can
// show progress and stop cleanly on Ctrl-C between two probes.

#include "gateway/cli/commands.hpp"
#include "gateway/cli/daemon_call.hpp"
#include "gateway/cli/exit_codes.hpp"
#include "gateway/cli/i18n.hpp"
#include "gateway/cli/scan_append.hpp"
#include "gateway/cli/scan_range.hpp"
#include "gateway/cli/text.hpp"
#include "gateway/control/client.hpp"
#include "gateway/control/protocol.hpp"

#include <fmt/format.h>

#include <csignal>
#include <iostream>
#include <map>

#include <unistd.h>

namespace citygate::cli {

namespace {

using nlohmann::json;

volatile std::sig_atomic_t interrupt_requested = 0;

extern "C" void on_interrupt(int) {
    interrupt_requested = 1;
}

// Catches the first Ctrl-C so the sweep ends after the running probe; the
// handler resets itself, so a second Ctrl-C ends the process at once.
class interrupt_guard {
public:
    interrupt_guard() {
        struct sigaction action {};
        action.sa_handler = on_interrupt;
        action.sa_flags = SA_RESETHAND;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGINT, &action, &previous_);
    }
    ~interrupt_guard() { ::sigaction(SIGINT, &previous_, nullptr); }
    interrupt_guard(const interrupt_guard&) = delete;
    interrupt_guard& operator=(const interrupt_guard&) = delete;

private:
    struct sigaction previous_ {};
};

// A bar on a terminal, a line per tenth of the sweep otherwise.
class progress_output {
public:
    progress_output(std::size_t total, bool quiet) : total_(total), quiet_(quiet || total < 2), tty_(::isatty(2) == 1) {}

    void update(std::size_t probed, std::size_t found) {
        if (quiet_) {
            return;
        }
        if (tty_) {
            constexpr std::size_t width = 30;
            const auto filled = probed * width / total_;
            std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] "
                      << fmt::format(fmt::runtime(_("{probed}/{total}, {found} found")), fmt::arg("probed", probed),
                                     fmt::arg("total", total_), fmt::arg("found", found))
                      << std::flush;
            return;
        }
        const auto tenth = probed * 10 / total_;
        if (tenth != last_tenth_ || probed == total_) {
            last_tenth_ = tenth;
            std::cerr << fmt::format(fmt::runtime(_("scanned {probed} of {total} addresses, {found} found")),
                                     fmt::arg("probed", probed), fmt::arg("total", total_), fmt::arg("found", found))
                      << '\n';
        }
    }

    void finish() {
        if (!quiet_ && tty_) {
            std::cerr << "\r\033[K" << std::flush;
        }
    }

private:
    std::size_t total_;
    bool quiet_;
    bool tty_;
    std::size_t last_tenth_ = 0;
};

struct scan_outcome {
    std::vector<json> found;     // probe results with "found":true, plus "configured_as"
    std::size_t probed = 0;
    std::size_t total = 0;
    bool interrupted = false;
    bool broadcast = false;       // one read-address broadcast rather than a sweep
    std::string not_found_detail; // why the broadcast found nothing
};

std::chrono::milliseconds probe_timeout(const daemon_options& options) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_s.value_or(40.0) * 1000));
}

// Device ids by address of the devices already configured on the bus.
std::optional<std::map<std::string, std::string>> configured_devices(const daemon_options& options,
                                                                     const std::string& bus, int& exit_code) {
    const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_s.value_or(10.0) * 1000));
    const json request{{"cmd", "devices"}};
    const auto result = control::client(options.socket, timeout).call(request);
    if (!result.response) {
        exit_code = report_client_failure(options, result, timeout);
        return std::nullopt;
    }
    if (!(*result.response)["ok"].get<bool>()) {
        exit_code = report_daemon_error(options, request, *result.response);
        return std::nullopt;
    }

    std::map<std::string, std::string> out;
    for (const auto& device : (*result.response)["result"].value("devices", json::array())) {
        if (device.value("bus", "") == bus) {
            out[device.value("address", "")] = device.value("id", "");
        }
    }
    return out;
}

json probe_request(const scan_request& scan, const std::optional<std::string>& address, std::size_t index,
                   std::size_t total) {
    json request{{"cmd", "probe"}, {"bus", scan.bus}, {"protocol", scan.protocol}, {"address", nullptr}};
    if (address) {
        request["address"] = *address;
        request["scan"] = {{"index", index}, {"total", total}};
    }
    if (!scan.edition.empty()) {
        request["edition"] = scan.edition;
    }
    if (!scan.meter_type.empty()) {
        request["meter_type"] = scan.meter_type;
    }
    return request;
}

// Sends the probes one after the other; returns an exit code when one failed.
std::optional<int> run_probes(const daemon_options& options, const scan_request& scan,
                              const std::vector<std::optional<std::string>>& targets,
                              const std::map<std::string, std::string>& configured, scan_outcome& outcome) {
    const auto timeout = probe_timeout(options);
    const control::client client(options.socket, timeout);
    progress_output progress(targets.size(), scan.quiet || options.json);
    const interrupt_guard guard;
    interrupt_requested = 0;

    outcome.total = targets.size();
    outcome.broadcast = targets.size() == 1 && !targets.front();
    for (std::size_t index = 0; index < targets.size(); ++index) {
        if (interrupt_requested != 0) {
            outcome.interrupted = true;
            break;
        }
        const auto request = probe_request(scan, targets[index], index, targets.size());
        const auto result = client.call(request);
        if (!result.response) {
            progress.finish();
            return report_client_failure(options, result, timeout);
        }
        if (!(*result.response)["ok"].get<bool>()) {
            progress.finish();
            return report_daemon_error(options, request, *result.response);
        }

        auto probe = (*result.response)["result"];
        ++outcome.probed;
        if (probe.value("found", false)) {
            const auto known = configured.find(probe.value("address", ""));
            probe["configured_as"] = known == configured.end() ? json(nullptr) : json(known->second);
            outcome.found.push_back(std::move(probe));
        } else if (!targets[index]) {
            outcome.not_found_detail = probe.value("detail", "");
        }
        progress.update(outcome.probed, outcome.found.size());
    }
    progress.finish();
    return std::nullopt;
}

void render_scan(const scan_request& scan, const scan_outcome& outcome, std::ostream& out) {
    if (outcome.interrupted) {
        std::cerr << fmt::format(fmt::runtime(_("Interrupted after {probed} of {total} addresses.")),
                                 fmt::arg("probed", outcome.probed), fmt::arg("total", outcome.total))
                  << '\n';
    }
    if (outcome.found.empty()) {
        out << fmt::format(fmt::runtime(_("No device answered on bus {bus} ({probed} of {total} addresses probed).")),
                           fmt::arg("bus", scan.bus), fmt::arg("probed", outcome.probed),
                           fmt::arg("total", outcome.total))
            << '\n';
        if (!outcome.not_found_detail.empty()) {
            out << _("Detail: ") << outcome.not_found_detail << '\n';
        }
        // Silence and a garbled reply look alike when several meters answer
        // the broadcast at once, so both get the hint.
        if (outcome.broadcast && !outcome.interrupted) {
            out << _("Every meter answers the broadcast, so with several meters on the bus the replies collide. "
                     "Probe each address with --range FIRST-LAST.")
                << '\n';
        }
        return;
    }

    table rows({_("ADDRESS"), _("PROTOCOL"), _("READ"), _("CONFIGURED AS")});
    for (const auto& probe : outcome.found) {
        const auto& configured = probe["configured_as"];
        const auto detail = probe.value("detail", "");
        rows.add_row({probe.value("address", "-"), probe.value("protocol", "-"), detail.empty() ? "-" : detail,
                      configured.is_string() ? configured.get<std::string>() : std::string("-")});
    }
    rows.print(out);
    out << fmt::format(fmt::runtime(_("Devices found on bus {bus}: {count}.")), fmt::arg("count", outcome.found.size()),
                       fmt::arg("bus", scan.bus))
        << '\n';
}

json scan_json(const scan_request& scan, const scan_outcome& outcome) {
    return {{"bus", scan.bus},
            {"protocol", scan.protocol},
            {"probed", outcome.probed},
            {"total", outcome.total},
            {"interrupted", outcome.interrupted},
            {"detail", outcome.not_found_detail},
            {"found", outcome.found}};
}

std::optional<std::vector<std::optional<std::string>>> scan_targets(const scan_request& scan) {
    std::vector<std::optional<std::string>> targets;
    if (!scan.range && scan.protocol != "modbus") {
        targets.emplace_back(std::nullopt);
        return targets;
    }

    std::string error;
    const auto addresses = expand_scan_range(scan.protocol, scan.range.value_or("1-247"),
                                             control::max_scan_addresses, error);
    if (!addresses) {
        std::cerr << _("error: ") << error << '\n';
        return std::nullopt;
    }
    targets.assign(addresses->begin(), addresses->end());
    return targets;
}

} // namespace

int run_scan(const daemon_options& options, const scan_request& scan) {
    const auto targets = scan_targets(scan);
    if (!targets) {
        return exit_usage;
    }

    int exit_code = exit_ok;
    const auto configured = configured_devices(options, scan.bus, exit_code);
    if (!configured) {
        return exit_code;
    }

    scan_outcome outcome;
    if (const auto failed = run_probes(options, scan, *targets, *configured, outcome)) {
        return *failed;
    }

    if (options.json) {
        std::cout << scan_json(scan, outcome).dump() << std::endl;
    } else {
        render_scan(scan, outcome, std::cout);
        std::cout.flush();
    }

    if (scan.append) {
        exit_code = append_found_devices(*scan.append, scan, outcome.found);
    }
    return outcome.interrupted ? exit_failed : exit_code;
}

} // namespace citygate::cli
