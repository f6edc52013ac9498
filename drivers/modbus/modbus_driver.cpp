#include "drivers/modbus/modbus_driver.hpp"

#include <charconv>
#include <optional>
#include <string_view>

namespace citygate::drivers {

namespace {

constexpr std::string_view point_prefix = "point.";

std::optional<unsigned> parse_unsigned(const std::string& text)
{
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// Reads max_block and max_gap into `limits`; other non-point options are errors.
std::error_code parse_limits(const device_params& params, modbus::block_limits& limits)
{
    for (const auto& [key, value] : params.options) {
        if (key.starts_with(point_prefix) || key == "template")
            continue;
        auto number = parse_unsigned(value);
        if (key == "max_block") {
            if (!number || *number < 1 || *number > modbus::max_read_registers)
                return modbus_config_error::invalid_max_block;
            limits.max_registers = static_cast<std::uint16_t>(*number);
        } else if (key == "max_gap") {
            if (!number || *number >= modbus::max_read_registers)
                return modbus_config_error::invalid_max_gap;
            limits.max_gap = static_cast<std::uint16_t>(*number);
        } else {
            return modbus_config_error::unknown_option;
        }
    }
    return {};
}

std::error_code parse_points(const device_params& params, std::vector<modbus::point>& points)
{
    for (const auto& [key, value] : params.options) {
        if (!key.starts_with(point_prefix))
            continue;
        modbus::point p;
        if (auto ec = parse_point(std::string_view(key).substr(point_prefix.size()), value, p))
            return ec;
        points.push_back(std::move(p));
    }
    return points.empty() ? std::error_code(modbus_config_error::no_points) : std::error_code{};
}

} // namespace

std::unique_ptr<device_codec> modbus_driver_base::make_codec(const device_params& params, std::error_code& error) const
{
    error.clear();
    std::uint8_t unit = 0;
    if ((error = parse_unit(params.address, unit)))
        return nullptr;

    device_params merged = params;
    if (auto it = params.options.find("template"); it != params.options.end()) {
        if ((error = load_template(template_dir_, it->second, merged.options)))
            return nullptr;
    }

    modbus::block_limits limits;
    modbus_register_plan plan;
    if ((error = parse_limits(merged, limits)) || (error = parse_points(merged, plan.points)) ||
        (error = modbus::plan_blocks(plan.points, limits, plan.blocks)))
        return nullptr;
    return std::make_unique<modbus_device_codec>(make_framing(unit), share_plan(merged.options, std::move(plan)));
}

// The options fully determine the plan, so they are its key: devices with
// the same template and overrides get the same plan object.
std::shared_ptr<const modbus_register_plan> modbus_driver_base::share_plan(
    const std::map<std::string, std::string>& options, modbus_register_plan plan) const
{
    std::string key;
    for (const auto& [name, value] : options) {
        key += name;
        key += '\0';
        key += value;
        key += '\0';
    }

    std::lock_guard lock(plans_mutex_);
    if (auto shared = plans_[key].lock())
        return shared;
    std::erase_if(plans_, [](const auto& entry) { return entry.second.expired(); });
    plan.points.shrink_to_fit();
    name_points(plan);
    auto shared = std::make_shared<const modbus_register_plan>(std::move(plan));
    plans_[key] = shared;
    return shared;
}

std::error_code modbus_rtu_driver::parse_unit(const std::string& address, std::uint8_t& unit) const
{
    auto number = parse_unsigned(address);
    if (!number || *number < 1 || *number > 247)
        return modbus_config_error::invalid_unit_id;
    unit = static_cast<std::uint8_t>(*number);
    return {};
}

std::shared_ptr<const modbus_framing> modbus_rtu_driver::make_framing(std::uint8_t unit) const
{
    return std::make_shared<modbus_rtu_framing>(unit);
}

std::error_code modbus_tcp_driver::parse_unit(const std::string& address, std::uint8_t& unit) const
{
    auto number = parse_unsigned(address);
    if (!number || *number > 255)
        return modbus_config_error::invalid_tcp_unit_id;
    unit = static_cast<std::uint8_t>(*number);
    return {};
}

std::shared_ptr<const modbus_framing> modbus_tcp_driver::make_framing(std::uint8_t unit) const
{
    // Devices behind one gateway share a connection, and starting their
    // transaction ids 256 apart keeps a late reply of one from carrying the
    // id the next expects; unwrap() checks the unit id as well.
    return std::make_shared<modbus_tcp_framing>(unit, static_cast<std::uint16_t>(unit << 8));
}

} // namespace citygate::drivers
