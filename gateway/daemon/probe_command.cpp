#include "gateway/daemon/probe_command.hpp"

#include "drivers/probe.hpp"
#include "gateway/bus/device_manager.hpp"
#include "gateway/control/protocol.hpp"
#include "protocols/common/hex.hpp"

#include <spdlog/spdlog.h>

#include <memory>

namespace citygate::daemon {

namespace {

using nlohmann::json;

drivers::probe_params params_of(const json& request)
{
    drivers::probe_params params;
    params.protocol = request.at("protocol").get<std::string>();
    if (request.at("address").is_string())
        params.address = request.at("address").get<std::string>();
    params.edition = request.value("edition", std::string());
    params.meter_type = request.value("meter_type", std::string());
    return params;
}

std::string format_value(const metric_value& value)
{
    std::string text = std::visit(
        [](const auto& v) -> std::string {
            using type = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<type, interned_string>)
                return v.str();
            else if constexpr (std::is_same_v<type, bool>)
                return v ? "true" : "false";
            else
                return json(v).dump();
        },
        value.value);
    return value.unit.empty() ? text : text + " " + value.unit.str();
}

// Splits a probe answer into the result's address, options, detail and values.
void add_answer(const drivers::poll_answer& answer, json& result)
{
    const std::string option_prefix(drivers::probe_option_prefix);
    for (const auto& value : answer.values) {
        const auto* text = std::get_if<interned_string>(&value.value);
        const std::string& metric = value.metric;
        if (metric == drivers::probe_address_metric && text != nullptr) {
            result["address"] = text->str();
        } else if (metric.starts_with(option_prefix) && text != nullptr) {
            result["options"][metric.substr(option_prefix.size())] = text->str();
        } else {
            auto& detail = result["detail"].get_ref<std::string&>();
            detail += (detail.empty() ? "" : ", ") + metric + " = " + format_value(value);
            const json typed_value = std::visit([](const auto& v) { return json(v); }, value.value);
            result["values"].push_back({{"metric", metric}, {"unit", value.unit.str()}, {"value", typed_value}});
        }
    }
}

// Detail of a probe that found nothing. The CLI adds the hint to scan with
// --range after a broadcast, in the user's language.
std::string not_found_detail(std::error_code error, const bus::poll_result& outcome)
{
    return outcome.error_detail.empty() ? error.message() : outcome.error_detail;
}

} // namespace

bool probe_command::carries_modbus_tcp(const std::string& bus_id) const
{
    // TODO: probe Modbus TCP devices with MBAP frames instead of refusing.
    for (const auto& device : devices_.device_states())
        if (device.bus == bus_id && device.driver == "modbus-tcp")
            return true;
    return false;
}

void probe_command::run(const json& request, std::function<void(json)> reply)
{
    const auto bus_id = request.at("bus").get<std::string>();
    if (devices_.find_bus(bus_id) == nullptr) {
        spdlog::debug("control: probe for bus {}, which is not configured", bus_id);
        reply(control::make_error(control::errc::bus_not_found, "no bus with id " + bus_id));
        return;
    }

    // The probe frames are Modbus RTU. On a bus with Modbus TCP devices they
    // would put the devices' MBAP streams out of step, so nothing is sent.
    const auto params = params_of(request);
    if (params.protocol == "modbus" && carries_modbus_tcp(bus_id)) {
        spdlog::warn("bus {}: Modbus scan rejected: the bus carries modbus-tcp devices and probes are Modbus RTU",
                     bus_id);
        reply(control::make_error(control::errc::probe_failed,
                                  "bus " + bus_id + " carries modbus-tcp devices; scanning Modbus TCP is not "
                                  "supported, so nothing was sent"));
        return;
    }

    // The server checked every field, so an error here is a disagreement
    // between the two checks, i.e. a bug.
    drivers::exchange exchange;
    if (auto ec = drivers::make_probe(params, exchange)) {
        spdlog::error("bus {}: probe accepted by the control check but rejected by the codec: {}", bus_id,
                      ec.message());
        reply(control::make_error(control::errc::internal_error, ec.message()));
        return;
    }

    json result{{"bus", bus_id},
                {"protocol", params.protocol},
                {"found", false},
                {"address", ""},
                {"detail", ""},
                {"values", json::array()},
                {"options", json::object()},
                {"request_hex", proto::to_hex(exchange.request)},
                {"response_hex", ""}};
    spdlog::debug("bus {}: probe {} {}: {}", bus_id, params.protocol, params.address.value_or("broadcast"),
                  result["request_hex"].get<std::string>());

    devices_.transact(bus_id, std::move(exchange),
                      [tally = scan_found_, request, result = std::move(result),
                       reply = std::move(reply)](std::error_code error, bus::poll_result outcome) mutable {
                          finish(*tally, request, std::move(result), error, outcome, reply);
                      });
}

void probe_command::finish(scan_tally& tally, const json& request, json result, std::error_code error,
                           const bus::poll_result& outcome, const std::function<void(json)>& reply)
{
    const auto bus_id = request.at("bus").get<std::string>();
    if (!outcome.exchanges.empty())
        result["response_hex"] = proto::to_hex(outcome.exchanges.back().response);

    // Silence and invalid frames are results of the probe; a closed port
    // or a full queue means it never ran.
    const bool not_answered = error == bus::bus_error::timeout || error == bus::bus_error::decode_failed ||
                              error == bus::bus_error::answer_too_long || error == bus::bus_error::request_refused;
    if (error && !not_answered) {
        const auto message =
            outcome.error_detail.empty() ? error.message() : error.message() + ": " + outcome.error_detail;
        spdlog::warn("bus {}: probe not sent: {}", bus_id, message);
        count_scan_progress(tally, request, bus_id, false);
        reply(control::make_error(control::errc::probe_failed, message));
        return;
    }

    if (error) {
        result["detail"] = not_found_detail(error, outcome);
    } else {
        result["found"] = true;
        add_answer(outcome.answer, result);
    }
    spdlog::debug("bus {}: probe result: {}", bus_id, result.dump());
    count_scan_progress(tally, request, bus_id, result["found"].get<bool>());
    reply(control::make_result(std::move(result)));
}

void probe_command::count_scan_progress(scan_tally& tally, const json& request, const std::string& bus_id,
                                        bool found)
{
    // A probe outside a sweep (the broadcast) is a scan of its own.
    const auto scan = request.find("scan");
    if (scan == request.end()) {
        spdlog::info("bus {}: probe ({}, {}) finished: {}", bus_id, request.at("protocol").get<std::string>(),
                     request.at("address").is_null() ? "broadcast" : request.at("address").get<std::string>(),
                     found ? "a device answered" : "no device answered");
        return;
    }

    const auto index = (*scan)["index"].get<std::uint64_t>();
    const auto total = (*scan)["total"].get<std::uint64_t>();
    if (index == 0)
        tally[bus_id] = 0;
    tally[bus_id] += found ? 1 : 0;

    // NOTE: a sweep stopped early (Ctrl-C in the CLI) sends no last probe,
    // so its end is not logged.
    if (index + 1 == total) {
        spdlog::info("bus {}: address scan ({}) finished: {} of {} addresses answered", bus_id,
                     request.at("protocol").get<std::string>(), tally[bus_id], total);
        tally.erase(bus_id);
    }
}

} // namespace citygate::daemon
