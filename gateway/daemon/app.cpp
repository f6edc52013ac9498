#include "gateway/daemon/app.hpp"

#include "gateway/bus/device_manager.hpp"
#include "gateway/bus/dtu_listener.hpp"
#include "gateway/bus/wall_clock.hpp"
#include "gateway/control/server.hpp"
#include "gateway/daemon/probe_command.hpp"
#include "gateway/daemon/systemd_notify.hpp"
#include "gateway/store/outbox.hpp"
#include "gateway/uplink/forwarder.hpp"
#include "gateway/uplink/mqtt_uplink.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <system_error>

#ifndef CITYGATE_VERSION
#define CITYGATE_VERSION "0.0.0-dev"
#endif

namespace citygate::daemon {

namespace {

// In-flight batches get this long to be acknowledged on an orderly stop;
// whatever is still unacknowledged is sent again, same bytes, after restart.
constexpr std::chrono::seconds drain_timeout{3};

std::int64_t now_ms() { return bus::wall_clock_now_ms(); }

crypto::content_type content_type_of(const config::uplink_config& uplink)
{
    return uplink.content_type == config::pack_encoding::senml_json ? crypto::content_type::senml_json
                                                                   : crypto::content_type::senml_cbor;
}

} // namespace

std::string version() { return CITYGATE_VERSION; }

app::app(boost::asio::io_context& io, std::filesystem::path config_path, config::config cfg)
    : io_(io), config_path_(std::move(config_path)), config_(std::move(cfg)), signals_(io, SIGTERM, SIGINT, SIGHUP),
      health_timer_(io), watchdog_timer_(io), drain_timer_(io)
{
    started_at_ms_ = now_ms();
    started_steady_ = std::chrono::steady_clock::now();
    drivers::register_builtin_drivers(drivers_);

    if (!reload_keys())
        throw startup_error("key file " + config_.gateway.key_file.string() + " is invalid, see the error above");
    open_store();
    create_uplink();
    create_devices();
    create_control_socket();
}

app::~app() = default;

void app::open_store()
{
    const auto& dir = config_.gateway.data_dir;
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error)
        throw startup_error("cannot create the data directory " + dir.string() + ": " + error.message());

    store::limits limits;
    limits.max_bytes = config_.store.max_bytes;
    limits.max_age = config_.store.max_age;
    limits.batch_max_readings = config_.store.batch_max_readings;

    const auto path = dir / "outbox.db";
    outbox_ = store::outbox::open(path, limits, error);
    if (!outbox_)
        throw startup_error("cannot open the outbox " + path.string() + ": " + error.message());

    pipeline_options options;
    options.flush_interval = config_.store.flush_interval;
    options.flush_threshold = config_.store.batch_max_readings;
    options.clock_trusted = [] { return bus::wall_clock_trusted(); };
    pipeline_ = std::make_unique<pipeline>(io_, *outbox_,
                                           make_sealer(config_.gateway.id, keys_, now_ms, seal_counters_,
                                                       config_.store.batch_max_bytes, content_type_of(config_.uplink)),
                                           config_.gateway.id, now_ms, options);

    const auto stats = outbox_->read_stats();
    spdlog::info("gateway {}: outbox {} open, {} telemetry and {} event batches waiting, next sequence {}, new "
                 "batches sealed as {}",
                 config_.gateway.id, path.string(), stats.telemetry.sealed_rows, stats.event.sealed_rows,
                 stats.next_sequence,
                 config_.uplink.content_type == config::pack_encoding::senml_json ? "senml-json" : "senml-cbor");
}

void app::create_uplink()
{
    try {
        uplink_ = std::make_unique<uplink::mqtt_uplink>(io_, config_.uplink, config_.gateway.id, version(),
                                                        uplink::uplink_callbacks{});
    } catch (const std::system_error& e) {
        throw startup_error(std::string("invalid uplink settings: ") + e.what());
    }

    // A failed publish on a live link is retried after this pause rather
    // than at once, so a broker that rejects a batch is not hammered.
    forwarder_ = std::make_unique<uplink::forwarder>(io_, *outbox_, *uplink_, config_.uplink.max_in_flight,
                                                     config_.uplink.reconnect_min);

    uplink::uplink_callbacks callbacks;
    callbacks.on_connected = [this] { forwarder_->on_connected(); };
    callbacks.on_disconnected = [this](const std::string&) { forwarder_->on_disconnected(); };
    callbacks.on_acked = [this](std::int64_t id) { forwarder_->on_acked(id); };
    callbacks.on_publish_failed = [this](std::int64_t id, std::string reason) {
        forwarder_->on_publish_failed(id, reason);
    };
    uplink_->set_callbacks(std::move(callbacks));
    pipeline_->on_sealed([this] { forwarder_->kick(); });
}

