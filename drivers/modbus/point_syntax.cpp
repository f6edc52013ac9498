#include "drivers/modbus/point_syntax.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

namespace citygate::drivers {

namespace {

class config_category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.modbus_config"; }

    std::string message(int value) const override
    {
        switch (static_cast<modbus_config_error>(value)) {
        case modbus_config_error::invalid_unit_id:
            return "invalid Modbus address: expected the unit id 1-247";
        case modbus_config_error::invalid_metric:
            return "invalid Modbus point name: expected point.<metric> with 1-64 characters of A-Z a-z 0-9 _ . -";
        case modbus_config_error::invalid_point:
            return "invalid Modbus point: expected \"<table> <address> <type> [key=value ...]\"";
        case modbus_config_error::invalid_table:
            return "invalid Modbus point table: expected coil, discrete, holding or input";
        case modbus_config_error::invalid_address:
            return "invalid Modbus point address: expected 0-65535 (decimal or 0x hex)";
        case modbus_config_error::invalid_type:
            return "invalid Modbus point type: expected u16, i16, u32, i32, f32, u64, bool or bits";
        case modbus_config_error::invalid_order:
            return "invalid Modbus point order: expected ABCD, CDAB, BADC or DCBA";
        case modbus_config_error::invalid_number:
            return "invalid Modbus point number: scale and offset must be finite, bit 0-15, bits 1-16";
        case modbus_config_error::unknown_point_key:
            return "unknown Modbus point key: expected order, scale, offset, unit, bit, bits or group";
        case modbus_config_error::invalid_max_block:
            return "invalid Modbus option max_block: expected 1-125 registers";
        case modbus_config_error::invalid_max_gap:
            return "invalid Modbus option max_gap: expected 0-124 registers";
        case modbus_config_error::unknown_option:
            return "unknown Modbus option: expected point.<metric>, template, max_block or max_gap";
        case modbus_config_error::no_points:
            return "Modbus device has no point.<metric> option, so there is nothing to poll";
        case modbus_config_error::invalid_template:
            return "invalid Modbus template: expected the name of a readable TOML file in the template "
                   "directory (/usr/share/citygate/templates), or the absolute path of a .toml file, with a "
                   "[points] table of strings";
        case modbus_config_error::invalid_tcp_unit_id:
            return "invalid Modbus TCP address: expected the unit id 0-255 (255 or 1 for most devices, the "
                   "slave address for a device behind a Modbus TCP gateway)";
        }
        return "unknown Modbus configuration error";
    }
};

std::vector<std::string_view> split_fields(std::string_view text)
{
    std::vector<std::string_view> fields;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto start = text.find_first_not_of(" \t", pos);
        if (start == std::string_view::npos)
            break;
        const auto end = std::min(text.find_first_of(" \t", start), text.size());
        fields.push_back(text.substr(start, end - start));
        pos = end;
    }
    return fields;
}

template <typename T>
bool parse_integer(std::string_view text, T& out)
{
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
    return ec == std::errc{} && end == text.data() + text.size();
}

bool parse_double(std::string_view text, double& out)
{
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size() && std::isfinite(out);
}

bool valid_metric(std::string_view metric)
{
    if (metric.empty() || metric.size() > 64)
        return false;
    for (char c : metric) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

std::error_code parse_table(std::string_view text, modbus::table& out)
{
    if (text == "coil")
        out = modbus::table::coil;
    else if (text == "discrete")
        out = modbus::table::discrete_input;
    else if (text == "holding")
        out = modbus::table::holding_register;
    else if (text == "input")
        out = modbus::table::input_register;
    else
        return modbus_config_error::invalid_table;
    return {};
}

std::error_code parse_type(std::string_view text, modbus::value_type& out)
{
    using modbus::value_type;
    static constexpr std::pair<std::string_view, value_type> names[] = {
        {"u16", value_type::u16}, {"i16", value_type::i16}, {"u32", value_type::u32},     {"i32", value_type::i32},
        {"f32", value_type::f32}, {"u64", value_type::u64}, {"bool", value_type::boolean}, {"bits", value_type::bit_field},
    };
    for (const auto& [name, type] : names) {
        if (text == name) {
            out = type;
            return {};
        }
    }
    return modbus_config_error::invalid_type;
}

std::error_code parse_order(std::string_view text, modbus::point& out)
{
    using modbus::byte_order;
    using modbus::word_order;
    if (text == "ABCD")
        std::tie(out.words, out.bytes) = std::pair{word_order::high_first, byte_order::high_first};
    else if (text == "CDAB")
        std::tie(out.words, out.bytes) = std::pair{word_order::low_first, byte_order::high_first};
    else if (text == "BADC")
        std::tie(out.words, out.bytes) = std::pair{word_order::high_first, byte_order::low_first};
    else if (text == "DCBA")
        std::tie(out.words, out.bytes) = std::pair{word_order::low_first, byte_order::low_first};
    else
        return modbus_config_error::invalid_order;
    return {};
}

std::error_code parse_key(std::string_view field, modbus::point& out)
{
    const auto eq = field.find('=');
    if (eq == std::string_view::npos || eq == 0)
        return modbus_config_error::unknown_point_key;
    const auto key = field.substr(0, eq);
    const auto value = field.substr(eq + 1);

    if (key == "order")
        return parse_order(value, out);
    if (key == "unit") {
        out.unit = std::string(value);
        return {};
    }
    if (key == "group") {
        out.poll_group = std::string(value);
        return {};
    }
    bool ok = false;
    if (key == "scale")
        ok = parse_double(value, out.scale);
    else if (key == "offset")
        ok = parse_double(value, out.offset);
    else if (key == "bit")
        ok = parse_integer(value, out.bit) && out.bit <= 15;
    else if (key == "bits")
        ok = parse_integer(value, out.bit_count) && out.bit_count >= 1 && out.bit_count <= 16;
    else
        return modbus_config_error::unknown_point_key;
    return ok ? std::error_code{} : modbus_config_error::invalid_number;
}

} // namespace

const std::error_category& modbus_config_category() noexcept
{
    static const config_category_impl category;
    return category;
}

std::error_code make_error_code(modbus_config_error e) noexcept
{
    return {static_cast<int>(e), modbus_config_category()};
}

std::error_code parse_point(std::string_view metric, std::string_view text, modbus::point& out)
{
    out = modbus::point{};
    if (!valid_metric(metric))
        return modbus_config_error::invalid_metric;
    out.metric = std::string(metric);

    const auto fields = split_fields(text);
    if (fields.size() < 3)
        return modbus_config_error::invalid_point;
    if (auto ec = parse_table(fields[0], out.table))
        return ec;
    if (!parse_integer(fields[1], out.address))
        return modbus_config_error::invalid_address;
    if (auto ec = parse_type(fields[2], out.type))
        return ec;
    for (std::size_t i = 3; i < fields.size(); ++i) {
        if (auto ec = parse_key(fields[i], out))
            return ec;
    }
    return modbus::validate(out);
}

} // namespace citygate::drivers
