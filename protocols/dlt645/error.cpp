#include "protocols/dlt645/error.hpp"

#include "protocols/common/refusal.hpp"

#include <string>

namespace citygate::dlt645 {

namespace {

class category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.dlt645"; }

    std::string message(int value) const override
    {
        switch (static_cast<error>(value)) {
        case error::preamble_too_long:
            return "DL/T 645 frame rejected: too many FE preamble bytes";
        case error::no_start_byte:
            return "DL/T 645 bytes skipped before the start byte 68";
        case error::no_second_start_byte:
            return "DL/T 645 frame rejected: no second start byte 68 after the address";
        case error::length_too_large:
            return "DL/T 645 frame rejected: data length L above the limit";
        case error::bad_checksum:
            return "DL/T 645 frame rejected: checksum mismatch";
        case error::bad_end_byte:
            return "DL/T 645 frame rejected: end byte is not 16";
        case error::truncated_data:
            return "DL/T 645 data field too short for its data identifier";
        case error::bad_bcd:
            return "DL/T 645 data field contains an invalid BCD digit";
        case error::unknown_di:
            return "DL/T 645 data identifier has no known value format";
        case error::unexpected_control:
            return "DL/T 645 control code not expected here";
        case error::address_mismatch:
            return "DL/T 645 reply is from another meter address";
        case error::di_mismatch:
            return "DL/T 645 reply carries another data identifier than requested";
        case error::edition_mismatch:
            return "DL/T 645 reply is of the other edition (1997 or 2007) than the request";
        }
        return "unknown DL/T 645 error";
    }
};

class meter_category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.dlt645_meter"; }

    // Every abnormal reply is a valid refusal by the meter.
    std::error_condition default_error_condition(int) const noexcept override
    {
        return proto::answer_condition::request_refused;
    }

    std::string message(int value) const override
    {
        switch (static_cast<meter_error>(value)) {
        case meter_error::unspecified:
            return "DL/T 645 meter returned an abnormal reply without a known error bit";
        case meter_error::other:
            return "DL/T 645 meter error: other error";
        case meter_error::no_requested_data:
            return "DL/T 645 meter error: no data for the requested identifier";
        case meter_error::unauthorized:
            return "DL/T 645 meter error: wrong password or not authorised";
        case meter_error::baud_rate_locked:
            return "DL/T 645 meter error: the communication rate cannot be changed";
        case meter_error::too_many_year_zones:
            return "DL/T 645 meter error: too many yearly time zones";
        case meter_error::too_many_day_periods:
            return "DL/T 645 meter error: too many daily periods";
        case meter_error::too_many_tariffs:
            return "DL/T 645 meter error: too many tariffs";
        case meter_error::invalid_data:
            return "DL/T 645 meter error: invalid data";
        case meter_error::wrong_data_id:
            return "DL/T 645 meter error: wrong data identifier";
        }
        return "unknown DL/T 645 meter error";
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

const std::error_category& meter_error_category() noexcept
{
    static const meter_category_impl category;
    return category;
}

std::error_code make_error_code(meter_error e) noexcept
{
    return {static_cast<int>(e), meter_error_category()};
}

} // namespace citygate::dlt645
