#pragma once
// Data field of the read-data exchange (C = 01, reply 81, DI 901F).
//
// Reply layouts after DI0 DI1 SER, from the protocol walk-throughs at
// cnblogs.com/yangykaifa/p/7010777.html (water) and biecuoliao.com/pa/MPREpm3.html
// (heat), and the offsets used by github.com/xijunzhou/sdqr_energy_node_class-20180705
// (Src/meter/cj188.h):
//   water and gas (L = 22): current volume(4+1) settlement volume(4+1) clock(7) ST(2)
//   heat (L = 46): settlement heat(4+1) current heat(4+1) power(4+1) flow
//     rate(4+1) volume(4+1) supply temp(3) return temp(3) working hours(3)
//     clock(7) ST(2)
// A "4+1" quantity is 4 BCD bytes, low byte first, two implied decimals,
// followed by a unit code. Longer data fields are accepted and the extra bytes
// ignored.

#include "protocols/cjt188/frame.hpp"
#include "protocols/cjt188/units.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <variant>

namespace citygate::cjt188 {

inline constexpr std::size_t flow_reply_length = 22;
inline constexpr std::size_t heat_reply_length = 46;

struct quantity {
    double value = 0;        // in `unit`, two decimals applied
    std::uint8_t unit = 0;   // unit_code as sent
    quantity_kind kind = quantity_kind::volume;

    // Value in the canonical unit of `kind` (units.hpp); decoding has
    // already checked that the unit matches the kind.
    double canonical() const noexcept;
};

// Meter real-time clock, sent as BCD second minute hour day month year century.
struct meter_clock {
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;

    // "YYYY-MM-DDThh:mm:ss", the meter's local time without an offset.
    std::string to_iso8601() const;
};

enum class valve_state { open, closed, abnormal };
std::string_view to_string(valve_state state) noexcept;

// Status ST. The first byte is defined by the standard: bits 0-1 valve
// (00 open, 01 closed, 11 abnormal), bit 2 battery low. The second byte is
// vendor-defined and kept raw.
struct meter_status {
    std::uint8_t st1 = 0;
    std::uint8_t st2 = 0;

    // NOTE: the sources give no meaning for bits 0-1 = 10; it is reported as
    // abnormal so an unknown valve state raises an alarm instead of passing.
    valve_state valve() const noexcept;
    bool battery_low() const noexcept;
};

// Water (10H-19H) and gas (30H-39H) meters.
struct flow_meter_data {
    quantity current_volume;
    quantity settlement_volume;
    std::optional<meter_clock> clock; // std::nullopt when the meter's clock is unset (out of range)
    meter_status status;
};

// Heat meters (20H-29H).
struct heat_meter_data {
    quantity settlement_heat;
    quantity current_heat;
    quantity power;
    quantity flow_rate;
    quantity volume;
    double supply_temp = 0; // Cel, 3 BCD bytes with two decimals
    double return_temp = 0; // Cel
    std::uint32_t working_hours = 0;
    std::optional<meter_clock> clock;
    meter_status status;
};

using meter_data = std::variant<flow_meter_data, heat_meter_data>;

// Decodes the read-data payload after DI0 DI1 SER (`data` starts at DI0).
// The layout follows the meter family of `meter_type`. Errors: truncated_data,
// bad_bcd, bad_unit, unknown_meter_type.
std::error_code decode_meter_data(std::uint8_t meter_type, std::span<const std::uint8_t> data, meter_data& out);

// Appends the reply payload (without DI and SER) for the given values.
// Quantities are written with their own unit codes; values wrap at 10^6.
void append_meter_data(std::vector<std::uint8_t>& out, const meter_data& values);

} // namespace citygate::cjt188
