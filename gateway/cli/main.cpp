// citygate: the technician's command line for a citygate gateway.
// Each subcommand fills its options and sets `action`; main runs it after
// parsing so that every command returns an exit code from exit_codes.hpp.

#include "gateway/cli/commands.hpp"
#include "gateway/cli/exit_codes.hpp"
#include "gateway/cli/help_formatter.hpp"
#include "gateway/cli/i18n.hpp"
#include "gateway/cli/parse_errors.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <iostream>
#include <memory>

#ifndef CITYGATE_VERSION
#error "CITYGATE_VERSION must be defined by the build"
#endif

namespace {

using namespace citygate::cli;
using action_fn = std::function<int()>;

// Translates CLI11's own words in --help output.
void translate_help(CLI::App& app) {
    auto formatter = std::make_shared<help_formatter>();
    for (const char* label : {N_("Usage"), N_("OPTIONS"), N_("SUBCOMMAND"), N_("SUBCOMMANDS"), N_("Positionals"),
                              N_("REQUIRED"), N_("Needs"), N_("Excludes"), N_("Env")}) {
        formatter->label(label, ::gettext(label));
    }
    app.formatter(formatter);
    app.option_defaults()->group(_("Options"));
    app.set_help_flag("-h,--help", _("Show this help and exit"));
}

CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& description) {
    auto* command = parent.add_subcommand(name, description);
    command->group(_("Commands"));
    command->set_help_flag("-h,--help", _("Show this help and exit"));
    return command;
}

void add_keygen(CLI::App& app, action_fn& action) {
    auto* command = add_command(app, "keygen", _("Write a new key file with one random SM4 and HMAC-SM3 key"));
    auto file = std::make_shared<std::filesystem::path>();
    auto id = std::make_shared<std::uint32_t>(1);
    command->add_option("--key-file", *file, _("Key file to create; an existing file is never overwritten"))
        ->required()
        ->type_name(_("FILE"));
    command->add_option("--key-id", *id, _("Key id of the new key (default 1)"))->type_name(_("N"));
    command->callback([&action, file, id] { action = [file, id] { return run_keygen(*file, *id); }; });
}

void add_init(CLI::App& app, action_fn& action) {
    auto* command = add_command(app, "init", _("Provision this box: write its key file and config, print the keys once"));
    auto options = std::make_shared<init_options>();
    command->add_option("--gateway-id", options->gateway_id, _("Gateway id registered on the platform"))
        ->type_name(_("ID"));
    command->add_option("--broker", options->brokers, _("Broker URI; repeat for fallback brokers"))
        ->type_name(_("URI"));
    command->add_option("--location", options->location, _("Where the box is installed, free text"))
        ->type_name(_("TEXT"));
    command->add_option("--config", options->config, _("Configuration file to write"))
        ->default_str(options->config.string())
        ->type_name(_("FILE"));
    command->add_option("--key-file", options->key_file, _("Key file to write (default: keys.toml next to the config)"))
        ->type_name(_("FILE"));
    command->add_flag("--force", options->force, _("Replace an existing key file and config; the old keys are lost"));
    command->footer(_("Options left out are asked for on standard input."));
    command->callback([&action, options] { action = [options] { return run_init(*options); }; });
}

void add_monitor(CLI::App& app, action_fn& action) {
    auto* command = add_command(app, "monitor", _("Watch a gateway's uplink topics and show the decrypted readings"));
    auto options = std::make_shared<monitor_options>();
    command->add_option("--broker", options->broker, _("Broker URI, e.g. tcp://127.0.0.1:1883 or ssl://host:8883"))
        ->required()
        ->type_name(_("URI"));
    command->add_option("--key-file", options->key_file, _("Key file with the keys the gateway seals with"))
        ->required()
        ->type_name(_("FILE"));
    auto* gateway = command->add_option("--gateway", options->gateway, _("Gateway id; watches citygate/v1/ID"))
                        ->type_name(_("ID"));
    command->add_option("--prefix", options->topic_prefix, _("Topic prefix (default citygate/v1/+, every gateway)"))
        ->type_name(_("PREFIX"))
        ->excludes(gateway);
    command->add_flag("--json", options->json, _("One JSON object per line per message"));
    command->add_option("--count", options->count, _("Exit after this many envelopes"))->type_name(_("N"));
    command->add_option("--timeout", options->timeout_s, _("Exit after this many seconds"))->type_name(_("SECONDS"));
    command->add_option("--username", options->username, _("MQTT user name"))->type_name(_("USER"));
    command->add_option("--password-file", options->password_file, _("File whose first line is the MQTT password"))
        ->type_name(_("FILE"));
    command->add_option("--ca-file", options->ca_file, _("CA certificate for ssl:// brokers (default: system store)"))
        ->type_name(_("FILE"));
    command->callback([&action, options] { action = [options] { return run_monitor(*options); }; });
}

