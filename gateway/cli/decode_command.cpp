// `citygate decode`: decodes one frame captured on site with the codecs the
// daemon uses, so the verdict is the one the gateway would reach.

#include "gateway/cli/commands.hpp"
#include "gateway/cli/decode_report.hpp"
#include "gateway/cli/exit_codes.hpp"
#include "gateway/cli/i18n.hpp"

#include "protocols/common/hex.hpp"

#include <fmt/format.h>

#include <cctype>
#include <iostream>
#include <optional>
#include <iterator>

namespace citygate::cli {
namespace {

// Hex text beyond this is no single frame: the longest frame decoded here
// (Modbus TCP, 260 bytes) is 780 characters with spaces.
constexpr std::size_t max_input_chars = 64 * 1024;

int usage_error(const std::string& message) {
    std::cerr << _("error: ") << message << '\n'
              << _("Run 'citygate decode --help' for the options.") << std::endl;
    return exit_usage;
}

// Reads standard input up to `limit` characters; false when there was more.
bool read_stdin(std::string& out, std::size_t limit) {
    out.clear();
    char chunk[4096];
    while (std::cin.read(chunk, sizeof(chunk)) || std::cin.gcount() > 0) {
        out.append(chunk, static_cast<std::size_t>(std::cin.gcount()));
        if (out.size() > limit) {
            return false;
        }
    }
    return true;
}

std::string join_arguments(const std::vector<std::string>& arguments) {
    std::string out;
    for (const auto& argument : arguments) {
        out += (out.empty() ? "" : " ") + argument;
    }
    return out;
}

// The first whitespace-separated group of `text` with an odd number of
// characters: a byte split by a space or across arguments ("6 8"), which
// would otherwise be read as one byte.
std::optional<std::string> split_byte_group(std::string_view text) {
    std::size_t start = 0;
    while (start < text.size()) {
        while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start])) != 0) {
            ++start;
        }
        auto end = start;
        while (end < text.size() && std::isspace(static_cast<unsigned char>(text[end])) == 0) {
            ++end;
        }
        if ((end - start) % 2 != 0) {
            return std::string(text.substr(start, end - start));
        }
        start = end;
    }
    return std::nullopt;
}

// Prints a usage error that names the argument, or standard input, with a
// group of hex digits that splits a byte, and returns its exit code.
std::optional<int> check_whole_bytes(const std::vector<std::string>& arguments, const std::string& input) {
    const auto fail = [](const std::string& where, const std::string& group) {
        return usage_error(fmt::format(fmt::runtime(_("{where}: '{group}' has an odd number of hex digits; write "
                                                      "every byte as two digits, e.g. '06' rather than '6'")),
                                       fmt::arg("where", where), fmt::arg("group", group)));
    };
    if (arguments.empty()) {
        const auto group = split_byte_group(input);
        return group ? std::optional<int>(fail(_("standard input"), *group)) : std::nullopt;
    }
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        if (const auto group = split_byte_group(arguments[i])) {
            return fail(fmt::format(fmt::runtime(_("argument {index} ('{argument}')")), fmt::arg("index", i + 1),
                                    fmt::arg("argument", arguments[i])),
                        *group);
        }
    }
    return std::nullopt;
}

direction_choice parse_direction(const std::string& direction) {
    if (direction == "request") {
        return direction_choice::request;
    }
    return direction == "response" ? direction_choice::response : direction_choice::automatic;
}

decode_report decode_input(const decode_options& options, std::span<const std::uint8_t> bytes) {
    if (options.protocol == "cjt188") {
        return decode_cjt188(bytes);
    }
    if (options.protocol == "dlt645") {
        return decode_dlt645(bytes);
    }
    const auto choice = parse_direction(options.direction);
    if (options.protocol == "modbus-tcp") {
        return decode_modbus_tcp(bytes, choice);
    }
    return decode_modbus_rtu(bytes, choice);
}

} // namespace

int run_decode(const decode_options& options) {
    const bool modbus = options.protocol == "modbus-rtu" || options.protocol == "modbus-tcp";
    if (!options.direction.empty() && !modbus) {
        return usage_error(_("--direction applies to modbus-rtu and modbus-tcp only; "
                             "CJ/T 188 and DL/T 645 frames carry their direction in bit 7 of the control code"));
    }

    std::string text = join_arguments(options.hex);
    if (options.hex.empty() && !read_stdin(text, max_input_chars)) {
        return usage_error(fmt::format(fmt::runtime(_("standard input is longer than {limit} characters; "
                                                      "give one frame at a time")),
                                       fmt::arg("limit", max_input_chars)));
    }
    if (const auto split = check_whole_bytes(options.hex, text)) {
        return *split;
    }
    const auto bytes = proto::from_hex(text);
    if (!bytes) {
        return usage_error(_("the frame is not valid hex: give pairs of hex digits such as '68 10 44', "
                             "separated by spaces or not"));
    }
    if (bytes->empty()) {
        return usage_error(_("no frame bytes given: pass them as arguments or on standard input"));
    }

    const auto report = decode_input(options, *bytes);
    if (options.json) {
        std::cout << report_to_json(report).dump() << std::endl;
    } else {
        print_report_text(report, std::cout, std::cerr);
    }
    return report.valid() ? exit_ok : exit_failed;
}

} // namespace citygate::cli
