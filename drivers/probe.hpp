#pragma once
// Probes that find devices on a bus for `citygate bus scan`: one exchange
// built from the protocol codecs alone, with no configured device behind it.
// A broadcast read-address asks every meter on the bus for its address; an
// addressed probe reads one value from a single address.
//
// The answer of a probe is a poll_answer whose values are:
//   "address"          (string) the address of the device that answered,
//                      written as a device address in the config file
//   "option.<key>"     (string) a device option for the config file, e.g.
//                      option.edition = "1997" when the meter answered in 1997
//   any other metric   what the probe read, e.g. energy_import in kWh, or
//                      "device_error" (string) when the device answered with
//                      an error reply, which still proves it is there
//
// NOTE: when several meters answer a broadcast one after the other rather
// than at once, the probe ends with the first valid frame, and the others
// go unreported. Only a collision (an invalid frame) shows they were there.

#include "drivers/driver.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace citygate::drivers {

enum class probe_error {
    unknown_protocol = 1,    // protocol other than dlt645, cjt188, modbus
    invalid_address,         // not an address of the protocol, or a broadcast address
    invalid_edition,         // edition not of the protocol
    invalid_meter_type,      // CJ/T 188 meter type not two hex digits in 10-39
    broadcast_not_supported, // the protocol has no read-address broadcast (Modbus)
};

const std::error_category& probe_category() noexcept;
std::error_code make_error_code(probe_error e) noexcept;

inline constexpr std::string_view probe_address_metric = "address";
inline constexpr std::string_view probe_option_prefix = "option.";
inline constexpr std::string_view probe_device_error_metric = "device_error";

struct probe_params {
    std::string protocol;               // "dlt645", "cjt188" or "modbus"
    std::optional<std::string> address; // std::nullopt: broadcast read-address
    std::string edition;                // empty: the protocol's default (2007, 2018)
    std::string meter_type;             // CJ/T 188 only; empty: "10" (cold water)
};

// Builds the probe's exchange into `out`; a probe_error for invalid params.
std::error_code make_probe(const probe_params& params, exchange& out);

// The driver name a config file uses for a probe protocol ("modbus" ->
// "modbus-rtu"); empty for an unknown protocol.
std::string_view probe_driver_name(std::string_view protocol) noexcept;

// Per-protocol builders, in the driver folders.
std::error_code make_dlt645_probe(const probe_params& params, exchange& out);
std::error_code make_cjt188_probe(const probe_params& params, exchange& out);
std::error_code make_modbus_probe(const probe_params& params, exchange& out);

} // namespace citygate::drivers

template <>
struct std::is_error_code_enum<citygate::drivers::probe_error> : std::true_type {};
