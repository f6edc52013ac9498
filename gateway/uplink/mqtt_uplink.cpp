#include "gateway/uplink/mqtt_uplink.hpp"

#include "gateway/uplink/backoff.hpp"
#include "gateway/uplink/client_options.hpp"
#include "gateway/uplink/health.hpp"
#include "gateway/uplink/topics.hpp"
#include "gateway/uplink/uplink_error.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace citygate::uplink {
namespace {

// Bounds the orderly shutdown: the offline status, then the DISCONNECT.
constexpr std::chrono::seconds shutdown_status_timeout{2};
constexpr std::chrono::seconds disconnect_timeout{2};

enum class publish_kind { envelope, status_online, status_shutdown, health };

struct pending_publish {
    publish_kind kind = publish_kind::envelope;
    std::int64_t batch_id = 0;
};

std::int64_t now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Tags travel through Paho as the token's user context, so no per-publish
// object has to outlive a callback that may never come.
void* tag_to_context(std::uintptr_t tag)
{
    return reinterpret_cast<void*>(tag);
}

std::uintptr_t context_to_tag(void* context)
{
    return reinterpret_cast<std::uintptr_t>(context);
}

std::string failure_text(const mqtt::token& token)
{
    std::string text = mqtt::exception::error_str(token.get_return_code());
    if (token.get_reason_code() != mqtt::ReasonCode::SUCCESS)
        text += " (" + mqtt::exception::reason_code_str(token.get_reason_code()) + ")";
    return text;
}

std::string broker_list(const std::vector<std::string>& brokers)
{
    std::string out;
    for (const auto& uri : brokers) {
        if (!out.empty())
            out += ", ";
        out += uri;
    }
    return out;
}

// Hands Paho callbacks to the io_context; after close() they are dropped.
class callback_gate {
public:
    explicit callback_gate(boost::asio::io_context& io) : io_(&io) {}

    template <typename Handler>
    void post(Handler&& handler)
    {
        std::lock_guard lock(mutex_);
        if (io_ != nullptr)
            boost::asio::post(*io_, std::forward<Handler>(handler));
    }

    void close()
    {
        std::lock_guard lock(mutex_);
        io_ = nullptr;
    }

private:
    std::mutex mutex_;
    boost::asio::io_context* io_;
};

enum class action { connect, publish, disconnect };

} // namespace

struct mqtt_uplink::impl : std::enable_shared_from_this<mqtt_uplink::impl> {
    // Runs on a Paho thread; only copies what it needs and posts.
    class listener final : public mqtt::iaction_listener {
    public:
        listener(std::shared_ptr<callback_gate> gate, action kind) : gate_(std::move(gate)), kind_(kind) {}

        void bind(std::weak_ptr<impl> owner) { owner_ = std::move(owner); }

        void on_success(const mqtt::token& token) override
        {
            const std::uintptr_t tag = context_to_tag(token.get_user_context());
            std::string uri;
            int version = 0;
            if (kind_ == action::connect) {
                const auto response = token.get_connect_response();
                uri = response.get_server_uri();
                version = response.get_mqtt_version();
            }
            gate_->post([owner = owner_, kind = kind_, tag, uri = std::move(uri), version] {
                if (auto self = owner.lock())
                    self->handle_success(kind, tag, uri, version);
            });
        }

        void on_failure(const mqtt::token& token) override
        {
            const std::uintptr_t tag = context_to_tag(token.get_user_context());
            gate_->post([owner = owner_, kind = kind_, tag, reason = failure_text(token)] {
                if (auto self = owner.lock())
                    self->handle_failure(kind, tag, reason);
            });
        }

    private:
        std::shared_ptr<callback_gate> gate_;
        std::weak_ptr<impl> owner_;
        action kind_;
    };

    impl(boost::asio::io_context& io, const config::uplink_config& config, std::string gateway_id,
         std::string version, uplink_callbacks callbacks);
    ~impl();

    void install_paho_handlers();
    void connect();
    void schedule_reconnect();
    void handle_success(action kind, std::uintptr_t tag, const std::string& uri, int version);
    void handle_failure(action kind, std::uintptr_t tag, const std::string& reason);
    void log_connect_failure(const std::string& reason);
    void handle_connected(const std::string& uri, int version);
    void handle_link_lost(const std::string& reason);
    void handle_publish_done(std::uintptr_t tag, const std::string* failure);
    std::error_code publish(const std::string& topic, const void* data, std::size_t size, int qos, bool retained,
                            pending_publish pending);
    void begin_stop(std::function<void()> done);
    void disconnect_for_stop();
    void finish_stop();

