#pragma once
// Terminal text helpers for the CLI's human output: display width of UTF-8
// text (CJK characters take two columns), aligned tables and local times.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace citygate::cli {

// Columns `text` takes on a terminal: two for East Asian wide and
// full-width characters, one for other code points. Invalid UTF-8 bytes
// count one column each.
std::size_t display_width(std::string_view text);

// `text` padded with spaces to `width` columns.
std::string pad_right(std::string_view text, std::size_t width);

// Prints rows under a header, each column as wide as its widest cell.
class table {
public:
    explicit table(std::vector<std::string> header);
    void add_row(std::vector<std::string> row);
    void print(std::ostream& out) const;

private:
    std::vector<std::vector<std::string>> rows_;
};

// Prints "label  value" lines with the labels padded to one width.
void print_fields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields);

// "2024-05-01 12:00:05" in the local time zone, from ms since the epoch; the
// plain number of milliseconds when the time is before 1970 or after 9999.
std::string format_local_time_ms(std::int64_t ms);

// "3d 04:05:06" or "04:05:06".
std::string format_duration(std::uint64_t seconds);

// A double without trailing zeros ("12.5", "3", "0.001").
std::string format_number(double value);

} // namespace citygate::cli
