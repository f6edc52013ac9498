#include "drivers/cjt188/cjt188_driver.hpp"

#include <string>

namespace citygate::drivers {

namespace {

class config_category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.cjt188_config"; }

    std::string message(int value) const override
    {
        switch (static_cast<cjt188_config_error>(value)) {
        case cjt188_config_error::invalid_address:
            return "invalid CJ/T 188 address: expected the 14 hex digits printed on the meter, "
                   "manufacturer code first (e.g. 78330011223344), not the broadcast address AAAAAAAAAAAAAA";
        case cjt188_config_error::invalid_meter_type:
            return "invalid CJ/T 188 option meter_type: expected two hex digits in 10-19 (water), "
                   "20-29 (heat) or 30-39 (gas)";
        case cjt188_config_error::invalid_edition:
            return "invalid CJ/T 188 option edition: expected \"2004\" or \"2018\"";
        case cjt188_config_error::unknown_option:
            return "unknown CJ/T 188 option: only meter_type and edition are read";
        }
        return "unknown CJ/T 188 configuration error";
    }
};

std::optional<std::uint8_t> parse_meter_type(const std::string& text)
{
    if (text.size() != 2)
        return std::nullopt;

    unsigned value = 0;
    for (char c : text) {
        const bool digit = c >= '0' && c <= '9';
        const bool upper = c >= 'A' && c <= 'F';
        const bool lower = c >= 'a' && c <= 'f';
        if (!digit && !upper && !lower)
            return std::nullopt;
        value = value * 16 + static_cast<unsigned>(digit ? c - '0' : (upper ? c - 'A' : c - 'a') + 10);
    }

    const auto type = static_cast<std::uint8_t>(value);
    if (cjt188::classify_meter_type(type) == cjt188::meter_family::other)
        return std::nullopt;
    return type;
}

std::optional<cjt188::edition> parse_edition(const std::string& text)
{
    if (text == "2018")
        return cjt188::edition::v2018;
    if (text == "2004")
        return cjt188::edition::v2004;
    return std::nullopt;
}

std::string option_or(const device_params& params, const std::string& key, std::string fallback)
{
    auto it = params.options.find(key);
    return it == params.options.end() ? fallback : it->second;
}

} // namespace

const std::error_category& cjt188_config_category() noexcept
{
    static const config_category_impl category;
    return category;
}

std::error_code make_error_code(cjt188_config_error e) noexcept
{
    return {static_cast<int>(e), cjt188_config_category()};
}

std::unique_ptr<device_codec> cjt188_driver::make_codec(const device_params& params, std::error_code& error) const
{
    error.clear();
    for (const auto& [key, value] : params.options) {
        if (key != "meter_type" && key != "edition") {
            error = cjt188_config_error::unknown_option;
            return nullptr;
        }
    }

    // Every meter on the bus answers the broadcast address, so a device
    // configured with it would mix the answers of all of them.
    auto addr = cjt188::parse_address(params.address);
    if (!addr || *addr == cjt188::broadcast_address) {
        error = cjt188_config_error::invalid_address;
        return nullptr;
    }

    auto type = parse_meter_type(option_or(params, "meter_type", "10"));
    if (!type) {
        error = cjt188_config_error::invalid_meter_type;
        return nullptr;
    }

    auto ed = parse_edition(option_or(params, "edition", "2018"));
    if (!ed) {
        error = cjt188_config_error::invalid_edition;
        return nullptr;
    }
    return std::make_unique<cjt188_device_codec>(*type, *addr, *ed);
}

cjt188_device_codec::cjt188_device_codec(std::uint8_t meter_type, cjt188::address addr, cjt188::edition ed)
    : meter_type_(meter_type), address_(addr), edition_(ed)
{
}

std::vector<std::uint8_t> cjt188_device_codec::encode_poll(std::size_t) const
{
    // SER stays 0: the driver has no per-poll state, and meters echo it only.
    return cjt188::encode_frame(cjt188::make_read_data_request(meter_type_, address_, edition_, 0));
}

std::error_code cjt188_device_codec::check_reply(const cjt188::reply& r) const
{
    if (r.link.address != address_)
        return cjt188::error::address_mismatch;
    if (cjt188::classify_meter_type(r.link.meter_type) != cjt188::classify_meter_type(meter_type_))
        return cjt188::error::meter_type_mismatch;
    if (!std::holds_alternative<cjt188::read_data_reply>(r.body))
        return cjt188::error::unexpected_control;
    return {};
}

proto::decode_result<poll_answer> cjt188_device_codec::decode_answer(std::size_t,
                                                                     std::span<const std::uint8_t> bytes) const
{
    // The core calls this again with the whole buffer after every read. Counts
    // of one pass reach stats_ only with a final result, because a need_more
    // pass would otherwise count the same line noise once per read.
    cjt188::counters pass;
    auto result = decode_pass(bytes, pass);
    if (!result.needs_more())
        stats_ += pass;
    return result;
}

proto::decode_result<poll_answer> cjt188_device_codec::decode_pass(std::span<const std::uint8_t> bytes,
                                                                   cjt188::counters& pass) const
{
    auto decode = [](std::span<const std::uint8_t> frame, cjt188::counters& stats) {
        return cjt188::decode_reply(frame, stats);
    };
    auto accept = [this](const cjt188::reply& r, poll_answer& out) {
        if (auto ec = check_reply(r))
            return ec;
        out = to_poll_answer(std::get<cjt188::read_data_reply>(r.body).values);
        return std::error_code{};
    };
    return scan_for_reply(bytes, pass, decode, accept);
}

std::error_code cjt188_device_codec::encode_command(std::string_view name, std::string_view value,
                                                    exchange& out) const
{
    if (name != "valve")
        return driver_error::command_not_supported;
    if (value != "open" && value != "close")
        return driver_error::invalid_command_value;

    const auto command = value == "open" ? cjt188::valve_command::open : cjt188::valve_command::close;
    out.request = cjt188::encode_frame(cjt188::make_valve_request(meter_type_, address_, edition_, 0, command));
    out.decode = [address = address_, command](std::span<const std::uint8_t> bytes) {
        return decode_valve_answer(address, command, bytes);
    };
    return {};
}

proto::decode_result<poll_answer> decode_valve_answer(const cjt188::address& address, cjt188::valve_command command,
                                                      std::span<const std::uint8_t> bytes)
{
    // Counted per pass only: the bus counts the rejected answer, and the
    // codec's read-data counters stay about polls.
    cjt188::counters pass;
    auto accept = [&](const cjt188::valve_reply& r, poll_answer& out) {
        if (r.link.address != address)
            return std::error_code(cjt188::error::address_mismatch);
        if (auto ec = cjt188::check_valve_reply(command, r, pass))
            return ec;
        out.values.push_back({"valve", "", std::string(cjt188::to_string(r.status.valve()))});
        return std::error_code{};
    };
    return scan_for_reply(bytes, pass, cjt188::decode_valve_reply, accept);
}

} // namespace citygate::drivers
