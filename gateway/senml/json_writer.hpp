#pragma once
// Appends JSON tokens straight to a byte buffer. The SenML encoder is on the
// path of every reading, so it skips building a DOM.

#include <cstdint>
#include <string_view>
#include <vector>

namespace citygate::senml::detail {

// Appends `text` as a quoted JSON string. Control characters, '"' and '\'
// are escaped; invalid UTF-8 sequences become U+FFFD so the output is
// always valid JSON.
void append_json_string(std::vector<std::uint8_t>& out, std::string_view text);

// Appends the shortest decimal form that reads back as the same double
// (std::to_chars), except negative zero, which is written "-0.0". The caller
// must reject NaN and infinities first.
void append_json_number(std::vector<std::uint8_t>& out, double value);

// Appends ms / 1000 as an exact decimal number of seconds, e.g. 1700000000123
// as 1700000000.123, without a round trip through binary floating point.
void append_seconds_from_ms(std::vector<std::uint8_t>& out, std::int64_t ms);

inline void append_raw(std::vector<std::uint8_t>& out, std::string_view text) {
    out.insert(out.end(), text.begin(), text.end());
}

} // namespace citygate::senml::detail
