#pragma once
// Data identifiers (DI) of the values the gateway reads, with their value
// formats in each edition.
//
// 2007 edition: 4-byte DI (DI3 DI2 DI1 DI0, sent DI0 first). 1997 edition:
// 2-byte DI (sent low byte first). Values are BCD, low byte first, with the
// decimal places of each DI's format in the edition's data identifier table:
// energy XXXXXX.XX, voltage XXX.X (2007) or XXX (1997), current XXX.XXX
// (2007) or XX.XX (1997), active power XX.XXXX kW, power factor X.XXX. In the
// 2007 edition the signed formats (combined reactive energy, current, power,
// power factor) carry the sign in bit 7 of the most significant byte.
// NOTE: the 1997 formats and its lack of sign bits are from the 1997 table as
// commonly reproduced; no 1997 reply vector has confirmed them yet.

#include "protocols/dlt645/error.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace citygate::dlt645 {

enum class edition { v1997, v2007 };

std::string_view to_string(edition ed) noexcept;

// DI as a number: 00010000 (2007) or 9010 (1997).
using data_id = std::uint32_t;

inline constexpr data_id di_forward_active_total_2007 = 0x00010000;
inline constexpr data_id di_forward_active_total_1997 = 0x9010;
// 1997 meters have no read-address command; the meter number is read from DI
// C032 with the wildcard address instead.
inline constexpr data_id di_meter_number_1997 = 0xC032;

std::size_t di_size(edition ed) noexcept; // 4 or 2

struct value_format {
    std::uint8_t bytes = 0;    // BCD bytes on the wire
    std::uint8_t decimals = 0; // implied decimal places
    bool is_signed = false;    // sign in bit 7 of the most significant byte
    double to_senml = 1;       // factor from the meter's unit to `unit`
    std::string_view unit;     // SenML unit after the factor: kWh, kvarh, V, A, W, var, VA, "/"
};

// One value the driver can read: its metric name and DI per edition.
struct quantity {
    std::string_view metric; // SenML record name, e.g. "energy_import", "voltage_a"
    std::optional<data_id> di_2007;
    std::optional<data_id> di_1997;
    value_format format_2007;
    value_format format_1997;
};

// Every quantity the driver can read, in a fixed order.
std::span<const quantity> quantities() noexcept;

// The quantity named `metric`; nullptr when there is none.
const quantity* find_quantity(std::string_view metric) noexcept;

// The quantity read by `di` in `ed`; nullptr for a DI without a known format.
const quantity* find_quantity(edition ed, data_id di) noexcept;

// Decodes a value of `format` from its BCD bytes (33H already subtracted),
// scaled to the SenML unit. Errors: truncated_data when `bytes` is shorter
// than the format (longer input is accepted and the rest ignored), bad_bcd.
std::error_code decode_value(const value_format& format, std::span<const std::uint8_t> bytes, double& out) noexcept;

// Appends `value` (in the SenML unit) in `format`; the magnitude wraps at
// the format's digit count.
void append_value(std::vector<std::uint8_t>& out, const value_format& format, double value);

// Appends `di` in wire order (low byte first), 33H not yet added.
void append_di(std::vector<std::uint8_t>& out, edition ed, data_id di);

// Reads a DI from the start of a data field; std::nullopt when it is too short.
std::optional<data_id> read_di(edition ed, std::span<const std::uint8_t> data) noexcept;

} // namespace citygate::dlt645
