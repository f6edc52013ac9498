#include "protocols/cjt188/units.hpp"

namespace citygate::cjt188 {

std::string_view canonical_unit(quantity_kind kind) noexcept
{
    switch (kind) {
    case quantity_kind::volume:
        return "m3";
    case quantity_kind::energy:
        return "kWh";
    case quantity_kind::power:
        return "kW";
    case quantity_kind::flow_rate:
        return "m3/s";
    }
    return "";
}

namespace {

struct unit_entry {
    unit_code code;
    quantity_kind kind;
    double factor;           // to the canonical unit of kind
    std::string_view symbol; // the unit as sent, for people
};

// 1 kWh = 3.6 MJ.
constexpr double kwh_per_mj = 1.0 / 3.6;
constexpr double seconds_per_hour = 3600.0;

constexpr unit_entry unit_table[] = {
    {unit_code::joule, quantity_kind::energy, kwh_per_mj / 1e6, "J"},
    {unit_code::watt_hour, quantity_kind::energy, 1e-3, "Wh"},
    {unit_code::kilowatt_hour, quantity_kind::energy, 1.0, "kWh"},
    {unit_code::megawatt_hour, quantity_kind::energy, 1e3, "MWh"},
    {unit_code::megawatt_hour_x100, quantity_kind::energy, 1e5, "MWh x100"},
    {unit_code::kilojoule, quantity_kind::energy, kwh_per_mj / 1e3, "kJ"},
    {unit_code::megajoule, quantity_kind::energy, kwh_per_mj, "MJ"},
    {unit_code::gigajoule, quantity_kind::energy, kwh_per_mj * 1e3, "GJ"},
    {unit_code::gigajoule_x100, quantity_kind::energy, kwh_per_mj * 1e5, "GJ x100"},
    {unit_code::watt, quantity_kind::power, 1e-3, "W"},
    {unit_code::kilowatt, quantity_kind::power, 1.0, "kW"},
    {unit_code::megawatt, quantity_kind::power, 1e3, "MW"},
    {unit_code::litre, quantity_kind::volume, 1e-3, "L"},
    {unit_code::cubic_metre, quantity_kind::volume, 1.0, "m3"},
    {unit_code::litre_per_hour, quantity_kind::flow_rate, 1e-3 / seconds_per_hour, "L/h"},
    {unit_code::cubic_metre_per_hour, quantity_kind::flow_rate, 1.0 / seconds_per_hour, "m3/h"},
};

} // namespace

std::optional<double> canonical_factor(std::uint8_t code, quantity_kind kind) noexcept
{
    for (const auto& entry : unit_table) {
        if (static_cast<std::uint8_t>(entry.code) == code)
            return entry.kind == kind ? std::optional<double>(entry.factor) : std::nullopt;
    }
    return std::nullopt;
}

std::string_view unit_symbol(std::uint8_t code) noexcept
{
    for (const auto& entry : unit_table) {
        if (static_cast<std::uint8_t>(entry.code) == code)
            return entry.symbol;
    }
    return "";
}

} // namespace citygate::cjt188