void app::create_devices()
{
    dtus_ = std::make_unique<bus::dtu_listener>(io_, config_.dtu);
    devices_ = std::make_unique<bus::device_manager>(io_, drivers_, bus::standard_transport_factory(dtus_.get()));
    probe_ = std::make_unique<probe_command>(*devices_);
    devices_->on_reading([this](reading r) { pipeline_->add(std::move(r)); });
    devices_->on_event([this](reading r) {
        spdlog::debug("device {}: event reading queued for the event lane", r.device_id);
        pipeline_->add(std::move(r));
    });
}

void app::create_control_socket()
{
    try {
        control_ = std::make_unique<control::server>(
            io_, config_.gateway.control_socket,
            [this](const nlohmann::json& request, control::reply_fn reply) { handle_control(request, std::move(reply)); });
    } catch (const std::system_error& e) {
        throw startup_error("cannot open the control socket " + config_.gateway.control_socket.string() + ": " +
                            e.what());
    }
}

void app::start()
{
    // DTUs that dial in before their bus exists are rejected, so the
    // listener starts after the buses.
    const auto summary = devices_->apply(config_);
    if (!config_.dtu.listen.empty() && dtus_->start() == 0)
        spdlog::error("gateway {}: the DTU listener could not bind any address; DTU buses stay closed",
                      config_.gateway.id);
    spdlog::info("gateway {}: {}", config_.gateway.id, summary.to_string());
    for (const auto& error : summary.errors)
        spdlog::error("gateway {}: {}", config_.gateway.id, error);

    pipeline_->start();
    uplink_->start();
    forwarder_->kick();

    wait_for_signal();
    schedule_health();
    schedule_watchdog();

    if (!bus::wall_clock_trusted())
        spdlog::warn("gateway {}: the wall clock is before this build's date; readings are marked clock_trusted=false "
                     "until it is synchronised",
                     config_.gateway.id);
    spdlog::info("gateway {}: citygated {} started with {} devices", config_.gateway.id, version(),
                 config_.devices.size());

    // The device manager keeps what it needs. The parsed bus and device
    // sections are not used again, because a reload reads the file anew.
    // Assigning {} would call vector's initializer_list overload, which
    // keeps the capacity: 264 bytes per device and 248 per bus (x86_64).
    config_.devices = std::vector<config::device_config>();
    config_.buses = std::vector<config::bus_config>();
    notify_ready();
    notify_status("running");
}

void app::wait_for_signal()
{
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
        if (ec)
            return;
        if (signal == SIGHUP) {
            reload();
            wait_for_signal();
            return;
        }
        spdlog::info("gateway {}: received {}, stopping", config_.gateway.id, signal == SIGTERM ? "SIGTERM" : "SIGINT");
        stop();
    });
}

void app::stop()
{
    if (stopping_)
        return;
    stopping_ = true;
    notify_stopping();

    dtus_->stop();
    devices_->stop();
    if (!pipeline_->stop()) {
        spdlog::error("gateway {}: {} buffered readings could not be committed before exit", config_.gateway.id,
                      pipeline_->buffered());
        exit_code_ = 1;
    }
    forwarder_->kick();
    health_timer_.cancel();
    watchdog_timer_.cancel();
    drain_then_disconnect(std::chrono::steady_clock::now() + drain_timeout);
}

void app::drain_then_disconnect(std::chrono::steady_clock::time_point deadline)
{
    const bool drained = forwarder_->in_flight() == 0 || !uplink_->connected();
    if (!drained && std::chrono::steady_clock::now() < deadline) {
        drain_timer_.expires_after(std::chrono::milliseconds(50));
        drain_timer_.async_wait([this, deadline](const boost::system::error_code&) { drain_then_disconnect(deadline); });
        return;
    }
    if (!drained)
        spdlog::warn("gateway {}: {} batches still unacknowledged at exit; they are sent again after restart",
                     config_.gateway.id, forwarder_->in_flight());
    uplink_->stop([this] { finish_stop(); });
}

void app::finish_stop()
{
    signals_.cancel();
    control_->stop();
    spdlog::info("gateway {}: stopped", config_.gateway.id);
    io_.stop();
}

void app::schedule_health()
{
    last_health_at_ = std::chrono::steady_clock::now();
    health_timer_.expires_after(config_.uplink.health_interval);
    health_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_)
            return;
        publish_health();
        schedule_health();
    });
}

void app::schedule_watchdog()
{
    const auto interval = watchdog_interval();
    if (!interval)
        return;
    notify_watchdog();
    watchdog_timer_.expires_after(*interval);
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec && !stopping_)
            schedule_watchdog();
    });
}

} // namespace citygate::daemon
