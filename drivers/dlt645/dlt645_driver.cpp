#include "drivers/dlt645/dlt645_driver.hpp"
#include "protocols/common/civil_time.hpp"

#include <algorithm>
#include <string>

namespace citygate::drivers {

namespace {

class config_category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.dlt645_config"; }

    std::string message(int value) const override
    {
        switch (static_cast<dlt645_config_error>(value)) {
        case dlt645_config_error::invalid_address:
            return "invalid DL/T 645 address: expected the 12 decimal digits printed on the meter "
                   "(e.g. 000000000161)";
        case dlt645_config_error::invalid_edition:
            return "invalid DL/T 645 option edition: expected \"2007\" or \"1997\"";
        case dlt645_config_error::unknown_quantity:
            return "invalid DL/T 645 option read: expected a metric such as energy_import, voltage_a, "
                   "current_a, power_active, power_factor";
        case dlt645_config_error::quantity_not_in_edition:
            return "invalid DL/T 645 option read: the metric has no data identifier in the configured edition";
        case dlt645_config_error::unknown_option:
            return "unknown DL/T 645 option: only edition and read are read";
        case dlt645_config_error::too_many_quantities:
            return "invalid DL/T 645 option read: at most 64 metrics per device";
        case dlt645_config_error::duplicate_quantity:
            return "invalid DL/T 645 option read: a metric is listed twice";
        }
        return "unknown DL/T 645 configuration error";
    }
};

std::string option_or(const device_params& params, const std::string& key, std::string fallback)
{
    auto it = params.options.find(key);
    return it == params.options.end() ? fallback : it->second;
}

std::optional<dlt645::edition> parse_edition(const std::string& text)
{
    if (text == "2007")
        return dlt645::edition::v2007;
    if (text == "1997")
        return dlt645::edition::v1997;
    return std::nullopt;
}

const std::optional<dlt645::data_id>& di_in(const dlt645::quantity& q, dlt645::edition ed)
{
    return ed == dlt645::edition::v2007 ? q.di_2007 : q.di_1997;
}

std::string_view trim(std::string_view text)
{
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ')
        text.remove_suffix(1);
    return text;
}

// Parses the "read" option: "all", or metric names separated by commas.
// On an error, `offending` is the metric name at fault (empty for an
// empty list).
std::error_code parse_read_list(std::string_view list, dlt645::edition ed,
                                std::vector<const dlt645::quantity*>& out, std::string& offending)
{
    if (trim(list) == "all") {
        for (const auto& q : dlt645::quantities())
            if (di_in(q, ed))
                out.push_back(&q);
        return {};
    }

    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto name = trim(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);

        offending = std::string(name);
        const auto* q = dlt645::find_quantity(name);
        if (q == nullptr)
            return dlt645_config_error::unknown_quantity;
        if (!di_in(*q, ed))
            return dlt645_config_error::quantity_not_in_edition;
        if (std::find(out.begin(), out.end(), q) != out.end())
            return dlt645_config_error::duplicate_quantity;
        if (out.size() == max_dlt645_quantities)
            return dlt645_config_error::too_many_quantities;
        out.push_back(q);
    }
    offending.clear();
    return out.empty() ? std::error_code(dlt645_config_error::unknown_quantity) : std::error_code{};
}

std::string quoted(std::string_view text)
{
    return "\"" + std::string(text) + "\"";
}

// Metric names of `ed`, comma-separated, for error messages.
std::string metrics_of(dlt645::edition ed)
{
    std::string out;
    for (const auto& q : dlt645::quantities())
        if (di_in(q, ed))
            out += (out.empty() ? "" : ", ") + std::string(q.metric);
    return out;
}

// Message for an error of the "read" option, naming the metric at fault.
std::string describe_read_error(const std::string& list, std::optional<dlt645::edition> ed, std::error_code error)
{
    if (!ed)
        return error.message();
    std::vector<const dlt645::quantity*> ignored;
    std::string offending;
    parse_read_list(list, *ed, ignored, offending);

    const auto edition_name = *ed == dlt645::edition::v2007 ? "2007" : "1997";
    const auto expected = std::string("; expected \"all\" or a comma-separated list of the metrics of edition ") +
                          edition_name + ": " + metrics_of(*ed);
    switch (static_cast<dlt645_config_error>(error.value())) {
    case dlt645_config_error::unknown_quantity:
        if (offending.empty())
            return "invalid DL/T 645 option read " + quoted(list) + ": no metric listed" + expected;
        return "invalid DL/T 645 option read: unknown metric " + quoted(offending) + expected;
    case dlt645_config_error::quantity_not_in_edition:
        return "invalid DL/T 645 option read: metric " + quoted(offending) +
               " has no data identifier in edition " + edition_name + expected;
    case dlt645_config_error::duplicate_quantity:
        return "invalid DL/T 645 option read: metric " + quoted(offending) + " is listed twice";
    case dlt645_config_error::too_many_quantities:
        return "invalid DL/T 645 option read: more than " + std::to_string(max_dlt645_quantities) +
               " metrics listed, from " + quoted(offending) + " on";
    default:
        return error.message();
    }
}

// Meters keep local time, so the broadcast carries the gateway's local time.
// The fields come from 64-bit milliseconds, not localtime_r, because a
// 32-bit time_t (Debian 12 armhf) ends in 2038.
std::optional<dlt645::meter_time> local_time_of(std::int64_t unix_ms)
{
    const auto local = proto::local_civil_time_of(unix_ms);
    if (!local)
        return std::nullopt;
    return dlt645::meter_time{local->year, local->month, local->day, local->hour, local->minute, local->second};
}

} // namespace

