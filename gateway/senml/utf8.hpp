#pragma once
// UTF-8 checks shared by the SenML JSON and CBOR writers, which must both
// emit valid UTF-8 text whatever bytes a device sent.

#include <cstddef>
#include <string_view>

namespace citygate::senml::detail {

// U+FFFD, which replaces each byte that starts no well-formed sequence.
inline constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// Returns the length of the well-formed UTF-8 sequence starting at `i`
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

bool is_valid_utf8(std::string_view text);

} // namespace citygate::senml::detail