    boost::asio::io_context& io;
    config::uplink_config config;
    std::string gateway_id;
    std::string version;
    std::int64_t started_at_ms = now_ms();
    uplink_callbacks callbacks;
    topic_set topics;
    client_options options;

    std::shared_ptr<callback_gate> gate;
    std::shared_ptr<listener> connect_listener;
    std::shared_ptr<listener> publish_listener;
    std::shared_ptr<listener> disconnect_listener;
    // Declared after the listeners and the gate: Paho refers to them until
    // the client is destroyed.
    std::unique_ptr<mqtt::async_client> client;

    boost::asio::steady_timer reconnect_timer{io};
    boost::asio::steady_timer stop_timer{io};
    reconnect_backoff backoff{config.reconnect_min, config.reconnect_max};
    std::uint64_t failures_in_row = 0;

    bool started = false;
    bool connected = false;
    bool connecting = false;
    bool stopping = false;
    std::uintptr_t connect_generation = 0;
    std::uintptr_t next_tag = 1;
    std::unordered_map<std::uintptr_t, pending_publish> pending;
    std::function<void()> stop_done;
    uplink_stats counters;
};

mqtt_uplink::impl::impl(boost::asio::io_context& io_context, const config::uplink_config& uplink_config,
                        std::string id, std::string gateway_version, uplink_callbacks uplink_callbacks_)
    : io(io_context), config(uplink_config), gateway_id(std::move(id)), version(std::move(gateway_version)),
      callbacks(std::move(uplink_callbacks_))
{
    if (!valid_gateway_id(gateway_id))
        throw std::system_error(make_error_code(uplink_error::invalid_gateway_id), "gateway id \"" + gateway_id + "\"");

    topics = make_topics(gateway_id, config.topic_prefix);
    options = make_client_options(config, gateway_id, topics);

    if (options.tls_unverified)
        spdlog::warn("uplink {}: TLS server certificate verification is disabled (uplink.tls.verify = false)",
                     options.client_id);

    gate = std::make_shared<callback_gate>(io);
    connect_listener = std::make_shared<listener>(gate, action::connect);
    publish_listener = std::make_shared<listener>(gate, action::publish);
    disconnect_listener = std::make_shared<listener>(gate, action::disconnect);

    // A null persistence pointer selects MQTTCLIENT_PERSISTENCE_NONE.
    try {
        client = std::make_unique<mqtt::async_client>(config.brokers.front(), options.client_id, options.create,
                                                      nullptr);
    } catch (const mqtt::exception& e) {
        throw std::system_error(make_error_code(uplink_error::invalid_broker_uri),
                                "broker \"" + config.brokers.front() + "\": " + e.what());
    }
}

mqtt_uplink::impl::~impl()
{
    gate->close();
    reconnect_timer.cancel();
    stop_timer.cancel();
    if (!client)
        return;
    client->disable_callbacks();

    // Destroying a connected Paho client sends a DISCONNECT, after which the
    // broker drops the Last Will. Paho C++ 1.2 leaves struct_version 0 in its
    // disconnect options, so the MQTT 5 reason "disconnect with Will" never
    // reaches the broker (seen with Paho C 1.3.12 and mosquitto 2.0.11).
    // Publishing the Will's payload here keeps the status from staying
    // "online".
    if (connected) {
        try {
            const std::string will = status_offline_json("connection-lost");
            client->publish(topics.status, will.data(), will.size(), 1, true)->wait_for(std::chrono::seconds(1));
        } catch (const mqtt::exception& e) {
            spdlog::warn("uplink {}: offline status before teardown not sent to {}: {}", options.client_id,
                         counters.broker_uri, e.what());
        }
    }
}

void mqtt_uplink::impl::install_paho_handlers()
{
    std::weak_ptr<impl> owner = weak_from_this();
    connect_listener->bind(owner);
    publish_listener->bind(owner);
    disconnect_listener->bind(owner);

    client->set_connection_lost_handler([gate = gate, owner](const std::string& cause) {
        gate->post([owner, cause] {
            if (auto self = owner.lock())
                self->handle_link_lost(cause.empty() ? "connection lost" : cause);
        });
    });

    // MQTT 5 brokers may close the link with a DISCONNECT packet and a reason.
    client->set_disconnected_handler([gate = gate, owner](const mqtt::properties&, mqtt::ReasonCode code) {
        gate->post([owner, reason = "broker sent DISCONNECT: " + mqtt::exception::reason_code_str(code)] {
            if (auto self = owner.lock())
                self->handle_link_lost(reason);
        });
    });
}

void mqtt_uplink::impl::connect()
{
    if (stopping || connected || connecting)
        return;

    connecting = true;
    ++connect_generation;
    try {
        client->connect(options.connect, tag_to_context(connect_generation), *connect_listener);
    } catch (const mqtt::exception& e) {
        connecting = false;
        ++counters.connect_failures;
        spdlog::warn("uplink {}: connect could not start: {}", options.client_id, e.what());
        schedule_reconnect();
    }
}

