#include "protocols/modbus/counters.hpp"

#include "protocols/modbus/error.hpp"

namespace citygate::modbus {

void counters::count(std::error_code code) noexcept
{
    if (code.category() == exception_category()) {
        ++exceptions;
        return;
    }
    if (code.category() != error_category())
        return;

    switch (static_cast<error>(code.value())) {
    case error::bad_crc: ++bad_crc; break;
    case error::unsupported_function: ++unsupported_function; break;
    case error::byte_count_too_large: ++byte_count_too_large; break;
    case error::byte_count_mismatch: ++byte_count_mismatch; break;
    case error::bad_protocol_id: ++bad_protocol_id; break;
    case error::bad_length: ++bad_length; break;
    case error::transaction_mismatch: ++transaction_mismatch; break;
    case error::unit_mismatch: ++unit_mismatch; break;
    case error::function_mismatch: ++function_mismatch; break;
    case error::echo_mismatch: ++echo_mismatch; break;
    case error::invalid_quantity: ++invalid_quantity; break;
    case error::address_overflow: ++address_overflow; break;
    case error::invalid_coil_value: ++invalid_coil_value; break;
    case error::zero_exception_code: ++zero_exception_code; break;
    }
}

counters& counters::operator+=(const counters& other) noexcept
{
    frames_ok += other.frames_ok;
    bad_crc += other.bad_crc;
    unsupported_function += other.unsupported_function;
    byte_count_too_large += other.byte_count_too_large;
    byte_count_mismatch += other.byte_count_mismatch;
    bad_protocol_id += other.bad_protocol_id;
    bad_length += other.bad_length;
    transaction_mismatch += other.transaction_mismatch;
    unit_mismatch += other.unit_mismatch;
    function_mismatch += other.function_mismatch;
    echo_mismatch += other.echo_mismatch;
    invalid_quantity += other.invalid_quantity;
    address_overflow += other.address_overflow;
    invalid_coil_value += other.invalid_coil_value;
    zero_exception_code += other.zero_exception_code;
    exceptions += other.exceptions;
    return *this;
}

} // namespace citygate::modbus
