#include "gateway/cli/scan_range.hpp"

#include "gateway/cli/i18n.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace citygate::cli {

namespace {

bool all_of(std::string_view text, bool (*accept)(char)) {
    return !text.empty() && std::all_of(text.begin(), text.end(), accept);
}

bool is_decimal(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

std::optional<std::uint64_t> parse_number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

std::pair<std::string, std::string> split_range(std::string_view text) {
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) {
        return {std::string(text), std::string(text)};
    }
    return {std::string(text.substr(0, dash)), std::string(text.substr(dash + 1))};
}

std::string too_many(std::string_view text, std::uint64_t count, std::size_t max_addresses) {
    return fmt::format(fmt::runtime(_("the range {range} has {count} addresses, more than the {max} one scan may "
                                      "probe; split it into smaller ranges")),
                       fmt::arg("range", text), fmt::arg("count", count), fmt::arg("max", max_addresses));
}

std::optional<std::vector<std::string>> expand_unit_ids(std::string_view text, std::size_t max_addresses,
                                                        std::string& error) {
    const auto [first_text, last_text] = split_range(text);
    const auto first = parse_number(first_text);
    const auto last = parse_number(last_text);
    if (!first || !last || *first < 1 || *last > 247 || *first > *last) {
        error = fmt::format(fmt::runtime(_("invalid Modbus range \"{range}\": expected unit ids FIRST-LAST in "
                                           "1-247, e.g. 1-247")),
                            fmt::arg("range", text));
        return std::nullopt;
    }
    if (*last - *first + 1 > max_addresses) {
        error = too_many(text, *last - *first + 1, max_addresses);
        return std::nullopt;
    }

    std::vector<std::string> out;
    for (auto unit = *first; unit <= *last; ++unit) {
        out.push_back(std::to_string(unit));
    }
    return out;
}

// Both ends share a prefix and differ in a decimal tail that is counted up.
std::optional<std::vector<std::string>> expand_meter_addresses(std::string_view text, std::size_t digits,
                                                               bool (*accept)(char), std::size_t max_addresses,
                                                               std::string& error) {
    auto [first, last] = split_range(text);
    std::transform(first.begin(), first.end(), first.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
    std::transform(last.begin(), last.end(), last.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
    if (first.size() != digits || last.size() != digits || !all_of(first, accept) || !all_of(last, accept)) {
        return std::nullopt;
    }

    const auto differ = static_cast<std::size_t>(std::mismatch(first.begin(), first.end(), last.begin()).first -
                                                 first.begin());
    const auto tail_first = std::string_view(first).substr(std::min(differ, digits - 1));
    const auto tail_last = std::string_view(last).substr(std::min(differ, digits - 1));
    // from_chars reads decimal digits only, so a hex digit in a tail fails here.
    const auto low = parse_number(tail_first);
    const auto high = parse_number(tail_last);
    if (!low || !high || *low > *high) {
        error = fmt::format(fmt::runtime(_("invalid range \"{range}\": the first address must not be above the "
                                           "last, and both may differ only in their decimal last digits")),
                            fmt::arg("range", text));
        return std::nullopt;
    }
    if (*high - *low + 1 > max_addresses) {
        error = too_many(text, *high - *low + 1, max_addresses);
        return std::nullopt;
    }

    const std::string prefix = first.substr(0, digits - tail_first.size());
    std::vector<std::string> out;
    for (auto number = *low; number <= *high; ++number) {
        out.push_back(prefix + fmt::format("{:0{}}", number, tail_first.size()));
    }
    return out;
}

} // namespace

std::optional<std::vector<std::string>> expand_scan_range(std::string_view protocol, std::string_view text,
                                                          std::size_t max_addresses, std::string& error) {
    if (protocol == "modbus") {
        return expand_unit_ids(text, max_addresses, error);
    }

    const bool dlt645 = protocol == "dlt645";
    auto addresses = expand_meter_addresses(text, dlt645 ? 12 : 14, dlt645 ? is_decimal : is_hex, max_addresses, error);
    if (!addresses && error.empty()) {
        error = dlt645 ? fmt::format(fmt::runtime(_("invalid DL/T 645 range \"{range}\": expected FIRST-LAST of 12 "
                                                    "decimal digits each, e.g. 000000000001-000000000050")),
                                     fmt::arg("range", text))
                       : fmt::format(fmt::runtime(_("invalid CJ/T 188 range \"{range}\": expected FIRST-LAST of 14 "
                                                    "hex digits each, e.g. 78330000000001-78330000000050")),
                                     fmt::arg("range", text));
    }
    if (addresses && dlt645) {
        // 99..99 is the broadcast address of commands without a reply.
        std::erase(*addresses, std::string(12, '9'));
    }
    return addresses;
}

} // namespace citygate::cli
