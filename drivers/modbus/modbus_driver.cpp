#include "drivers/modbus/modbus_driver.hpp"

#include "protocols/modbus/rtu.hpp"

#include <charconv>
#include <string_view>

namespace citygate::drivers {

namespace {

constexpr std::string_view point_prefix = "point.";

std::optional<unsigned> parse_unsigned(const std::string& text)
{
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
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

poll_answer to_poll_answer(const std::vector<modbus::point>& points, const std::vector<modbus::decoded_point>& values)
{
    poll_answer answer;
    for (const auto& decoded : values) {
        const auto& p = points[decoded.index];
        metric_value value{p.metric, p.unit, 0.0};
        if (const auto* flag = std::get_if<bool>(&decoded.value))
            value.value = *flag;
        else
            value.value = std::get<double>(decoded.value);
        answer.values.push_back(std::move(value));
    }
    return answer;
}

} // namespace

std::unique_ptr<device_codec> modbus_rtu_driver::make_codec(const device_params& params, std::error_code& error) const
{
    error.clear();
    auto unit = parse_unsigned(params.address);
    if (!unit || *unit < 1 || *unit > 247) {
        error = modbus_config_error::invalid_unit_id;
        return nullptr;
    }

    device_params merged = params;
    if (auto it = params.options.find("template"); it != params.options.end()) {
        if ((error = load_template(template_dir_, it->second, merged.options)))
            return nullptr;
    }

    modbus::block_limits limits;
    std::vector<modbus::point> points;
    std::vector<modbus::read_block> blocks;
    if ((error = parse_limits(merged, limits)) || (error = parse_points(merged, points)) ||
        (error = modbus::plan_blocks(points, limits, blocks)))
        return nullptr;
    return std::make_unique<modbus_rtu_device_codec>(static_cast<std::uint8_t>(*unit), std::move(points),
                                                     std::move(blocks));
}

modbus_rtu_device_codec::modbus_rtu_device_codec(std::uint8_t unit, std::vector<modbus::point> points,
                                                 std::vector<modbus::read_block> blocks)
    : unit_(unit), points_(std::move(points)), blocks_(std::move(blocks))
{
}

std::vector<std::uint8_t> modbus_rtu_device_codec::encode_poll(std::size_t step) const
{
    std::vector<std::uint8_t> pdu;
    // plan_blocks keeps every block within the read limits, so encoding cannot fail.
    modbus::encode_request_pdu(modbus::make_block_request(blocks_[step]), pdu);
    return modbus::encode_rtu(unit_, pdu);
}

proto::decode_result<poll_answer> modbus_rtu_device_codec::decode_answer(std::size_t step,
                                                                        std::span<const std::uint8_t> bytes) const
{
    using result = proto::decode_result<poll_answer>;
    const auto& block = blocks_[step];

    // The core calls again with the whole buffer after every read, so the
    // counts of a need_more pass are dropped to avoid counting twice.
    modbus::counters pass;
    auto decoded = modbus::decode_rtu_response(bytes, unit_, modbus::make_block_request(block), pass);
    if (decoded.needs_more())
        return result::need_more();
    stats_ += pass;
    if (decoded.failed())
        return result::fail(decoded.error(), decoded.consumed());

    std::vector<modbus::decoded_point> values;
    if (auto ec = modbus::decode_block(points_, block, decoded.frame(), values))
        return result::fail(ec, decoded.consumed());
    return result::ok(to_poll_answer(points_, values), decoded.consumed());
}

} // namespace citygate::drivers
