#include "drivers/modbus/device_codec.hpp"

#include <charconv>
#include <cmath>
#include <optional>

namespace citygate::drivers {

namespace {

poll_answer to_poll_answer(const std::vector<point_names>& names, const std::vector<modbus::decoded_point>& values)
{
    poll_answer answer;
    answer.values.reserve(values.size());
    for (const auto& decoded : values) {
        const auto& p = names[decoded.index];
        metric_value value{p.metric, p.unit, 0.0};
        if (const auto* flag = std::get_if<bool>(&decoded.value))
            value.value = *flag;
        else
            value.value = std::get<double>(decoded.value);
        answer.values.push_back(std::move(value));
    }
    return answer;
}

std::optional<bool> parse_switch(std::string_view text)
{
    if (text == "on" || text == "true" || text == "1")
        return true;
    if (text == "off" || text == "false" || text == "0")
        return false;
    return std::nullopt;
}

std::optional<double> parse_number(std::string_view text)
{
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

std::string shortest(double value)
{
    char text[32];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
    return ec == std::errc{} ? std::string(text, end) : std::string("?");
}

// Accepted values of a writable register point, e.g. "<number from 0 to
// 6553.5>": the raw range of its type through scale and offset.
std::string value_range(const modbus::point& p)
{
    double low = 0;
    double high = 0;
    switch (p.type) {
    case modbus::value_type::u16: high = 65535; break;
    case modbus::value_type::i16: low = -32768; high = 32767; break;
    case modbus::value_type::u32: high = 4294967295.0; break;
    case modbus::value_type::i32: low = -2147483648.0; high = 2147483647.0; break;
    case modbus::value_type::u64: high = 18446744073709551615.0; break;
    default: return "<number>";
    }
    low = low * p.scale + p.offset;
    high = high * p.scale + p.offset;
    if (low > high)
        std::swap(low, high);
    return "<number from " + shortest(low) + " to " + shortest(high) + ">";
}

bool is_writable(const modbus::point& p)
{
    if (p.table == modbus::table::coil)
        return true;
    return p.table == modbus::table::holding_register && p.type != modbus::value_type::boolean &&
           p.type != modbus::value_type::bit_field;
}

// Builds the write request of a writable point and the value the device
// will report for it.
std::error_code make_write(const modbus::point& p, std::string_view text, modbus::request& req, metric_value& written)
{
    written = metric_value{p.metric, p.unit, 0.0};
    if (p.table == modbus::table::coil) {
        auto on = parse_switch(text);
        if (!on)
            return driver_error::invalid_command_value;
        req = modbus::make_write_single_coil(p.address, *on);
        written.value = *on;
        return {};
    }

    auto number = parse_number(text);
    std::vector<std::uint16_t> registers;
    if (!number || modbus::encode_registers(p, *number, registers))
        return driver_error::invalid_command_value;
    modbus::point_value stored;
    if (modbus::decode_registers(p, registers, stored))
        return driver_error::invalid_command_value;
    written.value = std::get<double>(stored);

    if (registers.size() == 1)
        req = modbus::make_write_single_register(p.address, registers[0]);
    else
        req = modbus::make_write_multiple_registers(p.address, std::move(registers));
    return {};
}

// Passes on the late replies the framing skipped, which the bus counts.
proto::decode_result<poll_answer> with_skipped(proto::decode_result<poll_answer> out,
                                               const proto::decode_result<modbus::response>& decoded)
{
    out.set_skipped(decoded.skipped());
    return out;
}

} // namespace

void name_points(modbus_register_plan& plan)
{
    plan.names.clear();
    plan.names.reserve(plan.points.size());
    for (const auto& p : plan.points)
        plan.names.push_back(point_names{p.metric, p.unit});
}

modbus_device_codec::modbus_device_codec(std::shared_ptr<const modbus_framing> framing,
                                         std::vector<modbus::point> points, std::vector<modbus::read_block> blocks)
    : modbus_device_codec(std::move(framing), [&] {
          auto plan = std::make_shared<modbus_register_plan>(
              modbus_register_plan{std::move(points), std::move(blocks), {}});
          name_points(*plan);
          return plan;
      }())
{
}

modbus_device_codec::modbus_device_codec(std::shared_ptr<const modbus_framing> framing,
                                         std::shared_ptr<const modbus_register_plan> plan)
    : framing_(std::move(framing)),
      plan_(std::move(plan)),
      points_(plan_->points),
      blocks_(plan_->blocks),
      step_transactions_(blocks_.size(), 0),
      stats_(std::make_shared<modbus::counters>())
{
}

std::vector<std::uint8_t> modbus_device_codec::encode_poll(std::size_t step) const
{
    std::vector<std::uint8_t> pdu;
    // plan_blocks keeps every block within the read limits, so encoding cannot fail.
    modbus::encode_request_pdu(modbus::make_block_request(blocks_[step]), pdu);
    return framing_->wrap(pdu, step_transactions_[step]);
}

proto::decode_result<poll_answer> modbus_device_codec::decode_answer(std::size_t step,
                                                                     std::span<const std::uint8_t> bytes) const
{
    using result = proto::decode_result<poll_answer>;
    const auto& block = blocks_[step];

    // The core calls again with the whole buffer after every read, so the
    // counts of a need_more pass are dropped to avoid counting twice.
    modbus::counters pass;
    auto decoded = framing_->unwrap(bytes, step_transactions_[step], modbus::make_block_request(block), pass);
    if (decoded.needs_more())
        return with_skipped(result::need_more(), decoded);
    *stats_ += pass;
    if (decoded.failed())
        return with_skipped(result::fail(decoded.error(), decoded.consumed()), decoded);

    std::vector<modbus::decoded_point> values;
    if (auto ec = modbus::decode_block(points_, block, decoded.frame(), values))
        return with_skipped(result::fail(ec, decoded.consumed()), decoded);
    return with_skipped(result::ok(to_poll_answer(plan_->names, values), decoded.consumed()), decoded);
}

const modbus::point* modbus_device_codec::find_point(std::string_view metric) const
{
    for (const auto& p : points_) {
        if (p.metric == metric)
            return &p;
    }
    return nullptr;
}

std::error_code modbus_device_codec::encode_command(std::string_view name, std::string_view value,
                                                    exchange& out) const
{
    const auto* p = find_point(name);
    if (p == nullptr || !is_writable(*p))
        return driver_error::command_not_supported;

    modbus::request req;
    metric_value written;
    if (auto ec = make_write(*p, value, req, written))
        return ec;
    std::vector<std::uint8_t> pdu;
    if (modbus::encode_request_pdu(req, pdu))
        return driver_error::invalid_command_value;

    // The id is shared with encode_again, which a retry calls for a new one.
    auto transaction = std::make_shared<std::uint16_t>(0);
    out.request = framing_->wrap(pdu, *transaction);
    out.encode_again = [framing = framing_, pdu, transaction] { return framing->wrap(pdu, *transaction); };
    out.decode = [framing = framing_, stats = stats_, req = std::move(req), transaction,
                  written = std::move(written)](std::span<const std::uint8_t> bytes) {
        using result = proto::decode_result<poll_answer>;
        modbus::counters pass;
        auto decoded = framing->unwrap(bytes, *transaction, req, pass);
        if (decoded.needs_more())
            return with_skipped(result::need_more(), decoded);
        *stats += pass;
        if (decoded.failed())
            return with_skipped(result::fail(decoded.error(), decoded.consumed()), decoded);
        // unwrap checked the echo (05, 06) or the address and quantity (10).
        poll_answer answer;
        answer.values.push_back(written);
        return with_skipped(result::ok(std::move(answer), decoded.consumed()), decoded);
    };
    return {};
}

std::vector<std::string> modbus_device_codec::commands() const
{
    std::vector<std::string> out;
    for (const auto& p : points_) {
        if (!is_writable(p))
            continue;
        out.push_back(p.metric + "=" + (p.table == modbus::table::coil ? std::string("on|off") : value_range(p)));
    }
    return out;
}

} // namespace citygate::drivers
