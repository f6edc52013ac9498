#pragma once
// citygated: owns the io_context's state. Every subsystem (outbox, uplink,
// forwarder, bus pollers, control socket) is used from the one thread that
// runs the io_context; library threads post onto it.

#include "drivers/registry.hpp"
#include "gateway/config/config.hpp"
#include "gateway/crypto/key_file.hpp"
#include "gateway/daemon/pipeline.hpp"
#include "gateway/daemon/sealer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace citygate::store {
class outbox;
}
namespace citygate::uplink {
class mqtt_uplink;
class forwarder;
}
namespace citygate::bus {
class device_manager;
class dtu_listener;
}
namespace citygate::control {
class server;
}

namespace citygate::daemon {

class probe_command;

// A startup failure with the message for the operator; main() logs it and
// exits 1.
class startup_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

std::string version();

class app {
public:
    // Opens the key file, the outbox and the control socket and creates the
    // uplink and the bus pollers. Nothing runs before start(). Throws
    // startup_error.
    app(boost::asio::io_context& io, std::filesystem::path config_path, config::config cfg);
    ~app();

    app(const app&) = delete;
    app& operator=(const app&) = delete;

    // Starts polling, the uplink, the timers and the signal handlers, then
    // tells systemd the daemon is ready.
    void start();

    // Orderly stop: polling ends, buffered readings are committed and sealed,
    // in-flight batches get a short time to be acknowledged, the offline
    // status is published and the io_context is stopped.
    void stop();

    // Re-reads the config file and the key file. An invalid config or key
    // file is logged and the running one is kept.
    void reload();

    // 0 after an orderly stop, 1 when readings could not be committed.
    int exit_code() const { return exit_code_; }

private:
    void open_store();
    void create_uplink();
    void create_devices();
    void create_control_socket();

    void wait_for_signal();
    void schedule_health();
    void schedule_watchdog();
    void publish_health();
    void drain_then_disconnect(std::chrono::steady_clock::time_point deadline);
    void finish_stop();

    bool reload_keys();
    void handle_control(const nlohmann::json& request, std::function<void(nlohmann::json)> reply);
    nlohmann::json status_result() const;
    nlohmann::json dtu_result() const;
    nlohmann::json devices_result() const;
    nlohmann::json queue_result();
    void read_device(const std::string& device_id, bool raw, std::function<void(nlohmann::json)> reply);
    void write_device(const nlohmann::json& request, std::function<void(nlohmann::json)> reply);

    boost::asio::io_context& io_;
    std::filesystem::path config_path_;
    config::config config_;
    std::int64_t started_at_ms_ = 0;
    std::chrono::steady_clock::time_point started_steady_;

    crypto::key_set keys_;
    drivers::registry drivers_;
    seal_counters seal_counters_;
    std::unique_ptr<store::outbox> outbox_;
    std::unique_ptr<pipeline> pipeline_;
    std::unique_ptr<uplink::mqtt_uplink> uplink_;
    std::unique_ptr<uplink::forwarder> forwarder_;
    std::unique_ptr<bus::dtu_listener> dtus_; // before devices_, whose dtu transports use it
    std::unique_ptr<bus::device_manager> devices_;
    std::unique_ptr<probe_command> probe_;
    std::unique_ptr<control::server> control_;

    boost::asio::signal_set signals_;
    boost::asio::steady_timer health_timer_;
    boost::asio::steady_timer watchdog_timer_;
    boost::asio::steady_timer drain_timer_;
    std::uint64_t last_health_acked_ = 0;
    std::chrono::steady_clock::time_point last_health_at_;
    bool stopping_ = false;
    int exit_code_ = 0;
};

} // namespace citygate::daemon
