#include "gateway/cli/decode_report.hpp"

#include "gateway/cli/i18n.hpp"
#include "protocols/modbus/error.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace citygate::cli {

namespace {

// The message() texts of the codec error categories (protocols/*/error.cpp),
// marked here for xgettext because the codecs stay free of gettext. A text
// changed there without a change here prints in English; the test "decode
// reasons are translated" finds it.
[[maybe_unused]] constexpr const char* codec_messages[] = {
    N_("Modbus RTU frame rejected: CRC mismatch"),
    N_("Modbus function code not supported (expected 01-06, 0F or 10)"),
    N_("Modbus frame rejected: byte count above the limit of its function"),
    N_("Modbus reply length does not match the requested quantity"),
    N_("Modbus TCP frame rejected: MBAP protocol identifier is not 0"),
    N_("Modbus TCP frame rejected: MBAP length outside 2-254"),
    N_("Modbus TCP reply has another transaction id than the request"),
    N_("Modbus reply is from another unit id"),
    N_("Modbus reply is for another function code than the request"),
    N_("Modbus write reply does not echo the request"),
    N_("Modbus quantity is 0 or above the limit of its function code"),
    N_("Modbus start address plus quantity runs past address 65535"),
    N_("Modbus single-coil value is neither FF00 (on) nor 0000 (off)"),
    N_("Modbus exception reply with the undefined code 00"),
    N_("DL/T 645 frame rejected: too many FE preamble bytes"),
    N_("DL/T 645 bytes skipped before the start byte 68"),
    N_("DL/T 645 frame rejected: no second start byte 68 after the address"),
    N_("DL/T 645 frame rejected: data length L above the limit"),
    N_("DL/T 645 frame rejected: checksum mismatch"),
    N_("DL/T 645 frame rejected: end byte is not 16"),
    N_("DL/T 645 data field too short for its data identifier"),
    N_("DL/T 645 data field contains an invalid BCD digit"),
    N_("DL/T 645 data identifier has no known value format"),
    N_("DL/T 645 control code not expected here"),
    N_("DL/T 645 reply is from another meter address"),
    N_("DL/T 645 reply carries another data identifier than requested"),
    N_("DL/T 645 reply is of the other edition (1997 or 2007) than the request"),
    N_("DL/T 645 meter returned an abnormal reply without a known error bit"),
    N_("DL/T 645 meter error: other error"),
    N_("DL/T 645 meter error: no data for the requested identifier"),
    N_("DL/T 645 meter error: wrong password or not authorised"),
    N_("DL/T 645 meter error: the communication rate cannot be changed"),
    N_("DL/T 645 meter error: too many yearly time zones"),
    N_("DL/T 645 meter error: too many daily periods"),
    N_("DL/T 645 meter error: too many tariffs"),
    N_("DL/T 645 meter error: invalid data"),
    N_("DL/T 645 meter error: wrong data identifier"),
    N_("CJ/T 188 frame rejected: too many FE preamble bytes"),
    N_("CJ/T 188 bytes skipped before the start byte 68"),
    N_("CJ/T 188 frame rejected: data length L above the limit"),
    N_("CJ/T 188 frame rejected: checksum mismatch"),
    N_("CJ/T 188 frame rejected: end byte is not 16"),
    N_("CJ/T 188 data field too short for its data identifier"),
    N_("CJ/T 188 data field contains an invalid BCD digit"),
    N_("CJ/T 188 data field has an unknown or mismatched unit code"),
    N_("CJ/T 188 data identifier not supported (expected 901F, 810A or A017 for its control code)"),
    N_("CJ/T 188 meter returned an abnormal response"),
    N_("CJ/T 188 control code not expected here"),
    N_("CJ/T 188 reply is from another meter address"),
    N_("CJ/T 188 reply is from another meter type"),
    N_("CJ/T 188 meter type outside the water (10-19), heat (20-29) and gas (30-39) ranges"),
    N_("CJ/T 188 valve-control byte is neither 55 (open) nor 99 (close)"),
    N_("CJ/T 188 meter rejected the valve command (abnormal reply)"),
    N_("CJ/T 188 meter reports the valve abnormal after the valve command"),
    N_("CJ/T 188 valve is not in the commanded position"),
};

} // namespace

std::string translated_reason(std::error_code error) {
    // An exception reply names its code; the exception names are the
    // standard's own and stay in English.
    if (error.category() == modbus::exception_category()) {
        char code[8];
        std::snprintf(code, sizeof code, "%02X", static_cast<unsigned>(error.value()) & 0xFFu);
        return fmt::format(fmt::runtime(_("Modbus exception {code} {name}")), fmt::arg("code", code),
                           fmt::arg("name", modbus::exception_name(static_cast<std::uint8_t>(error.value()))));
    }
    const auto message = error.message();
    return ::gettext(message.c_str());
}

} // namespace citygate::cli
