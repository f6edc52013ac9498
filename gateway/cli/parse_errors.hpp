#pragma once
// CLI11's parse errors in the user's language. CLI11 2.1 builds its
// messages in English. The ones a technician meets are recognised by their
// type and text and rebuilt through gettext; any other keeps CLI11's text.

#include <CLI/Error.hpp>

#include <string>

namespace citygate::cli {

std::string translate_parse_error(const CLI::ParseError& error);

} // namespace citygate::cli
