#include "gateway/cli/text.hpp"

#include "gateway/cli/i18n.hpp"
#include "protocols/common/civil_time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

namespace citygate::cli {
namespace {

// Decodes one UTF-8 sequence at `i`; returns the code point, or the byte
// itself for an invalid sequence, and advances `i`.
char32_t next_code_point(std::string_view text, std::size_t& i) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size()) {
        ++i;
        return lead;
    }

    char32_t code = length == 1 ? lead : lead & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
        const auto next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xc0) != 0x80) {
            ++i;
            return lead;
        }
        code = (code << 6) | (next & 0x3f);
    }
    i += length;
    return code;
}

// East Asian Wide and Fullwidth ranges (Unicode UAX #11), the subset that
// covers CJK text, Hangul and full-width punctuation.
bool is_wide(char32_t c) {
    return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) || (c >= 0x3041 && c <= 0x33ff) ||
           (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
           (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) ||
           (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x20000 && c <= 0x3fffd);
}

} // namespace

std::size_t display_width(std::string_view text) {
    std::size_t width = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        width += is_wide(next_code_point(text, i)) ? 2 : 1;
    }
    return width;
}

std::string pad_right(std::string_view text, std::size_t width) {
    std::string out(text);
    const auto used = display_width(text);
    if (used < width) {
        out.append(width - used, ' ');
    }
    return out;
}

table::table(std::vector<std::string> header) {
    rows_.push_back(std::move(header));
}

void table::add_row(std::vector<std::string> row) {
    row.resize(rows_.front().size());
    rows_.push_back(std::move(row));
}

void table::print(std::ostream& out) const {
    std::vector<std::size_t> widths(rows_.front().size(), 0);
    for (const auto& row : rows_) {
        for (std::size_t c = 0; c < row.size(); ++c) {
            widths[c] = std::max(widths[c], display_width(row[c]));
        }
    }

    for (const auto& row : rows_) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            const bool last = c + 1 == row.size();
            line += last ? row[c] : pad_right(row[c], widths[c]) + "  ";
        }
        out << line << '\n';
    }
}

void print_fields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields) {
    std::size_t width = 0;
    for (const auto& [label, value] : fields) {
        width = std::max(width, display_width(label));
    }
    for (const auto& [label, value] : fields) {
        out << pad_right(label, width) << "  " << value << '\n';
    }
}

// The fields come from 64-bit milliseconds, not localtime_r, so a 32-bit
// time_t (Debian 12 armhf) still shows dates past 2038.
std::string format_local_time_ms(std::int64_t ms) {
    const auto local = proto::local_civil_time_of(ms);
    if (!local) {
        return std::to_string(ms);
    }
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", local->year, local->month, local->day, local->hour,
                       local->minute, local->second);
}

std::string format_duration(std::uint64_t seconds) {
    const auto days = seconds / 86400;
    std::array<char, 48> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%02llu:%02llu:%02llu",
                  static_cast<unsigned long long>(seconds % 86400 / 3600),
                  static_cast<unsigned long long>(seconds % 3600 / 60), static_cast<unsigned long long>(seconds % 60));
    if (days == 0) {
        return buffer.data();
    }
    // TRANSLATORS: an uptime such as "3d 04:05:06"; {days} is a count of days.
    return fmt::format(fmt::runtime(_("{days}d {hms}")), fmt::arg("days", days), fmt::arg("hms", buffer.data()));
}

std::string format_number(double value) {
    std::array<char, 64> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%.10g", value);
    return buffer.data();
}

} // namespace citygate::cli
