// citygate monitor: subscribes to a gateway's uplink topics and shows every
// envelope opened and decoded, and every status and health message.
//
// Paho callbacks run on Paho's thread; they only queue events, and the main
// thread does all decoding and printing.

#include "gateway/cli/commands.hpp"
#include "gateway/cli/envelope_view.hpp"
#include "gateway/cli/exit_codes.hpp"
#include "gateway/cli/i18n.hpp"
#include "gateway/cli/monitor_events.hpp"
#include "gateway/cli/text.hpp"

#include <fmt/format.h>
#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>
#include <unistd.h>

namespace citygate::cli {
namespace {

using nlohmann::json;
using steady = std::chrono::steady_clock;

std::atomic<bool> stop_requested{false};

extern "C" void on_stop_signal(int) {
    stop_requested = true;
}

std::string topic_prefix(const monitor_options& options) {
    if (!options.topic_prefix.empty()) {
        return options.topic_prefix;
    }
    return "citygate/v1/" + (options.gateway.empty() ? std::string("+") : options.gateway);
}

std::string client_id() {
    std::random_device random;
    return fmt::format("citygate-monitor-{}-{:08x}", ::getpid(), random());
}

bool is_tls_uri(const std::string& uri) {
    return uri.rfind("ssl://", 0) == 0 || uri.rfind("mqtts://", 0) == 0;
}

// The password file's first line; a trailing newline is not part of it.
bool read_password(const std::filesystem::path& file, std::string& out) {
    std::ifstream in(file);
    if (!in) {
        return false;
    }
    std::getline(in, out);
    if (!out.empty() && out.back() == '\r') {
        out.pop_back();
    }
    return true;
}

std::optional<mqtt::connect_options> make_connect_options(const monitor_options& options) {
    mqtt::connect_options connect;
    // Paho C++ 1.2 needs version 5 here and in the create options.
    connect.set_mqtt_version(MQTTVERSION_5);
    connect.set_clean_start(true);
    connect.set_keep_alive_interval(20);
    connect.set_connect_timeout(5);
    connect.set_automatic_reconnect(1, 30);
    if (!options.username.empty()) {
        connect.set_user_name(options.username);
    }
    if (!options.password_file.empty()) {
        std::string password;
        if (!read_password(options.password_file, password)) {
            std::cerr << _("error: ")
                      << fmt::format(fmt::runtime(_("cannot read the password file {file}")),
                                     fmt::arg("file", options.password_file.string()))
                      << std::endl;
            return std::nullopt;
        }
        connect.set_password(password);
    }
    if (is_tls_uri(options.broker)) {
        mqtt::ssl_options ssl;
        if (!options.ca_file.empty()) {
            ssl.set_trust_store(options.ca_file.string());
        }
        connect.set_ssl(ssl);
    }
    return connect;
}

struct monitor_state {
    const monitor_options& options;
    const crypto::key_set& keys;
    std::uint64_t envelopes = 0;
    std::uint64_t rejected = 0;
};

void show_envelope(monitor_state& state, const std::string& topic, const std::string& payload) {
    ++state.envelopes;
    const auto* data = reinterpret_cast<const std::uint8_t*>(payload.data());
    decoded_envelope envelope;
    envelope_failure failure;
    if (!decode_envelope(state.keys, {data, payload.size()}, envelope, failure)) {
        ++state.rejected;
        std::cerr << fmt::format(fmt::runtime(_("{topic}: envelope rejected ({code}): {reason}")), fmt::arg("topic", topic),
                                 fmt::arg("code", failure.code), fmt::arg("reason", failure.message))
                  << std::endl;
        return;
    }
    if (state.options.json) {
        std::cout << envelope_to_json(envelope, topic).dump() << std::endl;
        return;
    }
    print_envelope_text(envelope, std::cout);
    std::cout.flush();
}

void show_plain(monitor_state& state, const std::string& topic, const std::string& kind, const std::string& payload) {
    const auto parsed = json::parse(payload, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        ++state.rejected;
        std::cerr << fmt::format(fmt::runtime(_("{topic}: the payload is not a JSON object")), fmt::arg("topic", topic))
                  << std::endl;
        return;
    }
    if (state.options.json) {
        std::cout << json{{"topic", topic}, {"json", parsed}}.dump() << std::endl;
        return;
    }
    std::cout << (kind == "status" ? describe_status_message(topic, parsed) : describe_health_message(topic, parsed))
              << std::endl;
}

void on_message(monitor_state& state, const mqtt::const_message_ptr& message) {
    const std::string& topic = message->get_topic();
    const auto slash = topic.rfind('/');
    const std::string kind = slash == std::string::npos ? topic : topic.substr(slash + 1);
    if (kind == "telemetry" || kind == "event") {
        show_envelope(state, topic, message->get_payload_str());
    } else if (kind == "status" || kind == "health") {
        show_plain(state, topic, kind, message->get_payload_str());
    }
}

void subscribe_all(mqtt::async_client& client, const std::string& prefix) {
    // Status first, so a retained state is shown before the first envelope.
    for (const char* leaf : {"status", "health", "telemetry", "event"}) {
        try {
            client.subscribe(prefix + "/" + leaf, 1);
        } catch (const mqtt::exception& e) {
            std::cerr << _("error: ")
                      << fmt::format(fmt::runtime(_("cannot subscribe to {topic}: {reason}")),
                                     fmt::arg("topic", prefix + "/" + leaf), fmt::arg("reason", e.what()))
                      << std::endl;
        }
    }
}

void wire_callbacks(mqtt::async_client& client, event_queue& events) {
    client.set_connected_handler([&events](const std::string&) { events.push({event_kind::connected, nullptr, {}}); });
    client.set_connection_lost_handler(
        [&events](const std::string& cause) { events.push({event_kind::lost, nullptr, cause}); });
    client.set_message_callback(
        [&events](mqtt::const_message_ptr message) { events.push({event_kind::message, std::move(message), {}}); });
}

// Tries to connect until it works or `deadline`; Paho's automatic
// reconnect only starts after a first successful connection.
bool first_connect(mqtt::async_client& client, const mqtt::connect_options& connect, const monitor_options& options,
                   steady::time_point deadline) {
    auto backoff = std::chrono::seconds(1);
    while (!stop_requested && steady::now() < deadline) {
        try {
            client.connect(connect)->wait();
            return true;
        } catch (const mqtt::exception& e) {
            std::cerr << fmt::format(fmt::runtime(_("cannot connect to {broker}: {reason}; retrying in {seconds} s")),
                                     fmt::arg("broker", options.broker), fmt::arg("reason", e.what()),
                                     fmt::arg("seconds", backoff.count()))
                      << std::endl;
        }
        const auto wake = std::min(deadline, steady::now() + backoff);
        while (!stop_requested && steady::now() < wake) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        backoff = std::min(backoff * 2, std::chrono::seconds(30));
    }
    return false;
}

steady::time_point deadline_of(const monitor_options& options) {
    if (!options.timeout_s) {
        return steady::time_point::max();
    }
    return steady::now() + std::chrono::milliseconds(static_cast<std::int64_t>(*options.timeout_s * 1000));
}

void handle_event(monitor_state& state, mqtt::async_client& client, const std::string& prefix, const event& next) {
    switch (next.kind) {
    case event_kind::connected:
        std::cerr << fmt::format(fmt::runtime(_("connected to {broker}, watching {prefix}/#")),
                                 fmt::arg("broker", state.options.broker), fmt::arg("prefix", prefix))
                  << std::endl;
        subscribe_all(client, prefix);
        break;
    case event_kind::lost:
        std::cerr << fmt::format(fmt::runtime(_("lost the connection to {broker}; reconnecting")),
                                 fmt::arg("broker", state.options.broker))
                  << std::endl;
        break;
    case event_kind::message: on_message(state, next.message); break;
    }
}

void run_loop(monitor_state& state, mqtt::async_client& client, event_queue& events, const std::string& prefix,
              steady::time_point deadline) {
    while (!stop_requested) {
        if (state.options.count && state.envelopes >= *state.options.count) {
            return;
        }
        const auto now = steady::now();
        if (now >= deadline) {
            return;
        }
        const auto wait = std::min<steady::duration>(deadline - now, std::chrono::milliseconds(200));
        if (auto next = events.pop_for(std::chrono::duration_cast<std::chrono::milliseconds>(wait))) {
            handle_event(state, client, prefix, *next);
        }
    }
}

} // namespace

int run_monitor(const monitor_options& options) {
    const auto keys = load_keys(options.key_file, false);
    if (!keys) {
        return exit_failed;
    }
    const auto connect = make_connect_options(options);
    if (!connect) {
        return exit_failed;
    }

    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);

    const std::string prefix = topic_prefix(options);
    const auto deadline = deadline_of(options);
    event_queue events;
    monitor_state state{options, *keys};
    try {
        mqtt::async_client client(options.broker, client_id(), mqtt::create_options(MQTTVERSION_5));
        wire_callbacks(client, events);
        if (first_connect(client, *connect, options, deadline)) {
            run_loop(state, client, events, prefix, deadline);
            try {
                client.disconnect()->wait_for(std::chrono::seconds(2));
            } catch (const mqtt::exception&) {
                // Leaving anyway; the broker drops the session on its own.
            }
        }
    } catch (const mqtt::exception& e) {
        std::cerr << _("error: ") << e.what() << std::endl;
        return exit_failed;
    }

    if (state.rejected > 0) {
        std::cerr << fmt::format(fmt::runtime(_("{count} messages were rejected")), fmt::arg("count", state.rejected))
                  << std::endl;
    }
    return exit_ok;
}

} // namespace citygate::cli