void mqtt_uplink::impl::schedule_reconnect()
{
    if (stopping)
        return;

    const auto delay = backoff.next();
    spdlog::debug("uplink {}: next connection attempt in {} ms", options.client_id, delay.count());
    reconnect_timer.expires_after(delay);
    reconnect_timer.async_wait([owner = weak_from_this()](const boost::system::error_code& ec) {
        if (ec)
            return;
        if (auto self = owner.lock())
            self->connect();
    });
}

void mqtt_uplink::impl::handle_success(action kind, std::uintptr_t tag, const std::string& uri, int mqtt_version)
{
    switch (kind) {
    case action::connect:
        if (tag == connect_generation && connecting)
            handle_connected(uri, mqtt_version);
        break;
    case action::publish:
        handle_publish_done(tag, nullptr);
        break;
    case action::disconnect:
        if (stopping)
            finish_stop();
        break;
    }
}

void mqtt_uplink::impl::handle_failure(action kind, std::uintptr_t tag, const std::string& reason)
{
    switch (kind) {
    case action::connect:
        if (tag != connect_generation || !connecting)
            return;
        connecting = false;
        ++counters.connect_failures;
        log_connect_failure(reason);
        schedule_reconnect();
        break;
    case action::publish:
        handle_publish_done(tag, &reason);
        break;
    case action::disconnect:
        if (stopping)
            finish_stop();
        break;
    }
}

// Logs the 1st, 2nd, 4th, 8th, ... failure in a row at WARN and the others
// at DEBUG, so a broker that stays down does not flood the log.
void mqtt_uplink::impl::log_connect_failure(const std::string& reason)
{
    ++failures_in_row;
    const bool power_of_two = (failures_in_row & (failures_in_row - 1)) == 0;
    const auto level = power_of_two ? spdlog::level::warn : spdlog::level::debug;
    spdlog::log(level, "uplink {}: connection to {} failed ({} in a row): {}", options.client_id,
                broker_list(config.brokers), failures_in_row, reason);
}

void mqtt_uplink::impl::handle_connected(const std::string& uri, int mqtt_version)
{
    connecting = false;
    if (stopping) {
        // A connect that completes during stop() is closed again at once.
        disconnect_for_stop();
        return;
    }

    connected = true;
    backoff.reset();
    failures_in_row = 0;
    if (counters.connects > 0)
        ++counters.reconnects;
    ++counters.connects;
    counters.broker_uri = uri.empty() ? config.brokers.front() : uri;
    counters.mqtt_version = mqtt_version;
    spdlog::info("uplink {}: link up to {} (MQTT {})", options.client_id, counters.broker_uri,
                 mqtt_version == 5 ? "5" : "3.1.1");

    const std::string status = status_online_json(version, started_at_ms);
    publish(topics.status, status.data(), status.size(), 1, true, {publish_kind::status_online, 0});

    if (callbacks.on_connected)
        callbacks.on_connected();
}

void mqtt_uplink::impl::handle_link_lost(const std::string& reason)
{
    if (!connected)
        return;

    connected = false;
    // Acknowledgements still owed on the old link are void: the batches are
    // sent again, and a late callback finds no tag.
    pending.clear();
    spdlog::info("uplink {}: link down to {}: {}", options.client_id, counters.broker_uri, reason);

    if (callbacks.on_disconnected)
        callbacks.on_disconnected(reason);

    if (stopping)
        finish_stop();
    else
        schedule_reconnect();
}

void mqtt_uplink::impl::handle_publish_done(std::uintptr_t tag, const std::string* failure)
{
    const auto found = pending.find(tag);
    if (found == pending.end())
        return;
    const pending_publish done = found->second;
    pending.erase(found);

    if (done.kind == publish_kind::status_shutdown) {
        disconnect_for_stop();
        return;
    }
    if (done.kind != publish_kind::envelope) {
        if (failure != nullptr)
            spdlog::warn("uplink {}: status or health publish to {} failed: {}", options.client_id,
                         counters.broker_uri, *failure);
        return;
    }

    if (failure == nullptr) {
        ++counters.acked;
        if (callbacks.on_acked)
            callbacks.on_acked(done.batch_id);
        return;
    }

    ++counters.failed;
    spdlog::warn("uplink {}: publish of batch {} to {} failed: {}", options.client_id, done.batch_id,
                 counters.broker_uri, *failure);
    if (callbacks.on_publish_failed)
        callbacks.on_publish_failed(done.batch_id, *failure);
}

