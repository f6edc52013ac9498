#include "protocols/cjt188/error.hpp"

#include "protocols/common/refusal.hpp"

#include <string>

namespace citygate::cjt188 {

namespace {

class category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.cjt188"; }

    // The abnormal replies are valid refusals by the meter; every other
    // value is a frame the codec rejects.
    std::error_condition default_error_condition(int value) const noexcept override
    {
        const auto e = static_cast<error>(value);
        if (e == error::abnormal_response || e == error::valve_command_rejected)
            return proto::answer_condition::request_refused;
        return std::error_category::default_error_condition(value);
    }

    std::string message(int value) const override
    {
        switch (static_cast<error>(value)) {
        case error::preamble_too_long:
            return "CJ/T 188 frame rejected: too many FE preamble bytes";
        case error::no_start_byte:
            return "CJ/T 188 bytes skipped before the start byte 68";
        case error::length_too_large:
            return "CJ/T 188 frame rejected: data length L above the limit";
        case error::bad_checksum:
            return "CJ/T 188 frame rejected: checksum mismatch";
        case error::bad_end_byte:
            return "CJ/T 188 frame rejected: end byte is not 16";
        case error::truncated_data:
            return "CJ/T 188 data field too short for its data identifier";
        case error::bad_bcd:
            return "CJ/T 188 data field contains an invalid BCD digit";
        case error::bad_unit:
            return "CJ/T 188 data field has an unknown or mismatched unit code";
        case error::unknown_di:
            return "CJ/T 188 data identifier not supported (expected 901F, 810A or A017 for its control code)";
        case error::abnormal_response:
            return "CJ/T 188 meter returned an abnormal response";
        case error::unexpected_control:
            return "CJ/T 188 control code not expected here";
        case error::address_mismatch:
            return "CJ/T 188 reply is from another meter address";
        case error::meter_type_mismatch:
            return "CJ/T 188 reply is from another meter type";
        case error::unknown_meter_type:
            return "CJ/T 188 meter type outside the water (10-19), heat (20-29) and gas (30-39) ranges";
        case error::bad_valve_command:
            return "CJ/T 188 valve-control byte is neither 55 (open) nor 99 (close)";
        case error::valve_command_rejected:
            return "CJ/T 188 meter rejected the valve command (abnormal reply)";
        case error::valve_fault:
            return "CJ/T 188 meter reports the valve abnormal after the valve command";
        case error::valve_state_mismatch:
            return "CJ/T 188 valve is not in the commanded position";
        }
        return "unknown CJ/T 188 error";
    }
};

} // namespace

const std::error_category& error_category() noexcept
{
    static const category_impl category;
    return category;
}

std::error_code make_error_code(error e) noexcept
{
    return {static_cast<int>(e), error_category()};
}

} // namespace citygate::cjt188
