#include "gateway/cli/parse_errors.hpp"

#include "gateway/cli/i18n.hpp"

#include <fmt/format.h>

#include <regex>

namespace citygate::cli {

namespace {

// CLI11 2.1.2 wording, from CLI/Error.hpp: RequiredError, ExtrasError,
// ValidationError of CLI::IsMember and ArgumentMismatch::AtLeast.
std::string translate_required(const std::string& text)
{
    if (text == "A subcommand is required") {
        return _("a command is required");
    }
    static const std::regex required(R"(^(\S+) is required$)");
    std::smatch match;
    if (std::regex_match(text, match, required)) {
        return fmt::format(fmt::runtime(_("{name} is required")), fmt::arg("name", match[1].str()));
    }
    return text;
}

std::string translate_extras(const std::string& text)
{
    static const std::regex extras(R"(^The following arguments? (?:was|were) not expected: (.*)$)");
    std::smatch match;
    if (std::regex_match(text, match, extras)) {
        return fmt::format(fmt::runtime(_("unexpected argument: {arguments}")), fmt::arg("arguments", match[1].str()));
    }
    return text;
}

std::string translate_validation(const std::string& text)
{
    static const std::regex not_in(R"(^(\S+): (.*) not in \{(.*)\}$)");
    std::smatch match;
    if (std::regex_match(text, match, not_in)) {
        return fmt::format(fmt::runtime(_("{option}: invalid value '{value}'; expected one of {allowed}")),
                           fmt::arg("option", match[1].str()), fmt::arg("value", match[2].str()),
                           fmt::arg("allowed", match[3].str()));
    }
    return text;
}

std::string translate_mismatch(const std::string& text)
{
    static const std::regex missing(R"(^(\S+): \d+ required .* missing$)");
    std::smatch match;
    if (std::regex_match(text, match, missing)) {
        return fmt::format(fmt::runtime(_("{option} needs a value")), fmt::arg("option", match[1].str()));
    }
    return text;
}

} // namespace

std::string translate_parse_error(const CLI::ParseError& error)
{
    const std::string text = error.what();
    if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
        return translate_required(text);
    }
    if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
        return translate_extras(text);
    }
    if (dynamic_cast<const CLI::ValidationError*>(&error) != nullptr) {
        return translate_validation(text);
    }
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
        return translate_mismatch(text);
    }
    return text;
}

} // namespace citygate::cli
