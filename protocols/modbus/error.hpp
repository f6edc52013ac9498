#pragma once
// Errors of the Modbus codec, and Modbus exception codes as a second error
// category so a device's exception reply reaches logs and health by name.

#include <cstdint>
#include <string_view>
#include <system_error>

namespace citygate::modbus {

enum class error {
    bad_crc = 1,            // RTU CRC-16 differs from the CRC of the frame's bytes
    unsupported_function,   // function code other than 01-06, 0F, 10 (or their exception forms)
    byte_count_too_large,   // byte count above the limit of its function (250 read, 246 write)
    byte_count_mismatch,    // byte count or PDU length does not match the requested quantity
    bad_protocol_id,        // MBAP protocol identifier is not 0
    bad_length,             // MBAP length below 2 (unit id and function code) or above 254
    transaction_mismatch,   // MBAP transaction id differs from the request's
    unit_mismatch,          // a valid frame from another unit id (slave address)
    function_mismatch,      // a reply to another function code than the request's
    echo_mismatch,          // a write reply that does not echo the request's address, value or quantity
    invalid_quantity,       // quantity 0 or above the limit of its function code
    address_overflow,       // start address plus quantity runs past register 65535
    invalid_coil_value,     // write-single-coil value other than FF00 (on) or 0000 (off)
    zero_exception_code,    // exception reply with code 00, which no specification defines
};

// Exception codes of the Modbus application protocol (V1.1b3, section 7).
enum class exception_code : std::uint8_t {
    illegal_function = 0x01,
    illegal_data_address = 0x02,
    illegal_data_value = 0x03,
    server_device_failure = 0x04,
    acknowledge = 0x05,
    server_device_busy = 0x06,
    memory_parity_error = 0x08,
    gateway_path_unavailable = 0x0A,
    gateway_target_failed_to_respond = 0x0B,
};

// The name the specification gives the code ("ILLEGAL DATA ADDRESS"), or
// "UNKNOWN EXCEPTION" for a code it does not define.
std::string_view exception_name(std::uint8_t code) noexcept;

const std::error_category& error_category() noexcept;
std::error_code make_error_code(error e) noexcept;

// Category of exception replies. The error value is the exception code byte,
// so codes the specification does not define still reach the caller. Code 00
// would make a false std::error_code, so make_exception_error(0) returns
// error::zero_exception_code.
const std::error_category& exception_category() noexcept;
std::error_code make_error_code(exception_code code) noexcept;
std::error_code make_exception_error(std::uint8_t code) noexcept;

} // namespace citygate::modbus

template <>
struct std::is_error_code_enum<citygate::modbus::error> : std::true_type {};
template <>
struct std::is_error_code_enum<citygate::modbus::exception_code> : std::true_type {};
