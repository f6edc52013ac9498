#pragma once
// CLI11's help formatter with columns aligned by display width: CLI11 2.1
// pads with std::setw, which counts bytes, so translated type names such as
// "文件" (6 bytes, 4 columns) would push the descriptions out of line.

#include "gateway/cli/text.hpp"

#include <CLI/CLI.hpp>

#include <sstream>

namespace citygate::cli {

class help_formatter : public CLI::Formatter {
public:
    std::string make_option(const CLI::Option* option, bool is_positional) const override {
        const std::string name = "  " + make_option_name(option, is_positional) + make_option_opts(option);
        const std::string description = make_option_desc(option);
        const std::size_t width = get_column_width();

        std::ostringstream out;
        out << name;
        if (!description.empty()) {
            const auto used = display_width(name);
            out << (used >= width ? "\n" + std::string(width, ' ') : std::string(width - used, ' '));
            for (const char c : description) {
                out.put(c);
                if (c == '\n') {
                    out << std::string(width, ' ');
                }
            }
        }
        out << '\n';
        return out.str();
    }
};

} // namespace citygate::cli
