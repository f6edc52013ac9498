#pragma once
// Readers for the sections of the config file. Each one reads its keys
// into the typed struct, checks values and cross-references within its
// section, and reports unknown keys. Internal to the config loader.

#include "gateway/config/config.hpp"
#include "gateway/config/reader.hpp"

namespace citygate::config::detail {

void read_gateway(table_reader& root, gateway_config& out);
void read_uplink(table_reader& root, uplink_config& out);
void read_store(table_reader& root, store_config& out);
void read_buses(table_reader& root, std::vector<bus_config>& out);
void read_dtu(table_reader& root, dtu_config& out);

// Reports a "dtu" bus without a [dtu] listen address to accept it on.
void check_dtu_listener(issue_sink& sink, const dtu_config& dtu, const std::vector<bus_config>& buses);

// Reads [[device]] after [[bus]], because device.bus must name a bus in `buses`.
void read_devices(table_reader& root, const std::vector<bus_config>& buses, std::vector<device_config>& out);

} // namespace citygate::config::detail
