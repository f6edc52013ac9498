#include "gateway/senml/json_writer.hpp"
#include "gateway/senml/utf8.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace citygate::senml::detail {
namespace {

void append_escape(std::vector<std::uint8_t>& out, unsigned char c) {
    switch (c) {
    case '"': append_raw(out, "\\\""); return;
    case '\\': append_raw(out, "\\\\"); return;
    case '\b': append_raw(out, "\\b"); return;
    case '\f': append_raw(out, "\\f"); return;
    case '\n': append_raw(out, "\\n"); return;
    case '\r': append_raw(out, "\\r"); return;
    case '\t': append_raw(out, "\\t"); return;
    default: break;
    }
    static constexpr char digits[] = "0123456789abcdef";
    const char escaped[] = {'\\', 'u', '0', '0', digits[c >> 4], digits[c & 0x0F]};
    out.insert(out.end(), std::begin(escaped), std::end(escaped));
}

} // namespace

void append_json_string(std::vector<std::uint8_t>& out, std::string_view text) {
    out.push_back('"');
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t length = utf8_sequence_length(text, i);
            if (length == 0) {
                append_raw(out, replacement_character);
                ++i;
            } else {
                append_raw(out, text.substr(i, length));
                i += length;
            }
        } else if (c < 0x20 || c == '"' || c == '\\') {
            append_escape(out, c);
            ++i;
        } else {
            out.push_back(c);
            ++i;
        }
    }
    out.push_back('"');
}

void append_json_number(std::vector<std::uint8_t>& out, double value) {
    // "-0" is the shortest form, but parsers that read integers as integers
    // (nlohmann::json among them) turn it into 0; "-0.0" is a float everywhere.
    if (value == 0 && std::signbit(value)) {
        append_raw(out, "-0.0");
        return;
    }
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    out.insert(out.end(), buffer.data(), result.ptr);
}

void append_seconds_from_ms(std::vector<std::uint8_t>& out, std::int64_t ms) {
    // Work on the magnitude as unsigned so INT64_MIN has no overflow.
    const bool negative = ms < 0;
    const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(ms) : static_cast<std::uint64_t>(ms);
    const std::uint64_t whole = magnitude / 1000;
    unsigned fraction = static_cast<unsigned>(magnitude % 1000);

    if (negative)
        out.push_back('-');
    std::array<char, 24> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), whole);
    out.insert(out.end(), buffer.data(), result.ptr);
    if (fraction == 0)
        return;

    char digits[3] = {static_cast<char>('0' + fraction / 100), static_cast<char>('0' + fraction / 10 % 10),
                      static_cast<char>('0' + fraction % 10)};
    std::size_t length = 3;
    while (digits[length - 1] == '0')
        --length;
    out.push_back('.');
    out.insert(out.end(), digits, digits + length);
}

} // namespace citygate::senml::detail
