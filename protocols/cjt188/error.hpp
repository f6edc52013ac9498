#pragma once
// Errors of the CJ/T 188 codec. Every value has a counter in cjt188::counters.

#include <system_error>

namespace citygate::cjt188 {

enum class error {
    preamble_too_long = 1, // more FE wake-up bytes than max_preamble
    no_start_byte,         // bytes before the start byte 68 were skipped
    length_too_large,      // L exceeds max_data_length
    bad_checksum,          // CS differs from the 8-bit sum of 68..last data byte
    bad_end_byte,          // the byte after CS is not 16
    truncated_data,        // L is too small for the data identifier's layout
    bad_bcd,               // a BCD field has a nibble above 9
    bad_unit,              // unknown unit code, or a unit of the wrong quantity
    unknown_di,            // data identifier other than the one the control code needs, in either byte order
    abnormal_response,     // control byte with bit 6 set (e.g. C1): the meter reports a fault
    unexpected_control,    // a control byte this codec does not decode
    address_mismatch,      // a valid reply from another meter address
    meter_type_mismatch,   // a reply from a meter of another family (water, heat, gas)
    unknown_meter_type,    // meter type T outside the water, heat and gas ranges
    bad_valve_command,     // valve-control byte other than 55 (open) or 99 (close)
    valve_command_rejected, // abnormal reply (C4) to a valve-control command
    valve_fault,           // ST reports the valve abnormal after a valve command
    valve_state_mismatch,  // ST reports the valve in the other position than commanded
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(error e) noexcept;

} // namespace citygate::cjt188

template <>
struct std::is_error_code_enum<citygate::cjt188::error> : std::true_type {};
