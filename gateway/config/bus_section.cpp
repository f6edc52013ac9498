// [[bus]] and [[device]].

#include "gateway/config/sections.hpp"
#include "gateway/config/values.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <span>

namespace citygate::config::detail {

namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::array<unsigned, 13> standard_bauds{300, 600, 1200, 2400, 4800, 9600, 19200, 38400,
                                                  57600, 115200, 230400, 460800, 921600};

constexpr const char* id_rule = "1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'";

// Remembers where each id was first defined, to report duplicates.
class id_index {
public:
    explicit id_index(std::string kind) : kind_(std::move(kind)) {}

    // Reports an invalid or repeated id and returns false; records a new one.
    bool add(table_reader& reader, const std::string& id)
    {
        const auto line = reader.line_of("id");
        if (!is_valid_id(id)) {
            reader.sink().error(line, reader.key_path("id"), std::string("expected ") + id_rule + ", got " + quote_text(id));
            return false;
        }
        auto [it, inserted] = lines_.emplace(id, line);
        if (!inserted) {
            reader.sink().error(line, reader.key_path("id"),
                                "duplicate " + kind_ + " id " + quote_text(id) + "; first defined at line " +
                                    std::to_string(it->second));
        }
        return inserted;
    }

private:
    std::string kind_;
    std::map<std::string, int> lines_;
};

// Resources that only one bus may use, with the id of the bus that took each.
struct bus_claims {
    std::map<std::string, std::string> serial_devices;
    std::map<std::string, std::string> tcp_endpoints; // "host port N"
    std::map<std::string, std::string> registrations; // as written
};

void read_baud(table_reader& reader, unsigned& out)
{
    unsigned baud = out;
    if (!reader.read_number("baud", baud, 1, 4'000'000))
        return;

    if (std::find(standard_bauds.begin(), standard_bauds.end(), baud) == standard_bauds.end()) {
        std::string rates;
        for (auto rate : standard_bauds)
            rates += (rates.empty() ? "" : ", ") + std::to_string(rate);
        reader.sink().error(reader.line_of("baud"), reader.key_path("baud"),
                            "expected a standard baud rate (" + rates + "), got " + std::to_string(baud));
        return;
    }
    out = baud;
}

void read_parity(table_reader& reader, parity& out)
{
    std::string text;
    if (!reader.read_choice("parity", text, {"none", "even", "odd"}))
        return;
    out = text == "none" ? parity::none : text == "odd" ? parity::odd : parity::even;
}

// Keys of the other bus types: a key that does nothing for this type is an
// error, so a tcp-client bus copied from a serial one does not silently
// ignore its baud rate.
void reject_keys(table_reader& reader, std::span<const std::string_view> keys, const std::string& type)
{
    for (auto key : keys) {
        if (reader.read_node(key) == nullptr)
            continue;
        reader.sink().error(reader.line_of(key), reader.key_path(key),
                            "not used by a bus of type " + quote_text(type) + "; remove it or change the bus type");
    }
}

constexpr std::array<std::string_view, 5> serial_keys{"device", "baud", "data_bits", "parity", "stop_bits"};
constexpr std::array<std::string_view, 3> tcp_client_keys{"host", "port", "connect_timeout"};
constexpr std::array<std::string_view, 3> dtu_keys{"registration", "heartbeat", "heartbeat_interval"};

// std::nullopt when `type` is invalid (reported).
std::optional<bus_type> read_bus_type(table_reader& reader)
{
    if (!reader.contains("type"))
        return bus_type::serial;
    std::string text;
    if (!reader.read_choice("type", text, {"serial", "tcp-client", "dtu"}))
        return std::nullopt;
    return text == "tcp-client" ? bus_type::tcp_client : text == "dtu" ? bus_type::dtu : bus_type::serial;
}

// Marks the keys of every type as known, so an invalid type is the only error.
void skip_type_keys(table_reader& reader)
{
    for (const auto& keys : {std::span<const std::string_view>(serial_keys), std::span<const std::string_view>(tcp_client_keys),
                             std::span<const std::string_view>(dtu_keys)})
        for (auto key : keys)
            reader.read_node(key);
}

void read_serial_keys(table_reader& reader, bus_config& bus, bus_claims& claims)
{
    if (reader.read_string("device", bus.device, presence::required)) {
        auto [it, inserted] = claims.serial_devices.emplace(bus.device, bus.id);
        if (!inserted)
            reader.sink().error(reader.line_of("device"), reader.key_path("device"),
                                quote_text(bus.device) + " is already used by bus " + quote_text(it->second) +
                                    "; each serial port belongs to one bus");
    }

    read_baud(reader, bus.baud);
    reader.read_number("data_bits", bus.data_bits, 5, 8);
    read_parity(reader, bus.parity);
    reader.read_number("stop_bits", bus.stop_bits, 1, 2);
    reject_keys(reader, tcp_client_keys, "serial");
    reject_keys(reader, dtu_keys, "serial");
}

void read_tcp_client_keys(table_reader& reader, bus_config& bus, bus_claims& claims)
{
    std::string host;
    if (reader.read_string("host", host, presence::required)) {
        std::string error;
        if (auto parsed = parse_tcp_host(host, error))
            bus.host = *parsed;
        else
            reader.sink().error(reader.line_of("host"), reader.key_path("host"), error);
    }
    if (!reader.contains("port"))
        reader.sink().error(reader.line(), reader.key_path("port"), "missing; set the TCP port, e.g. port = 4001");
    reader.read_number("port", bus.port, 1, 65535);
    reader.read_duration("connect_timeout", bus.connect_timeout, milliseconds(100), seconds(120));

    if (!bus.host.empty() && bus.port != 0) {
        const auto endpoint = bus.host + " port " + std::to_string(bus.port);
        auto [it, inserted] = claims.tcp_endpoints.emplace(endpoint, bus.id);
        if (!inserted)
            reader.sink().error(reader.line_of("host"), reader.key_path("host"),
                                endpoint + " is already used by bus " + quote_text(it->second) +
                                    "; a serial server port carries one bus");
    }
    reject_keys(reader, serial_keys, "tcp-client");
    reject_keys(reader, dtu_keys, "tcp-client");
}

void read_dtu_packet(table_reader& reader, std::string_view key, std::string& out, bool allow_pattern)
{
    std::string text;
    if (!reader.read_string(key, text, allow_pattern ? presence::required : presence::non_empty))
        return;
    std::string error;
    if (!parse_dtu_packet(text, allow_pattern, error)) {
        reader.sink().error(reader.line_of(key), reader.key_path(key), error + ", got " + quote_text(text));
        return;
    }
    out = text;
}

void read_dtu_keys(table_reader& reader, bus_config& bus, bus_claims& claims)
{
    read_dtu_packet(reader, "registration", bus.registration, true);
    read_dtu_packet(reader, "heartbeat", bus.heartbeat, false);

    // A DTU heartbeats about once a minute unless configured otherwise.
    if (!bus.heartbeat.empty())
        bus.heartbeat_interval = seconds(60);
    reader.read_duration("heartbeat_interval", bus.heartbeat_interval, milliseconds(0), hours(24));
    if (bus.heartbeat_interval.count() > 0 && bus.heartbeat_interval < seconds(1))
        reader.sink().error(reader.line_of("heartbeat_interval"), reader.key_path("heartbeat_interval"),
                            "expected 0 (never drop a silent DTU) or at least 1s, got " +
                                format_duration(bus.heartbeat_interval));

    if (!bus.registration.empty()) {
        auto [it, inserted] = claims.registrations.emplace(bus.registration, bus.id);
        if (!inserted)
            reader.sink().error(reader.line_of("registration"), reader.key_path("registration"),
                                "the same registration is already used by bus " + quote_text(it->second) +
                                    "; each DTU registration maps to one bus");
    }
    reject_keys(reader, serial_keys, "dtu");
    reject_keys(reader, tcp_client_keys, "dtu");
}

void read_type_keys(table_reader& reader, bus_config& bus, bus_claims& claims)
{
    switch (bus.type) {
    case bus_type::serial:
        read_serial_keys(reader, bus, claims);
        return;
    case bus_type::tcp_client:
        read_tcp_client_keys(reader, bus, claims);
        return;
    case bus_type::dtu:
        read_dtu_keys(reader, bus, claims);
        return;
    }
}

bus_config read_bus(table_reader& reader, id_index& ids, bus_claims& claims)
{
    bus_config bus;
    bus.line = reader.line();

    if (reader.read_string("id", bus.id, presence::required))
        ids.add(reader, bus.id);

    const auto type = read_bus_type(reader);
    bus.type = type.value_or(bus_type::serial);
    if (type)
        read_type_keys(reader, bus, claims);
    else
        skip_type_keys(reader);

    reader.read_duration("response_timeout", bus.response_timeout, milliseconds(1), seconds(60));
    reader.read_duration("inter_frame_gap", bus.inter_frame_gap, milliseconds(1), seconds(10));
    reader.read_number("retries", bus.retries, 0, 10);
    reader.read_duration("time_sync_interval", bus.time_sync_interval, seconds(0), hours(24 * 31));

    reader.report_unknown_keys();
    return bus;
}

void read_options(table_reader& reader, std::map<std::string, std::string>& out)
{
    const auto* table = reader.read_table("options");
    if (!table)
        return;

    for (const auto& [key, value] : *table) {
        const auto key_path = reader.key_path("options") + "." + std::string(key.str());
        if (!value.is_string()) {
            reader.sink().error(line_of(value), key_path,
                                "expected a string (driver options are text, e.g. \"16\"), got " + describe(value));
            continue;
        }
        out.emplace(key.str(), value.as_string()->get());
    }
}

void check_bus_reference(table_reader& reader, const std::string& bus, const std::vector<bus_config>& buses)
{
    auto known = [&](const bus_config& b) { return b.id == bus; };
    if (std::any_of(buses.begin(), buses.end(), known))
        return;

    std::string names;
    for (const auto& b : buses)
        names += (names.empty() ? "" : ", ") + quote_text(b.id);
    reader.sink().error(reader.line_of("bus"), reader.key_path("bus"),
                        "no [[bus]] has id " + quote_text(bus) +
                            (names.empty() ? std::string("; no buses are configured") : "; configured buses: " + names));
}

void check_component_code(table_reader& reader, const std::string& code)
{
    // TODO: check the GB/T 30428.2 component code structure; its field layout
    // could not be verified from a public source, so only the character set is checked.
    auto alphanumeric = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
    if (code.size() > 64 || !std::all_of(code.begin(), code.end(), alphanumeric))
        reader.sink().error(reader.line_of("component_code"), reader.key_path("component_code"),
                            "expected a GB/T 30428.2 component code of 1 to 64 letters and digits, got " + quote_text(code));
}

device_config read_device(table_reader& reader, id_index& ids, const std::vector<bus_config>& buses)
{
    device_config device;
    device.line = reader.line();

    if (reader.read_string("id", device.id, presence::required))
        ids.add(reader, device.id);
    reader.read_string("driver", device.driver, presence::required);
    if (reader.read_string("bus", device.bus, presence::non_empty))
        check_bus_reference(reader, device.bus, buses);
    reader.read_string("address", device.address, presence::required);
    reader.read_duration("poll_interval", device.poll_interval, seconds(1), hours(24 * 7));
    reader.read_number("offline_after", device.offline_after, 1, 1000);
    if (reader.read_string("component_code", device.component_code, presence::non_empty))
        check_component_code(reader, device.component_code);
    reader.read_string("location", device.location);
    read_options(reader, device.options);

    reader.report_unknown_keys();
    return device;
}

} // namespace

void read_buses(table_reader& root, std::vector<bus_config>& out)
{
    const auto* array = root.read_table_array("bus");
    if (!array)
        return;

    id_index ids("bus");
    bus_claims claims;
    for (std::size_t i = 0; i < array->size(); ++i) {
        table_reader reader(*(*array)[i].as_table(), "bus[" + std::to_string(i) + "]", root.sink());
        out.push_back(read_bus(reader, ids, claims));
    }
}

void read_devices(table_reader& root, const std::vector<bus_config>& buses, std::vector<device_config>& out)
{
    const auto* array = root.read_table_array("device");
    if (!array)
        return;

    id_index ids("device");
    for (std::size_t i = 0; i < array->size(); ++i) {
        table_reader reader(*(*array)[i].as_table(), "device[" + std::to_string(i) + "]", root.sink());
        out.push_back(read_device(reader, ids, buses));
    }
}

} // namespace citygate::config::detail