const std::error_category& dlt645_config_category() noexcept
{
    static const config_category_impl category;
    return category;
}

std::error_code make_error_code(dlt645_config_error e) noexcept
{
    return {static_cast<int>(e), dlt645_config_category()};
}

std::unique_ptr<device_codec> dlt645_driver::make_codec(const device_params& params, std::error_code& error) const
{
    error.clear();
    for (const auto& [key, value] : params.options) {
        if (key != "edition" && key != "read") {
            error = dlt645_config_error::unknown_option;
            return nullptr;
        }
    }

    auto addr = dlt645::parse_address(params.address);
    if (!addr) {
        error = dlt645_config_error::invalid_address;
        return nullptr;
    }
    auto ed = parse_edition(option_or(params, "edition", "2007"));
    if (!ed) {
        error = dlt645_config_error::invalid_edition;
        return nullptr;
    }

    std::vector<const dlt645::quantity*> what;
    std::string offending;
    if ((error = parse_read_list(option_or(params, "read", "energy_import"), *ed, what, offending)))
        return nullptr;
    return std::make_unique<dlt645_device_codec>(*addr, *ed, std::move(what));
}

std::string dlt645_driver::describe_config_error(const device_params& params, std::error_code error) const
{
    if (error.category() != dlt645_config_category())
        return error.message();

    const auto edition_text = option_or(params, "edition", "2007");
    switch (static_cast<dlt645_config_error>(error.value())) {
    case dlt645_config_error::invalid_address:
        return "invalid DL/T 645 address " + quoted(params.address) +
               ": expected the 12 decimal digits printed on the meter (e.g. 000000000161)";
    case dlt645_config_error::invalid_edition:
        return "invalid DL/T 645 option edition " + quoted(edition_text) + ": expected \"2007\" or \"1997\"";
    case dlt645_config_error::unknown_option:
        for (const auto& [key, value] : params.options)
            if (key != "edition" && key != "read")
                return "unknown DL/T 645 option " + quoted(key) + ": expected edition or read";
        break;
    default:
        break;
    }
    return describe_read_error(option_or(params, "read", "energy_import"), parse_edition(edition_text), error);
}

std::optional<std::vector<std::uint8_t>> dlt645_driver::encode_time_sync(std::int64_t unix_ms) const
{
    auto local = local_time_of(unix_ms);
    if (!local)
        return std::nullopt;
    auto frame = dlt645::make_time_sync(*local);
    if (!frame)
        return std::nullopt;
    return dlt645::encode_frame(*frame);
}

dlt645_device_codec::dlt645_device_codec(dlt645::address addr, dlt645::edition ed,
                                         std::vector<const dlt645::quantity*> what)
    : address_(addr), edition_(ed), quantities_(std::move(what))
{
    for (const auto* q : quantities_)
        dis_.push_back(di_in(*q, ed).value_or(0));
}

std::vector<std::uint8_t> dlt645_device_codec::encode_poll(std::size_t step) const
{
    return dlt645::encode_frame(dlt645::make_read_request(edition_, address_, dis_[step]));
}

std::error_code dlt645_device_codec::to_answer(std::size_t step, const dlt645::reply& r, poll_answer& out) const
{
    if (r.edition != edition_)
        return dlt645::error::edition_mismatch;
    const auto* body = std::get_if<dlt645::read_reply>(&r.body);
    if (body == nullptr)
        return dlt645::error::unexpected_control;
    if (body->di != dis_[step])
        return dlt645::error::di_mismatch;

    double value = 0;
    const dlt645::quantity* which = nullptr;
    if (auto ec = dlt645::decode_reading(r, value, which))
        return ec;
    const auto& format = edition_ == dlt645::edition::v2007 ? which->format_2007 : which->format_1997;
    out.values.push_back({std::string(which->metric), std::string(format.unit), value});
    return {};
}

proto::decode_result<poll_answer> dlt645_device_codec::decode_answer(std::size_t step,
                                                                     std::span<const std::uint8_t> bytes) const
{
    // The core calls this again with the whole buffer after every read. Counts
    // of one pass reach stats_ only with a final result, because a need_more
    // pass would otherwise count the same line noise once per read.
    dlt645::counters pass;
    auto result = decode_pass(step, bytes, pass);
    if (!result.needs_more())
        stats_ += pass;
    return result;
}

proto::decode_result<poll_answer> dlt645_device_codec::decode_pass(std::size_t step,
                                                                   std::span<const std::uint8_t> bytes,
                                                                   dlt645::counters& pass) const
{
    using result = proto::decode_result<poll_answer>;
    std::size_t skipped = 0;

    for (;;) {
        // Noise without a start byte (e.g. from the transceiver turning the
        // line around) is skipped; the reply may still follow in a later read.
        if (skipped == bytes.size())
            return result::need_more();

        auto decoded = dlt645::decode_reply_from(&address_, bytes.subspan(skipped), pass);
        if (decoded.needs_more())
            return result::need_more();

        // NOTE: a framing error (e.g. a stray 68 in the noise) fails the
        // attempt without rescanning the rest; the core's retry covers it.
        if (decoded.failed() && decoded.error() == dlt645::error::no_start_byte) {
            skipped += decoded.consumed();
            continue;
        }
        if (decoded.failed())
            return result::fail(decoded.error(), skipped + decoded.consumed());

        poll_answer answer;
        if (auto ec = to_answer(step, decoded.frame(), answer)) {
            pass.count(ec);
            return result::fail(ec, skipped + decoded.consumed());
        }
        return result::ok(std::move(answer), skipped + decoded.consumed());
    }
}

} // namespace citygate::drivers
