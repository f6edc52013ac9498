#include "protocols/modbus/error.hpp"

#include "protocols/common/refusal.hpp"

#include <cstdio>
#include <string>

namespace citygate::modbus {

std::string_view exception_name(std::uint8_t code) noexcept
{
    switch (static_cast<exception_code>(code)) {
    case exception_code::illegal_function: return "ILLEGAL FUNCTION";
    case exception_code::illegal_data_address: return "ILLEGAL DATA ADDRESS";
    case exception_code::illegal_data_value: return "ILLEGAL DATA VALUE";
    case exception_code::server_device_failure: return "SERVER DEVICE FAILURE";
    case exception_code::acknowledge: return "ACKNOWLEDGE";
    case exception_code::server_device_busy: return "SERVER DEVICE BUSY";
    case exception_code::memory_parity_error: return "MEMORY PARITY ERROR";
    case exception_code::gateway_path_unavailable: return "GATEWAY PATH UNAVAILABLE";
    case exception_code::gateway_target_failed_to_respond: return "GATEWAY TARGET DEVICE FAILED TO RESPOND";
    }
    return "UNKNOWN EXCEPTION";
}

namespace {

class category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.modbus"; }

    std::string message(int value) const override
    {
        switch (static_cast<error>(value)) {
        case error::bad_crc:
            return "Modbus RTU frame rejected: CRC mismatch";
        case error::unsupported_function:
            return "Modbus function code not supported (expected 01-06, 0F or 10)";
        case error::byte_count_too_large:
            return "Modbus frame rejected: byte count above the limit of its function";
        case error::byte_count_mismatch:
            return "Modbus reply length does not match the requested quantity";
        case error::bad_protocol_id:
            return "Modbus TCP frame rejected: MBAP protocol identifier is not 0";
        case error::bad_length:
            return "Modbus TCP frame rejected: MBAP length outside 2-254";
        case error::transaction_mismatch:
            return "Modbus TCP reply has another transaction id than the request";
        case error::unit_mismatch:
            return "Modbus reply is from another unit id";
        case error::function_mismatch:
            return "Modbus reply is for another function code than the request";
        case error::echo_mismatch:
            return "Modbus write reply does not echo the request";
        case error::invalid_quantity:
            return "Modbus quantity is 0 or above the limit of its function code";
        case error::address_overflow:
            return "Modbus start address plus quantity runs past address 65535";
        case error::invalid_coil_value:
            return "Modbus single-coil value is neither FF00 (on) nor 0000 (off)";
        case error::zero_exception_code:
            return "Modbus exception reply with the undefined code 00";
        }
        return "unknown Modbus error";
    }
};

class exception_category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.modbus_exception"; }

    // Every exception reply is a valid refusal by the slave.
    std::error_condition default_error_condition(int) const noexcept override
    {
        return proto::answer_condition::request_refused;
    }

    std::string message(int value) const override
    {
        char code[8];
        std::snprintf(code, sizeof code, "%02X", static_cast<unsigned>(value) & 0xFFu);
        return "Modbus exception " + std::string(code) + " " +
               std::string(exception_name(static_cast<std::uint8_t>(value)));
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

const std::error_category& exception_category() noexcept
{
    static const exception_category_impl category;
    return category;
}

std::error_code make_error_code(exception_code code) noexcept
{
    return make_exception_error(static_cast<std::uint8_t>(code));
}

std::error_code make_exception_error(std::uint8_t code) noexcept
{
    if (code == 0)
        return error::zero_exception_code;
    return {static_cast<int>(code), exception_category()};
}

} // namespace citygate::modbus
