#pragma once
// The address list of `citygate bus scan --range`.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace citygate::cli {

// Expands --range for `protocol` into the addresses to probe, in order.
//   modbus   unit ids "N" or "FIRST-LAST", 1-247
//   dlt645   "FIRST-LAST" of 12 decimal digits, or one address
//   cjt188   "FIRST-LAST" of 14 hex digits, or one address. Both ends may
//            differ only in a decimal tail, which is counted up.
// The list has at most `max_addresses` entries. On failure returns std::nullopt with a
// translated message in `error`.
std::optional<std::vector<std::string>> expand_scan_range(std::string_view protocol, std::string_view text,
                                                          std::size_t max_addresses, std::string& error);

} // namespace citygate::cli
