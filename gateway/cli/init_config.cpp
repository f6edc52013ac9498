#include "gateway/cli/init_config.hpp"

#include <toml++/toml.h>

#include <sstream>
#include <stdexcept>

namespace citygate::cli {
namespace {

// A TOML basic string with every character that needs it escaped.
std::string toml_string(const std::string& text) {
    std::ostringstream out;
    out << toml::value<std::string>(text);
    return out.str();
}

std::string toml_string_array(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += (i == 0 ? "" : ", ") + toml_string(items[i]);
    }
    return out + "]";
}

// Replaces the first line that starts with `prefix` by `replacement`.
void replace_line(std::string& text, std::string_view prefix, const std::string& replacement) {
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        if (std::string_view(text).substr(start, end - start).starts_with(prefix)) {
            text.replace(start, end - start, replacement);
            return;
        }
        start = end + 1;
    }
    throw std::logic_error("the reference config has no line starting with '" + std::string(prefix) + "'");
}

} // namespace

std::string render_config(std::string_view reference, const init_values& values) {
    std::string text(reference);

    // The reference sets gateway.id and uplink.brokers to placeholders and
    // shows gateway.location commented out; each is the first line that
    // starts with its key.
    replace_line(text, "id = ", "id = " + toml_string(values.gateway_id));
    if (!values.location.empty()) {
        replace_line(text, "# location = ", "location = " + toml_string(values.location));
    }
    replace_line(text, "key_file = ", "key_file = " + toml_string(values.key_file.string()));
    replace_line(text, "brokers = ", "brokers = " + toml_string_array(values.brokers));

    return "# Written by 'citygate init' from the reference configuration.\n#\n" + text;
}

} // namespace citygate::cli