std::error_code mqtt_uplink::impl::publish(const std::string& topic, const void* data, std::size_t size, int qos,
                                           bool retained, pending_publish what)
{
    if (!connected)
        return uplink_error::not_connected;

    const std::uintptr_t tag = next_tag++;
    auto message = mqtt::make_message(topic, data, size, qos, retained);
    try {
        client->publish(message, tag_to_context(tag), *publish_listener);
    } catch (const mqtt::exception& e) {
        spdlog::warn("uplink {}: publish to {} on {} rejected by the client: {}", options.client_id, topic,
                     counters.broker_uri, e.what());
        return uplink_error::publish_rejected;
    }

    pending.emplace(tag, what);
    return {};
}

void mqtt_uplink::impl::begin_stop(std::function<void()> done)
{
    stop_done = std::move(done);
    if (stopping)
        return;
    stopping = true;
    reconnect_timer.cancel();

    if (!connected) {
        // A connect still in flight is closed when it completes.
        finish_stop();
        return;
    }

    const std::string status = status_offline_json("shutdown");
    if (publish(topics.status, status.data(), status.size(), 1, true, {publish_kind::status_shutdown, 0})) {
        disconnect_for_stop();
        return;
    }

    stop_timer.expires_after(shutdown_status_timeout);
    stop_timer.async_wait([owner = weak_from_this()](const boost::system::error_code& ec) {
        if (ec)
            return;
        if (auto self = owner.lock()) {
            spdlog::warn("uplink {}: no PUBACK for the shutdown status within {} s, disconnecting anyway",
                         self->options.client_id, shutdown_status_timeout.count());
            self->disconnect_for_stop();
        }
    });
}

void mqtt_uplink::impl::disconnect_for_stop()
{
    stop_timer.cancel();
    try {
        const auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(disconnect_timeout);
        client->disconnect(static_cast<int>(timeout_ms.count()), nullptr, *disconnect_listener);
    } catch (const mqtt::exception& e) {
        spdlog::debug("uplink {}: disconnect: {}", options.client_id, e.what());
        finish_stop();
        return;
    }

    // Paho calls the listener after its own timeout; this bounds a broker
    // that never answers as well.
    stop_timer.expires_after(disconnect_timeout + std::chrono::seconds(1));
    stop_timer.async_wait([owner = weak_from_this()](const boost::system::error_code& ec) {
        if (ec)
            return;
        if (auto self = owner.lock())
            self->finish_stop();
    });
}

void mqtt_uplink::impl::finish_stop()
{
    stop_timer.cancel();
    if (connected) {
        connected = false;
        pending.clear();
        spdlog::info("uplink {}: link down to {}: shutdown", options.client_id, counters.broker_uri);
        if (callbacks.on_disconnected)
            callbacks.on_disconnected("shutdown");
    }

    if (auto done = std::exchange(stop_done, nullptr))
        boost::asio::post(io, std::move(done));
}

mqtt_uplink::mqtt_uplink(boost::asio::io_context& io, const config::uplink_config& config, std::string gateway_id,
                         std::string version, uplink_callbacks callbacks)
    : impl_(std::make_shared<impl>(io, config, std::move(gateway_id), std::move(version), std::move(callbacks)))
{
    impl_->install_paho_handlers();
}

mqtt_uplink::~mqtt_uplink() = default;

void mqtt_uplink::set_callbacks(uplink_callbacks callbacks)
{
    impl_->callbacks = std::move(callbacks);
}

void mqtt_uplink::start()
{
    if (impl_->started)
        return;
    impl_->started = true;
    impl_->connect();
}

void mqtt_uplink::stop(std::function<void()> done)
{
    impl_->begin_stop(std::move(done));
}

bool mqtt_uplink::connected() const
{
    return impl_->connected;
}

std::error_code mqtt_uplink::publish_envelope(citygate::lane lane, std::int64_t batch_id,
                                              std::vector<std::uint8_t> bytes)
{
    const std::string& topic = lane == citygate::lane::event ? impl_->topics.event : impl_->topics.telemetry;
    auto ec = impl_->publish(topic, bytes.data(), bytes.size(), 1, false, {publish_kind::envelope, batch_id});
    if (!ec)
        ++impl_->counters.published;
    return ec;
}

std::error_code mqtt_uplink::publish_health(std::string json)
{
    return impl_->publish(impl_->topics.health, json.data(), json.size(), 0, false, {publish_kind::health, 0});
}

uplink_stats mqtt_uplink::stats() const
{
    return impl_->counters;
}

const std::string& mqtt_uplink::client_id() const
{
    return impl_->options.client_id;
}

const std::string& mqtt_uplink::topic_prefix() const
{
    return impl_->topics.prefix;
}

} // namespace citygate::uplink