void add_envelope(CLI::App& app, action_fn& action) {
    auto* group = add_command(app, "envelope", _("Work with uplink envelopes"));
    group->require_subcommand(1);
    auto* command = add_command(*group, "open", _("Verify, decrypt and show an envelope read from standard input"));
    auto options = std::make_shared<envelope_open_options>();
    command->add_option("--key-file", options->key_file, _("Key file with the envelope's key"))
        ->required()
        ->type_name(_("FILE"));
    command->add_flag("--hex", options->hex, _("Standard input is hex text instead of raw bytes"));
    command->add_flag("--json", options->json, _("Print one JSON object"));
    command->callback([&action, options] { action = [options] { return run_envelope_open(*options); }; });
}

void add_config(CLI::App& app, action_fn& action) {
    auto* group = add_command(app, "config", _("Work with configuration files"));
    group->require_subcommand(1);
    auto* command = add_command(*group, "check", _("Check a configuration file without starting the daemon"));
    auto file = std::make_shared<std::filesystem::path>();
    auto json = std::make_shared<bool>(false);
    command->add_option("file", *file, _("Configuration file, e.g. /etc/citygate/citygate.toml"))
        ->required()
        ->type_name(_("FILE"));
    command->add_flag("--json", *json, _("Print one JSON object"));
    command->callback([&action, file, json] { action = [file, json] { return run_config_check(*file, *json); }; });
}

void add_decode(CLI::App& app, action_fn& action) {
    auto* command = add_command(app, "decode", _("Decode a captured CJ/T 188, DL/T 645 or Modbus frame"));
    auto options = std::make_shared<decode_options>();
    command->add_option("--protocol", options->protocol, _("Protocol of the frame: cjt188, dlt645, modbus-rtu or modbus-tcp"))
        ->required()
        ->check(CLI::IsMember({"cjt188", "dlt645", "modbus-rtu", "modbus-tcp"}))
        ->type_name(_("PROTOCOL"));
    command->add_option("--direction", options->direction,
                        _("Modbus only: request, response, or auto (default): a response first, then a request"))
        ->check(CLI::IsMember({"request", "response", "auto"}))
        ->type_name(_("DIRECTION"));
    command->add_flag("--json", options->json, _("Print one JSON object"));
    command->add_option("hex", options->hex, _("Frame bytes in hex, with or without spaces; read from standard input when absent"))
        ->type_name(_("HEX"));
    command->callback([&action, options] { action = [options] { return run_decode(*options); }; });
}

std::shared_ptr<daemon_options> add_daemon_options(CLI::App& command) {
    auto options = std::make_shared<daemon_options>();
    command.add_option("--socket", options->socket, _("Control socket of citygated"))
        ->default_str(default_socket_path)
        ->type_name(_("PATH"));
    command.add_flag("--json", options->json, _("Print the daemon's answer as JSON"));
    command.add_option("--timeout", options->timeout_s, _("Seconds to wait for the daemon (default 10; read and each scan probe 40)"))
        ->type_name(_("SECONDS"));
    return options;
}

