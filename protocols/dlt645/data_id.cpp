#include "protocols/dlt645/data_id.hpp"

#include <array>
#include <cmath>

namespace citygate::dlt645 {

std::string_view to_string(edition ed) noexcept
{
    return ed == edition::v2007 ? "2007" : "1997";
}

std::size_t di_size(edition ed) noexcept
{
    return ed == edition::v2007 ? 4 : 2;
}

namespace {

// Formats by quantity; `to_senml` turns kW, kvar and kVA into W, var and VA.
constexpr value_format energy{4, 2, false, 1, "kWh"};
constexpr value_format energy_signed{4, 2, true, 1, "kWh"};
constexpr value_format reactive_energy_signed{4, 2, true, 1, "kvarh"};
constexpr value_format reactive_energy{4, 2, false, 1, "kvarh"};
constexpr value_format voltage_2007{2, 1, false, 1, "V"};
constexpr value_format voltage_1997{2, 0, false, 1, "V"};
constexpr value_format current_2007{3, 3, true, 1, "A"};
constexpr value_format current_1997{2, 2, false, 1, "A"};
constexpr value_format active_power_2007{3, 4, true, 1000, "W"};
constexpr value_format active_power_1997{3, 4, false, 1000, "W"};
constexpr value_format reactive_power_2007{3, 4, true, 1000, "var"};
constexpr value_format reactive_power_1997{2, 2, false, 1000, "var"};
constexpr value_format apparent_power_2007{3, 4, true, 1000, "VA"};
constexpr value_format power_factor_2007{2, 3, true, 1, "/"};
constexpr value_format power_factor_1997{2, 3, false, 1, "/"};
constexpr value_format none{};

constexpr std::optional<data_id> no_di = std::nullopt;

// Tariffs 1-4 follow the total in both editions (DI0 or the last digit).
constexpr std::array quantity_table{
    quantity{"energy_combined", 0x00000000, no_di, energy_signed, none},
    quantity{"energy_import", 0x00010000, 0x9010, energy, energy},
    quantity{"energy_import_t1", 0x00010001, 0x9011, energy, energy},
    quantity{"energy_import_t2", 0x00010002, 0x9012, energy, energy},
    quantity{"energy_import_t3", 0x00010003, 0x9013, energy, energy},
    quantity{"energy_import_t4", 0x00010004, 0x9014, energy, energy},
    quantity{"energy_export", 0x00020000, 0x9020, energy, energy},
    quantity{"energy_export_t1", 0x00020001, 0x9021, energy, energy},
    quantity{"energy_export_t2", 0x00020002, 0x9022, energy, energy},
    quantity{"energy_export_t3", 0x00020003, 0x9023, energy, energy},
    quantity{"energy_export_t4", 0x00020004, 0x9024, energy, energy},
    // 2007 combined reactive 1 and 2; the 1997 edition has forward and reverse reactive instead.
    quantity{"energy_reactive_1", 0x00030000, no_di, reactive_energy_signed, none},
    quantity{"energy_reactive_2", 0x00040000, no_di, reactive_energy_signed, none},
    quantity{"energy_reactive_import", no_di, 0x9110, none, reactive_energy},
    quantity{"energy_reactive_export", no_di, 0x9120, none, reactive_energy},
    quantity{"voltage_a", 0x02010100, 0xB611, voltage_2007, voltage_1997},
    quantity{"voltage_b", 0x02010200, 0xB612, voltage_2007, voltage_1997},
    quantity{"voltage_c", 0x02010300, 0xB613, voltage_2007, voltage_1997},
    quantity{"current_a", 0x02020100, 0xB621, current_2007, current_1997},
    quantity{"current_b", 0x02020200, 0xB622, current_2007, current_1997},
    quantity{"current_c", 0x02020300, 0xB623, current_2007, current_1997},
    quantity{"power_active", 0x02030000, 0xB630, active_power_2007, active_power_1997},
    quantity{"power_active_a", 0x02030100, 0xB631, active_power_2007, active_power_1997},
    quantity{"power_active_b", 0x02030200, 0xB632, active_power_2007, active_power_1997},
    quantity{"power_active_c", 0x02030300, 0xB633, active_power_2007, active_power_1997},
    quantity{"power_reactive", 0x02040000, 0xB640, reactive_power_2007, reactive_power_1997},
    quantity{"power_reactive_a", 0x02040100, 0xB641, reactive_power_2007, reactive_power_1997},
    quantity{"power_reactive_b", 0x02040200, 0xB642, reactive_power_2007, reactive_power_1997},
    quantity{"power_reactive_c", 0x02040300, 0xB643, reactive_power_2007, reactive_power_1997},
    // The 1997 edition defines no apparent power.
    quantity{"power_apparent", 0x02050000, no_di, apparent_power_2007, none},
    quantity{"power_apparent_a", 0x02050100, no_di, apparent_power_2007, none},
    quantity{"power_apparent_b", 0x02050200, no_di, apparent_power_2007, none},
    quantity{"power_apparent_c", 0x02050300, no_di, apparent_power_2007, none},
    quantity{"power_factor", 0x02060000, 0xB650, power_factor_2007, power_factor_1997},
    quantity{"power_factor_a", 0x02060100, 0xB651, power_factor_2007, power_factor_1997},
    quantity{"power_factor_b", 0x02060200, 0xB652, power_factor_2007, power_factor_1997},
    quantity{"power_factor_c", 0x02060300, 0xB653, power_factor_2007, power_factor_1997},
};

std::optional<unsigned> bcd_byte(std::uint8_t b) noexcept
{
    const unsigned high = b >> 4;
    const unsigned low = b & 0x0F;
    if (high > 9 || low > 9)
        return std::nullopt;
    return high * 10 + low;
}

std::uint8_t to_bcd_byte(unsigned value) noexcept
{
    return static_cast<std::uint8_t>((value / 10 % 10) << 4 | value % 10);
}

} // namespace

std::span<const quantity> quantities() noexcept
{
    return quantity_table;
}

const quantity* find_quantity(std::string_view metric) noexcept
{
    for (const auto& q : quantity_table) {
        if (q.metric == metric)
            return &q;
    }
    return nullptr;
}

const quantity* find_quantity(edition ed, data_id di) noexcept
{
    for (const auto& q : quantity_table) {
        const auto& own = ed == edition::v2007 ? q.di_2007 : q.di_1997;
        if (own && *own == di)
            return &q;
    }
    return nullptr;
}

std::error_code decode_value(const value_format& format, std::span<const std::uint8_t> bytes, double& out) noexcept
{
    if (format.bytes == 0)
        return error::unknown_di;
    if (bytes.size() < format.bytes)
        return error::truncated_data;

    std::uint64_t magnitude = 0;
    bool negative = false;
    for (std::size_t i = format.bytes; i-- > 0;) {
        std::uint8_t b = bytes[i];
        if (format.is_signed && i + 1 == format.bytes) {
            negative = (b & 0x80) != 0;
            b &= 0x7F;
        }
        auto digits = bcd_byte(b);
        if (!digits)
            return error::bad_bcd;
        magnitude = magnitude * 100 + *digits;
    }

    const double value = static_cast<double>(magnitude) / std::pow(10.0, format.decimals) * format.to_senml;
    out = negative ? -value : value;
    return {};
}

void append_value(std::vector<std::uint8_t>& out, const value_format& format, double value)
{
    const bool negative = value < 0;
    const double scaled = std::fabs(value) / format.to_senml * std::pow(10.0, format.decimals);
    auto magnitude = static_cast<std::uint64_t>(std::llround(scaled));

    const std::size_t first = out.size();
    for (std::size_t i = 0; i < format.bytes; ++i) {
        out.push_back(to_bcd_byte(static_cast<unsigned>(magnitude % 100)));
        magnitude /= 100;
    }
    if (format.is_signed && format.bytes > 0) {
        // The sign bit takes the place of the top digit's high bit, so the top digit must stay below 8.
        auto& top = out[first + format.bytes - 1];
        top = static_cast<std::uint8_t>(top & 0x7F);
        if (negative)
            top |= 0x80;
    }
}

void append_di(std::vector<std::uint8_t>& out, edition ed, data_id di)
{
    for (std::size_t i = 0; i < di_size(ed); ++i)
        out.push_back(static_cast<std::uint8_t>(di >> (8 * i)));
}

std::optional<data_id> read_di(edition ed, std::span<const std::uint8_t> data) noexcept
{
    const std::size_t size = di_size(ed);
    if (data.size() < size)
        return std::nullopt;

    data_id di = 0;
    for (std::size_t i = size; i-- > 0;)
        di = di << 8 | data[i];
    return di;
}

} // namespace citygate::dlt645
