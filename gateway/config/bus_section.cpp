// [[bus]] and [[device]].

#include "gateway/config/sections.hpp"
#include "gateway/config/values.hpp"

#include <algorithm>
#include <array>
#include <map>

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

bus_config read_bus(table_reader& reader, id_index& ids, std::map<std::string, std::string>& serial_devices)
{
    bus_config bus;
    bus.line = reader.line();

    if (reader.read_string("id", bus.id, presence::required))
        ids.add(reader, bus.id);

    if (reader.read_string("device", bus.device, presence::required)) {
        auto [it, inserted] = serial_devices.emplace(bus.device, bus.id);
        if (!inserted)
            reader.sink().error(reader.line_of("device"), reader.key_path("device"),
                                quote_text(bus.device) + " is already used by bus " + quote_text(it->second) +
                                    "; each serial port belongs to one bus");
    }

    read_baud(reader, bus.baud);
    reader.read_number("data_bits", bus.data_bits, 5, 8);
    read_parity(reader, bus.parity);
    reader.read_number("stop_bits", bus.stop_bits, 1, 2);
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
    std::map<std::string, std::string> serial_devices;
    for (std::size_t i = 0; i < array->size(); ++i) {
        table_reader reader(*(*array)[i].as_table(), "bus[" + std::to_string(i) + "]", root.sink());
        out.push_back(read_bus(reader, ids, serial_devices));
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
