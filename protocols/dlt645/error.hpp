#pragma once
// Errors of the DL/T 645 codec, and the error a meter reports in an abnormal
// reply. Every codec error and every meter error has a counter in dlt645::counters.

#include <cstdint>
#include <system_error>

namespace citygate::dlt645 {

enum class error {
    preamble_too_long = 1, // more FE wake-up bytes than max_preamble
    no_start_byte,         // bytes before the start byte 68 were skipped
    no_second_start_byte,  // the byte after the six address bytes is not 68
    length_too_large,      // L exceeds max_data_length
    bad_checksum,          // CS differs from the 8-bit sum of the first 68..last data byte
    bad_end_byte,          // the byte after CS is not 16
    truncated_data,        // L is too small for the data identifier and its value
    bad_bcd,               // a BCD field has a nibble above 9
    unknown_di,            // a data identifier this codec has no value format for
    unexpected_control,    // a control code this codec does not decode
    address_mismatch,      // a valid reply from another meter address
    di_mismatch,           // a valid reply for another data identifier than requested
    edition_mismatch,      // a 1997 reply to a 2007 request or the reverse
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(error e) noexcept;

// Error reported by the meter in an abnormal reply (control code with bit 6
// set, e.g. D1 or C1). The error byte is a bit mask; decode_meter_error picks
// the most specific bit that is set.
enum class meter_error {
    unspecified = 1,      // abnormal reply without an error byte, or no known bit set
    other,                // 2007 bit 0: other error
    no_requested_data,    // 2007 bit 1: no data for the requested identifier
    unauthorized,         // 2007 bit 2, 1997 bit 2: wrong password or not authorised
    baud_rate_locked,     // 2007 bit 3: the communication rate cannot be changed
    too_many_year_zones,  // bit 4 of both editions: yearly time zone count exceeded
    too_many_day_periods, // bit 5 of both editions: daily period count exceeded
    too_many_tariffs,     // bit 6 of both editions: tariff count exceeded
    invalid_data,         // 1997 bit 0: illegal data
    wrong_data_id,        // 1997 bit 1: data identifier error
};

const std::error_category& meter_error_category() noexcept;
std::error_code make_error_code(meter_error e) noexcept;

} // namespace citygate::dlt645

template <>
struct std::is_error_code_enum<citygate::dlt645::error> : std::true_type {};
template <>
struct std::is_error_code_enum<citygate::dlt645::meter_error> : std::true_type {};
