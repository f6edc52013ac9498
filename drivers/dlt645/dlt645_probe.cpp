// DL/T 645 probes: the read-address broadcast (C = 13H in 2007, DI C032 in
// 1997, both to AA..AA) and a read of total forward active energy from one
// address.

#include "drivers/probe.hpp"
#include "protocols/dlt645/codec.hpp"

#include <string>

namespace citygate::drivers {

namespace {

using probe_result = proto::decode_result<poll_answer>;

std::string edition_text(dlt645::edition ed)
{
    return ed == dlt645::edition::v2007 ? "2007" : "1997";
}

// The answer every DL/T 645 probe reports: the meter's address and edition.
poll_answer found_meter(const dlt645::frame& link, dlt645::edition ed)
{
    poll_answer answer;
    answer.values.push_back({std::string(probe_address_metric), "", dlt645::to_string(link.address)});
    answer.values.push_back({std::string(probe_option_prefix) + "edition", "", edition_text(ed)});
    return answer;
}

// Skips line noise before a start byte, then decodes one reply. `handle`
// turns a decoded reply (or its failure) into the probe's result.
template <typename Handler>
probe_result decode_skipping_noise(std::span<const std::uint8_t> bytes, Handler handle)
{
    std::size_t skipped = 0;
    for (;;) {
        if (skipped == bytes.size())
            return probe_result::need_more();

        dlt645::counters ignored;
        auto decoded = dlt645::decode_reply(bytes.subspan(skipped), ignored);
        if (decoded.needs_more())
            return probe_result::need_more();
        if (decoded.failed() && decoded.error() == dlt645::error::no_start_byte) {
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
        // Both the 2007 reply (C = 93H) and the 1997 C032 read reply carry
        // the meter's own address in the link address.
        const auto& reply = decoded.frame();
        return probe_result::ok(found_meter(reply.link, reply.edition), used);
    });
}

// Adds the energy value of a read reply; other replies add nothing.
void add_reading(const dlt645::reply& reply, poll_answer& answer)
{
    double value = 0;
    const dlt645::quantity* which = nullptr;
    if (!std::holds_alternative<dlt645::read_reply>(reply.body) || dlt645::decode_reading(reply, value, which))
        return;
    const auto& format = reply.edition == dlt645::edition::v2007 ? which->format_2007 : which->format_1997;
    answer.values.push_back({std::string(which->metric), std::string(format.unit), value});
}

probe_result decode_read_reply(const dlt645::address& expected, std::span<const std::uint8_t> bytes)
{
    return decode_skipping_noise(bytes, [&expected](std::span<const std::uint8_t> frame_bytes, const auto& decoded,
                                                    std::size_t skipped) {
        const auto used = skipped + decoded.consumed();
        if (decoded.failed() && decoded.error().category() != dlt645::meter_error_category())
            return probe_result::fail(decoded.error(), used);

        // An abnormal reply fails decode_reply, but its link frame still
        // shows which meter sent it, and that the meter is there.
        dlt645::counters ignored;
        auto link = dlt645::decode_frame(frame_bytes, ignored);
        if (!link.has_frame() || link.frame().address != expected)
            return probe_result::fail(dlt645::error::address_mismatch, used);

        const auto edition = decoded.has_frame() ? decoded.frame().edition
                             : (link.frame().control & dlt645::ctrl_function_mask) == dlt645::ctrl_read_data_1997
                                 ? dlt645::edition::v1997
                                 : dlt645::edition::v2007;
        auto answer = found_meter(link.frame(), edition);
        if (decoded.failed())
            answer.values.push_back({std::string(probe_device_error_metric), "", decoded.error().message()});
        else
            add_reading(decoded.frame(), answer);
        return probe_result::ok(std::move(answer), used);
    });
}

} // namespace

std::error_code make_dlt645_probe(const probe_params& params, exchange& out)
{
    dlt645::edition ed = dlt645::edition::v2007;
    if (params.edition == "1997")
        ed = dlt645::edition::v1997;
    else if (!params.edition.empty() && params.edition != "2007")
        return probe_error::invalid_edition;

    if (!params.address) {
        out.request = dlt645::encode_frame(dlt645::make_read_address_request(ed));
        out.decode = decode_address_reply;
        return {};
    }

    // 99..99 is the broadcast of commands without a reply, so no meter
    // would answer a read sent to it.
    auto addr = dlt645::parse_address(*params.address);
    if (!addr || *addr == dlt645::broadcast_address)
        return probe_error::invalid_address;

    const auto* energy = dlt645::find_quantity("energy_import");
    const auto di = ed == dlt645::edition::v2007 ? energy->di_2007 : energy->di_1997;
    out.request = dlt645::encode_frame(dlt645::make_read_request(ed, *addr, *di));
    out.decode = [expected = *addr](std::span<const std::uint8_t> bytes) { return decode_read_reply(expected, bytes); };
    return {};
}

} // namespace citygate::drivers