void add_daemon_commands(CLI::App& app, action_fn& action) {
    auto* status = add_command(app, "status", _("Show the gateway's state: uplink, clock, devices"));
    auto status_options = add_daemon_options(*status);
    status->callback([&action, status_options] { action = [status_options] { return run_status(*status_options); }; });

    auto* devices = add_command(app, "devices", _("List the configured devices and their state"));
    auto devices_options = add_daemon_options(*devices);
    devices->callback(
        [&action, devices_options] { action = [devices_options] { return run_devices(*devices_options); }; });

    auto* read = add_command(app, "read", _("Poll one device now and show its values"));
    auto read_options = add_daemon_options(*read);
    auto device = std::make_shared<std::string>();
    auto raw = std::make_shared<bool>(false);
    read->add_option("device", *device, _("Device id as listed by 'citygate devices'"))->required()->type_name(_("DEVICE"));
    read->add_flag("--raw", *raw, _("Also show the request and response frames in hex"));
    read->callback([&action, read_options, device, raw] {
        action = [read_options, device, raw] { return run_read(*read_options, *device, *raw); };
    });

    auto* write = add_command(app, "write", _("Send a command to one device, e.g. close a valve, after confirmation"));
    auto write_options = add_daemon_options(*write);
    auto write_args = std::make_shared<write_request>();
    write->add_option("device", write_args->device, _("Device id as listed by 'citygate devices'"))
        ->required()
        ->type_name(_("DEVICE"));
    write->add_option("command", write_args->assignment, _("NAME=VALUE, e.g. valve=close"))
        ->required()
        ->type_name(_("NAME=VALUE"));
    write->add_flag("--yes,-y", write_args->yes, _("Do not ask for confirmation"));
    write->add_flag("--raw", write_args->raw, _("Also show the request and response frames in hex"));
    write->callback([&action, write_options, write_args] {
        action = [write_options, write_args] { return run_write(*write_options, *write_args); };
    });

    auto* queue = add_command(app, "queue", _("Show the outbox: readings waiting to be sent"));
    auto queue_options = add_daemon_options(*queue);
    queue->callback([&action, queue_options] { action = [queue_options] { return run_queue(*queue_options); }; });
}

void add_bus(CLI::App& app, action_fn& action) {
    auto* group = add_command(app, "bus", _("Work with the buses of the running daemon"));
    group->require_subcommand(1);
    auto* scan = add_command(*group, "scan", _("Find meter addresses on a bus and optionally add them to a config file"));
    auto options = add_daemon_options(*scan);
    auto request = std::make_shared<scan_request>();
    scan->add_option("bus", request->bus, _("Bus id as listed by 'citygate status'"))->required()->type_name(_("BUS"));
    scan->add_option("--protocol", request->protocol, _("Protocol of the meters: dlt645, cjt188 or modbus"))
        ->required()
        ->check(CLI::IsMember({"dlt645", "cjt188", "modbus"}))
        ->type_name(_("PROTOCOL"));
    scan->add_option("--range", request->range,
                     _("Probe each address of FIRST-LAST (at most 1000) instead of one broadcast; "
                       "Modbus unit ids default to 1-247"))
        ->type_name(_("FIRST-LAST"));
    scan->add_option("--edition", request->edition, _("Protocol edition: 2007 or 1997 (dlt645), 2018 or 2004 (cjt188)"))
        ->type_name(_("YEAR"));
    scan->add_option("--meter-type", request->meter_type, _("CJ/T 188 meter type, two hex digits 10-39 (default 10)"))
        ->type_name(_("TYPE"));
    scan->add_flag("--quiet,-q", request->quiet, _("Do not show the progress of a sweep"));
    scan->add_option("--append", request->append,
                     _("Config file to append a [[device]] block per new device to, after confirmation"))
        ->type_name(_("FILE"));
    scan->add_flag("--yes,-y", request->yes, _("Append without asking for confirmation"));
    scan->callback([&action, options, request] { action = [options, request] { return run_scan(*options, *request); }; });
}

} // namespace

int main(int argc, char** argv) {
    init_i18n();

    CLI::App app(_("citygate: command line for the citygate field gateway"), "citygate");
    translate_help(app);
    app.set_version_flag("--version", std::string("citygate ") + CITYGATE_VERSION, _("Show the version and exit"));
    app.require_subcommand(1);
    app.footer(_("Exit codes: 0 success, 1 failed, 2 invalid command line, 3 daemon not reachable."));

    action_fn action;
    add_daemon_commands(app, action);
    add_bus(app, action);
    add_monitor(app, action);
    add_envelope(app, action);
    add_config(app, action);
    add_decode(app, action);
    add_keygen(app, action);
    add_init(app, action);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << _("error: ") << translate_parse_error(e) << '\n' << _("Run 'citygate --help' for the commands and options.") << std::endl;
        return exit_usage;
    }
    return action ? action() : exit_usage;
}
