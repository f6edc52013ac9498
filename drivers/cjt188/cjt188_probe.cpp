// CJ/T 188 probes: the read-address broadcast (DI 810A to AA..AA) and a
// read-data request (DI 901F) to one address.

#include "drivers/cjt188/cjt188_driver.hpp"
#include "drivers/probe.hpp"

#include <charconv>
#include <string>

namespace citygate::drivers {

namespace {

using probe_result = proto::decode_result<poll_answer>;

std::optional<std::uint8_t> parse_probe_meter_type(const std::string& text)
{
    if (text.empty())
        return std::uint8_t{0x10};
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (text.size() != 2 || ec != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    const auto type = static_cast<std::uint8_t>(value);
    if (cjt188::classify_meter_type(type) == cjt188::meter_family::other)
        return std::nullopt;
    return type;
}

std::string hex_byte(std::uint8_t value)
{
    constexpr char digits[] = "0123456789ABCDEF";
    return {digits[value >> 4], digits[value & 0x0F]};
}

// The answer every CJ/T 188 probe reports: the meter's address, type and edition.
poll_answer found_meter(const cjt188::frame& link, cjt188::edition order)
{
    poll_answer answer;
    answer.values.push_back({std::string(probe_address_metric), "", cjt188::to_string(link.address)});
    answer.values.push_back({std::string(probe_option_prefix) + "meter_type", "", hex_byte(link.meter_type)});
    answer.values.push_back(
        {std::string(probe_option_prefix) + "edition", "", order == cjt188::edition::v2018 ? "2018" : "2004"});
    return answer;
}

// Skips line noise before a start byte, then lets `handle` turn the decoded
// reply (or its failure) into the probe's result.
template <typename Handler>
probe_result decode_skipping_noise(std::span<const std::uint8_t> bytes, Handler handle)
{
    std::size_t skipped = 0;
    for (;;) {
        if (skipped == bytes.size())
            return probe_result::need_more();

        cjt188::counters ignored;
        auto decoded = cjt188::decode_reply(bytes.subspan(skipped), ignored);
        if (decoded.needs_more())
            return probe_result::need_more();
        if (decoded.failed() && decoded.error() == cjt188::error::no_start_byte) {
            skipped += decoded.consumed();
            continue;
        }
        return handle(bytes.subspan(skipped), decoded, skipped);
    }
}

probe_result decode_address_reply(std::span<const std::uint8_t> bytes)
{
    return decode_skipping_noise(bytes, [](std::span<const std::uint8_t>, const auto& decoded, std::size_t skipped) {
        const auto used = skipped + decoded.consumed();
        if (decoded.failed())
            return probe_result::fail(decoded.error(), used);
        const auto& reply = decoded.frame();
        const auto* body = std::get_if<cjt188::read_address_reply>(&reply.body);
        if (body == nullptr)
            return probe_result::fail(cjt188::error::unexpected_control, used);
        return probe_result::ok(found_meter(reply.link, body->di.order), used);
    });
}

probe_result decode_read_reply(const cjt188::address& expected, cjt188::edition requested,
                               std::span<const std::uint8_t> bytes)
{
    return decode_skipping_noise(bytes, [&](std::span<const std::uint8_t> frame_bytes, const auto& decoded,
                                            std::size_t skipped) {
        const auto used = skipped + decoded.consumed();
        if (decoded.failed() && decoded.error() != cjt188::error::abnormal_response)
            return probe_result::fail(decoded.error(), used);

        // An abnormal reply fails decode_reply, but its link frame still
        // shows which meter sent it, and that the meter is there.
        cjt188::counters ignored;
        auto link = cjt188::decode_frame(frame_bytes, ignored);
        if (!link.has_frame() || link.frame().address != expected)
            return probe_result::fail(cjt188::error::address_mismatch, used);

        if (decoded.failed()) {
            auto answer = found_meter(link.frame(), requested);
            answer.values.push_back({std::string(probe_device_error_metric), "", decoded.error().message()});
            return probe_result::ok(std::move(answer), used);
        }
        const auto* body = std::get_if<cjt188::read_data_reply>(&decoded.frame().body);
        if (body == nullptr)
            return probe_result::fail(cjt188::error::unexpected_control, used);

        auto answer = found_meter(link.frame(), body->di.order);
        for (auto& value : to_poll_answer(body->values).values)
            answer.values.push_back(std::move(value));
        return probe_result::ok(std::move(answer), used);
    });
}

} // namespace

std::error_code make_cjt188_probe(const probe_params& params, exchange& out)
{
    cjt188::edition ed = cjt188::edition::v2018;
    if (params.edition == "2004")
        ed = cjt188::edition::v2004;
    else if (!params.edition.empty() && params.edition != "2018")
        return probe_error::invalid_edition;

    const auto type = parse_probe_meter_type(params.meter_type);
    if (!type)
        return probe_error::invalid_meter_type;

    // SER stays 0 as in the driver's polls; meters only echo it.
    if (!params.address) {
        out.request = cjt188::encode_frame(cjt188::make_read_address_request(*type, ed, 0));
        out.decode = decode_address_reply;
        return {};
    }

    auto addr = cjt188::parse_address(*params.address);
    if (!addr || *addr == cjt188::broadcast_address)
        return probe_error::invalid_address;
    out.request = cjt188::encode_frame(cjt188::make_read_data_request(*type, *addr, ed, 0));
    out.decode = [expected = *addr, ed](std::span<const std::uint8_t> bytes) {
        return decode_read_reply(expected, ed, bytes);
    };
    return {};
}

} // namespace citygate::drivers
