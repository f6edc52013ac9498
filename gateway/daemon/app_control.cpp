// Commands of the control socket (gateway/control/protocol.hpp has the
// request and result shapes). The server has already validated the request.

#include "gateway/daemon/app.hpp"

#include "gateway/bus/device_manager.hpp"
#include "gateway/bus/dtu_listener.hpp"
#include "gateway/bus/wall_clock.hpp"
#include "gateway/control/protocol.hpp"
#include "gateway/control/socket_file.hpp"
#include "gateway/daemon/probe_command.hpp"
#include "gateway/store/outbox.hpp"
#include "gateway/uplink/forwarder.hpp"
#include "gateway/uplink/mqtt_uplink.hpp"
#include "protocols/common/hex.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace citygate::daemon {

namespace {

nlohmann::json to_json(const metric_data& value)
{
    return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

nlohmann::json lane_json(const store::lane_depth& depth)
{
    return {{"pending_rows", depth.pending_rows}, {"sealed_rows", depth.sealed_rows}, {"bytes", depth.bytes}};
}

nlohmann::json ms_or_null(std::int64_t ms) { return ms == 0 ? nlohmann::json(nullptr) : nlohmann::json(ms); }

nlohmann::json exchanges_json(const std::vector<bus::exchange_record>& records)
{
    auto list = nlohmann::json::array();
    for (const auto& record : records)
        list.push_back({{"request_hex", proto::to_hex(record.request)},
                        {"response_hex", proto::to_hex(record.response)},
                        {"attempts", record.attempts},
                        {"error", record.error}});
    return list;
}

nlohmann::json bus_json(const bus::bus_status& bus)
{
    return {{"id", bus.id},
            {"endpoint", bus.endpoint},
            {"open", bus.open},
            {"exchanges", bus.exchanges},
            {"timeouts", bus.timeouts},
            {"rejected_frames", bus.rejected_frames},
            {"late_answers", bus.late_answers},
            {"port_errors", bus.port_errors},
            {"dropped_bytes", bus.dropped_bytes}};
}

// The result of a read or write: the values, and the frames when asked.
nlohmann::json device_result(const std::string& device_id, const bus::poll_result& result, bool raw)
{
    auto values = nlohmann::json::array();
    for (const auto& value : result.answer.values)
        values.push_back({{"metric", value.metric}, {"unit", value.unit}, {"value", to_json(value.value)}});
    return {
        {"device", device_id},
        {"ts_ms", bus::wall_clock_now_ms()},
        {"values", std::move(values)},
        {"exchanges", raw ? exchanges_json(result.exchanges) : nlohmann::json::array()},
    };
}

std::string failure_message(std::error_code error, const bus::poll_result& result)
{
    auto message = error.message();
    if (!result.error_detail.empty())
        message += ": " + result.error_detail;
    return message;
}

} // namespace

void app::handle_control(const nlohmann::json& request, std::function<void(nlohmann::json)> reply)
{
    if (stopping_) {
        reply(control::make_error(control::errc::shutting_down, "citygated is stopping"));
        return;
    }

    const auto command = request.at("cmd").get<std::string>();
    if (command == "status")
        reply(control::make_result(status_result()));
    else if (command == "devices")
        reply(control::make_result(devices_result()));
    else if (command == "queue")
        reply(control::make_result(queue_result()));
    else if (command == "read")
        read_device(request.at("device").get<std::string>(), request.value("raw", false), std::move(reply));
    else if (command == "write")
        write_device(request, std::move(reply));
    else if (command == "probe")
        probe_->run(request, std::move(reply));
    else
        reply(control::make_error(control::errc::unknown_command, "unknown command " + command));
}

nlohmann::json app::status_result() const
{
    const auto states = devices_->device_states();
    std::size_t online = 0;
    for (const auto& device : states)
        online += device.state == bus::device_state::online ? 1 : 0;

    auto buses = nlohmann::json::array();
    for (const auto& bus : devices_->bus_states())
        buses.push_back(bus_json(bus));

    const auto uplink_stats = uplink_->stats();
    const auto uptime = std::chrono::steady_clock::now() - started_steady_;
    nlohmann::json result = {
        {"gateway_id", config_.gateway.id},
        {"location", config_.gateway.location},
        {"version", version()},
        {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
        {"started_at_ms", started_at_ms_},
        {"clock_trusted", bus::wall_clock_trusted()},
        {"uplink",
         {{"connected", uplink_->connected()},
          {"broker", uplink_stats.broker_uri},
          {"reconnects", uplink_stats.reconnects}}},
        {"devices_total", states.size()},
        {"devices_online", online},
        {"buses", std::move(buses)},
    };
    if (!config_.dtu.listen.empty())
        result["dtu"] = dtu_result();
    return result;
}

nlohmann::json app::dtu_result() const
{
    const auto c = dtus_->counters();
    return {
        {"listening", c.listening},
        {"accepted", c.accepted},
        {"registered", c.registered},
        {"replaced", c.replaced},
        {"rejected", c.rejected},
        {"timed_out", c.timed_out},
        {"over_limit", c.over_limit},
        {"pending", c.pending},
        {"attached", c.attached},
    };
}

nlohmann::json app::devices_result() const
{
    auto list = nlohmann::json::array();
    for (const auto& device : devices_->device_states()) {
        list.push_back({
            {"id", device.id},
            {"driver", device.driver},
            {"bus", device.bus},
            {"address", device.address},
            {"state", std::string(bus::to_string(device.state))},
            {"last_reading_ms", ms_or_null(device.last_reading_ms)},
            {"consecutive_failures", device.consecutive_failures},
            {"last_error", device.last_error},
            {"polls", device.polls},
            {"failures", device.failures},
            {"rejected_frames", device.rejected_frames},
        });
    }
    return {{"devices", std::move(list)}};
}

nlohmann::json app::queue_result()
{
    const auto stats = outbox_->read_stats();
    return {
        {"telemetry", lane_json(stats.telemetry)},
        {"event", lane_json(stats.event)},
        {"oldest_unsent_ms", ms_or_null(stats.oldest_unsent_ms)},
        {"accepted", stats.accepted},
        {"sent", stats.sent},
        {"evicted", stats.evicted},
        {"next_sequence", stats.next_sequence},
        {"in_flight", forwarder_->in_flight()},
    };
}

void app::read_device(const std::string& device_id, bool raw, std::function<void(nlohmann::json)> reply)
{
    // The id comes from the socket. An unknown id is never logged, and the
    // error message escapes it, so a request cannot forge log lines.
    if (!devices_->has_device(device_id)) {
        reply(control::make_error(control::errc::device_not_found,
                                  "no device with id " + control::detail::log_excerpt(device_id)));
        return;
    }
    spdlog::info("device {}: on-demand read requested over the control socket", device_id);
    devices_->poll_now(device_id, [device_id, raw, reply = std::move(reply)](std::error_code error,
                                                                             bus::poll_result result) {
        if (error == bus::bus_error::device_unknown) {
            reply(control::make_error(control::errc::device_not_found, "no device with id " + device_id));
            return;
        }
        if (error == bus::bus_error::stopped) {
            reply(control::make_error(control::errc::shutting_down, "citygated is stopping"));
            return;
        }
        if (error) {
            reply(control::make_error(control::errc::read_failed, failure_message(error, result)));
            return;
        }
        reply(control::make_result(device_result(device_id, result, raw)));
    });
}

void app::write_device(const nlohmann::json& request, std::function<void(nlohmann::json)> reply)
{
    const auto device_id = request.at("device").get<std::string>();
    const auto name = request.at("name").get<std::string>();
    const auto value = request.at("value").get<std::string>();
    const bool raw = request.value("raw", false);
    if (!devices_->has_device(device_id)) {
        reply(control::make_error(control::errc::device_not_found,
                                  "no device with id " + control::detail::log_excerpt(device_id)));
        return;
    }

    // The server checked that name and value are short strings; they are
    // escaped here because they come from the socket.
    const auto what = control::detail::log_excerpt(name) + "=" + control::detail::log_excerpt(value);
    devices_->command_now(device_id, name, value, [device_id, what, raw, reply = std::move(reply)](
                                                      std::error_code error, bus::poll_result result) {
        if (error == bus::bus_error::command_rejected) {
            spdlog::warn("device {}: command {} rejected: {}", device_id, what, result.error_detail);
            reply(control::make_error(control::errc::command_rejected, result.error_detail));
            return;
        }
        if (error) {
            spdlog::warn("device {}: command {} failed: {}", device_id, what, failure_message(error, result));
            reply(control::make_error(control::errc::write_failed, failure_message(error, result)));
            return;
        }
        spdlog::info("device {}: command {} confirmed by the device", device_id, what);
        reply(control::make_result(device_result(device_id, result, raw)));
    });
}

} // namespace citygate::daemon
