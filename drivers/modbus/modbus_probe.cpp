// Modbus RTU probe: read holding register 0 of one unit id. Modbus has no
// read-address broadcast, because slaves never answer unit id 0.

#include "drivers/probe.hpp"
#include "protocols/modbus/rtu.hpp"

#include <charconv>
#include <string>

namespace citygate::drivers {

namespace {

using probe_result = proto::decode_result<poll_answer>;

probe_result decode_probe_reply(std::uint8_t unit, const modbus::request& request, std::span<const std::uint8_t> bytes)
{
    modbus::counters ignored;
    auto decoded = modbus::decode_rtu_response(bytes, unit, request, ignored);
    if (decoded.needs_more())
        return probe_result::need_more();

    // An exception reply (e.g. ILLEGAL DATA ADDRESS from a device without
    // register 0) comes from a live slave with this unit id.
    const bool exception = decoded.failed() && decoded.error().category() == modbus::exception_category();
    if (decoded.failed() && !exception)
        return probe_result::fail(decoded.error(), decoded.consumed());

    poll_answer answer;
    answer.values.push_back({std::string(probe_address_metric), "", std::to_string(unit)});
    if (exception)
        answer.values.push_back({std::string(probe_device_error_metric), "",
                                 std::string(modbus::exception_name(static_cast<std::uint8_t>(decoded.error().value())))});
    else
        answer.values.push_back({"holding_0", "", static_cast<double>(decoded.frame().registers.at(0))});
    return probe_result::ok(std::move(answer), decoded.consumed());
}

} // namespace

std::error_code make_modbus_probe(const probe_params& params, exchange& out)
{
    if (!params.address)
        return probe_error::broadcast_not_supported;
    if (!params.edition.empty() || !params.meter_type.empty())
        return probe_error::invalid_edition;

    unsigned unit = 0;
    const auto& text = *params.address;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), unit);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || unit < 1 || unit > 247)
        return probe_error::invalid_address;

    const auto request = modbus::make_read_request(modbus::function_code::read_holding_registers, 0, 1);
    std::vector<std::uint8_t> pdu;
    modbus::encode_request_pdu(request, pdu);
    out.request = modbus::encode_rtu(static_cast<std::uint8_t>(unit), pdu);
    out.decode = [unit = static_cast<std::uint8_t>(unit), request](std::span<const std::uint8_t> bytes) {
        return decode_probe_reply(unit, request, bytes);
    };
    return {};
}

} // namespace citygate::drivers
