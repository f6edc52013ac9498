#include "gateway/bus/device_manager.hpp"

#include "gateway/bus/bus_entry.hpp"
#include "gateway/bus/dtu_transport.hpp"
#include "gateway/bus/serial_transport.hpp"
#include "gateway/bus/tcp_client_transport.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <string_view>
#include <tuple>

namespace citygate::bus {

namespace {

bool same_bus(const config::bus_config& a, const config::bus_config& b)
{
    return std::tie(a.id, a.type, a.device, a.baud, a.data_bits, a.parity, a.stop_bits, a.host, a.port,
                    a.connect_timeout, a.registration, a.heartbeat, a.heartbeat_interval, a.response_timeout,
                    a.inter_frame_gap, a.retries, a.time_sync_interval) ==
           std::tie(b.id, b.type, b.device, b.baud, b.data_bits, b.parity, b.stop_bits, b.host, b.port,
                    b.connect_timeout, b.registration, b.heartbeat, b.heartbeat_interval, b.response_timeout,
                    b.inter_frame_gap, b.retries, b.time_sync_interval);
}

void append_field(std::string& out, std::string_view field)
{
    out += std::to_string(field.size());
    out += ':';
    out += field;
}

// Hashes what the poller and the codec use (component_code and location
// only label readings upstream). Fields are length-prefixed, so different
// configs never give the same text. Two texts share a 64-bit hash with a
// chance of about 2^-64, and only then would a reload miss a change.
std::size_t fingerprint(const config::device_config& d)
{
    std::string text;
    for (std::string_view field : {std::string_view(d.id), std::string_view(d.driver), std::string_view(d.bus),
                                   std::string_view(d.address)})
        append_field(text, field);
    append_field(text, std::to_string(d.poll_interval.count()));
    append_field(text, std::to_string(d.offline_after));
    for (const auto& [key, value] : d.options) {
        append_field(text, key);
        append_field(text, value);
    }
    return std::hash<std::string>{}(text);
}

std::vector<config::device_config> devices_on(const config::config& cfg, std::string_view bus_id)
{
    std::vector<config::device_config> out;
    for (const auto& d : cfg.devices)
        if (d.bus == bus_id)
            out.push_back(d);
    return out;
}

void append_list(std::string& out, const char* label, const std::vector<std::string>& ids)
{
    if (ids.empty())
        return;
    out += std::string("; ") + label + ": ";
    for (std::size_t i = 0; i < ids.size(); ++i)
        out += (i == 0 ? "" : ", ") + ids[i];
}

// Devices of a restarted bus: all of them start over, so the ones that
// existed before count as changed.
template <typename DeviceMap>
void report_restarted_devices(const DeviceMap& before, const DeviceMap& after, apply_summary& summary)
{
    for (const auto& [id, d] : after)
        (before.contains(id) ? summary.devices_changed : summary.devices_added).push_back(id);
    for (const auto& [id, d] : before)
        if (!after.contains(id))
            summary.devices_removed.push_back(id);
}

} // namespace

transport_factory serial_transport_factory()
{
    return [](boost::asio::io_context& io, const config::bus_config& bus) -> std::unique_ptr<transport> {
        return std::make_unique<serial_transport>(io, bus);
    };
}

transport_factory standard_transport_factory(dtu_listener* dtus)
{
    return [dtus](boost::asio::io_context& io, const config::bus_config& bus) -> std::unique_ptr<transport> {
        switch (bus.type) {
        case config::bus_type::serial:
            return std::make_unique<serial_transport>(io, bus);
        case config::bus_type::tcp_client:
            return std::make_unique<tcp_client_transport>(io, bus);
        case config::bus_type::dtu:
            if (dtus != nullptr)
                return std::make_unique<dtu_transport>(io, bus, *dtus);
            break;
        }
        return nullptr;
    };
}

bool apply_summary::changed() const noexcept
{
    return !buses_added.empty() || !buses_removed.empty() || !buses_changed.empty() || !devices_added.empty() ||
           !devices_removed.empty() || !devices_changed.empty();
}

std::string apply_summary::to_string() const
{
    auto out = "buses +" + std::to_string(buses_added.size()) + " -" + std::to_string(buses_removed.size()) + " ~" +
               std::to_string(buses_changed.size()) + ", devices +" + std::to_string(devices_added.size()) + " -" +
               std::to_string(devices_removed.size()) + " ~" + std::to_string(devices_changed.size()) + ", " +
               std::to_string(errors.size()) + " errors";
    append_list(out, "added buses", buses_added);
    append_list(out, "removed buses", buses_removed);
    append_list(out, "changed buses", buses_changed);
    append_list(out, "added devices", devices_added);
    append_list(out, "removed devices", devices_removed);
    append_list(out, "changed devices", devices_changed);
    return out;
}


device_manager::device_manager(boost::asio::io_context& io, const drivers::registry& drivers,
                               transport_factory make_transport, poller_options options)
    : io_(io), drivers_(drivers), make_transport_(std::move(make_transport)),
      options_(std::make_shared<const poller_options>(options))
{
}

device_manager::~device_manager()
{
    stop();
}

void device_manager::on_reading(reading_handler handler) { on_reading_ = std::move(handler); }
void device_manager::on_event(reading_handler handler) { on_event_ = std::move(handler); }

apply_summary device_manager::apply(const config::config& next)
{
    apply_summary summary;

    for (auto it = buses_.begin(); it != buses_.end();) {
        const bool kept = std::any_of(next.buses.begin(), next.buses.end(),
                                      [&](const config::bus_config& b) { return b.id == it->first; });
        if (kept) {
            ++it;
            continue;
        }
        summary.buses_removed.push_back(it->first);
        for (const auto& [id, d] : it->second->devices)
            summary.devices_removed.push_back(id);
        it->second->poller->stop();
        it = buses_.erase(it);
    }

    for (const auto& bus : next.buses) {
        auto it = buses_.find(bus.id);
        if (it == buses_.end()) {
            summary.buses_added.push_back(bus.id);
            for (const auto& [id, d] : add_bus(bus, devices_on(next, bus.id), summary))
                summary.devices_added.push_back(id);
        } else if (!same_bus(it->second->config(), bus)) {
            // New line settings or device path: restart the whole bus.
            summary.buses_changed.push_back(bus.id);
            auto old_devices = std::move(it->second->devices);
            it->second->poller->stop();
            buses_.erase(it);
            report_restarted_devices(old_devices, add_bus(bus, devices_on(next, bus.id), summary), summary);
        } else {
            sync_devices(*it->second, devices_on(next, bus.id), summary);
        }
    }

    device_bus_.clear();
    for (const auto& [bus_id, entry] : buses_)
        for (const auto& [device_id, d] : entry->devices)
            device_bus_.emplace(device_id, bus_id);

    for (const auto& d : next.devices) {
        if (buses_.contains(d.bus))
            continue;
        const bool configured = std::any_of(next.buses.begin(), next.buses.end(),
                                            [&](const config::bus_config& b) { return b.id == d.bus; });
        summary.errors.push_back("device " + d.id + ": bus \"" + d.bus + "\" is " +
                                 (configured ? "not running" : "not configured"));
    }
    for (const auto& e : summary.errors)
        spdlog::error("devices: {}", e);
    return summary;
}

const device_manager::device_map& device_manager::add_bus(const config::bus_config& bus,
                                                        const std::vector<config::device_config>& devices,
                                                        apply_summary& summary)
{
    auto port = make_transport_(io_, bus);
    if (!port) {
        summary.errors.push_back("bus " + bus.id + ": this gateway cannot create a transport of the bus's type");
        static const device_map none;
        return none;
    }

    auto entry = std::make_unique<bus_entry>();
    entry->poller = std::make_unique<bus_poller>(io_, bus, std::move(port), options_);
    entry->poller->on_reading(on_reading_);
    entry->poller->on_event(on_event_);

    for (const auto& d : devices) {
        if (add_device(*entry->poller, d, summary))
            entry->devices.emplace(d.id, running_device{d.driver, fingerprint(d)});
    }
    entry->poller->start();
    auto& running = *buses_.emplace(bus.id, std::move(entry)).first->second;
    start_time_sync(running);
    return running.devices;
}

void device_manager::sync_devices(bus_entry& entry, const std::vector<config::device_config>& devices,
                                  apply_summary& summary)
{
    for (auto it = entry.devices.begin(); it != entry.devices.end();) {
        const bool kept = std::any_of(devices.begin(), devices.end(),
                                      [&](const config::device_config& d) { return d.id == it->first; });
        if (kept) {
            ++it;
            continue;
        }
        summary.devices_removed.push_back(it->first);
        entry.poller->remove_device(it->first);
        it = entry.devices.erase(it);
    }

    for (const auto& d : devices) {
        auto it = entry.devices.find(d.id);
        if (it != entry.devices.end() && it->second.fingerprint == fingerprint(d))
            continue;

        const bool existed = it != entry.devices.end();
        if (existed) {
            entry.poller->remove_device(d.id);
            entry.devices.erase(it);
        }
        auto& list = existed ? summary.devices_changed : summary.devices_added;
        const auto errors_before = summary.errors.size();
        if (add_device(*entry.poller, d, summary)) {
            entry.devices.emplace(d.id, running_device{d.driver, fingerprint(d)});
        }
        // A device that now fails validation is reported as an error only.
        if (summary.errors.size() == errors_before)
            list.push_back(d.id);
        else if (existed)
            summary.devices_removed.push_back(d.id);
    }
}

bool device_manager::add_device(bus_poller& poller, const config::device_config& device, apply_summary& summary)
{
    const auto* driver = drivers_.find(device.driver);
    if (driver == nullptr) {
        summary.errors.push_back("device " + device.id + ": unknown driver \"" + device.driver + "\"");
        return false;
    }
    if (driver->kind() != drivers::driver_kind::polled) {
        // TODO: push drivers (NB-IoT, LoRaWAN) need a listener instead of a bus poller.
        summary.errors.push_back("device " + device.id + ": driver \"" + device.driver +
                                 "\" sends unsolicited frames and cannot be polled on a bus");
        return false;
    }

    std::error_code error;
    auto codec = driver->make_codec(drivers::device_params{device.id, device.address, device.options}, error);
    if (error || !codec) {
        summary.errors.push_back("device " + device.id + ": invalid configuration for driver \"" + device.driver +
                                 "\": " +
                                 (error ? driver->describe_config_error(drivers::device_params{device.id, device.address,
                                                                                               device.options},
                                                                        error)
                                        : std::string("no codec")));
        return false;
    }

    poller.add_device(make_device_spec(device), std::move(codec));
    return true;
}

bus_poller* device_manager::poller_of(std::string_view device_id)
{
    auto route = device_bus_.find(device_id);
    if (route == device_bus_.end())
        return nullptr;
    auto bus = buses_.find(route->second);
    return bus == buses_.end() ? nullptr : bus->second->poller.get();
}

void device_manager::fail_unknown(std::string_view device_id, std::error_code error, poll_handler handler)
{
    poll_result result;
    result.device_id = std::string(device_id);
    boost::asio::post(io_, [handler = std::move(handler), error, result = std::move(result)]() mutable {
        handler(error, std::move(result));
    });
}

void device_manager::poll_now(std::string_view device_id, poll_handler handler)
{
    if (auto* poller = poller_of(device_id))
        poller->poll_now(device_id, std::move(handler));
    else
        fail_unknown(device_id, bus_error::device_unknown, std::move(handler));
}

void device_manager::command_now(std::string_view device_id, std::string_view name, std::string_view value,
                                 poll_handler handler)
{
    if (auto* poller = poller_of(device_id))
        poller->command_now(device_id, name, value, std::move(handler));
    else
        fail_unknown(device_id, bus_error::device_unknown, std::move(handler));
}

void device_manager::transact(std::string_view bus_id, drivers::exchange exchange, poll_handler handler)
{
    auto bus = buses_.find(bus_id);
    if (bus != buses_.end())
        bus->second->poller->transact(std::move(exchange), std::move(handler));
    else
        fail_unknown({}, bus_error::bus_unknown, std::move(handler));
}

const config::bus_config* device_manager::find_bus(std::string_view bus_id) const
{
    auto bus = buses_.find(bus_id);
    return bus == buses_.end() ? nullptr : &bus->second->config();
}

std::vector<bus_status> device_manager::bus_states() const
{
    std::vector<bus_status> out;
    for (const auto& [id, entry] : buses_)
        out.push_back(entry->poller->status());
    return out;
}

std::vector<device_status> device_manager::device_states() const
{
    std::vector<device_status> out;
    for (const auto& [id, entry] : buses_) {
        auto states = entry->poller->device_states();
        out.insert(out.end(), std::make_move_iterator(states.begin()), std::make_move_iterator(states.end()));
    }
    std::sort(out.begin(), out.end(), [](const device_status& a, const device_status& b) { return a.id < b.id; });
    return out;
}

void device_manager::stop()
{
    for (auto& [id, entry] : buses_) {
        if (entry->time_sync_timer)
            entry->time_sync_timer->cancel();
        entry->poller->stop();
    }
}

} // namespace citygate::bus
