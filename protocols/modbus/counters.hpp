#pragma once
// Acceptance and rejection counts of the Modbus codec. Every rejected frame
// bumps exactly one counter.

#include <cstdint>
#include <system_error>

namespace citygate::modbus {

struct counters {
    std::uint64_t frames_ok = 0;
    std::uint64_t bad_crc = 0;
    std::uint64_t unsupported_function = 0;
    std::uint64_t byte_count_too_large = 0;
    std::uint64_t byte_count_mismatch = 0;
    std::uint64_t bad_protocol_id = 0;
    std::uint64_t bad_length = 0;
    std::uint64_t transaction_mismatch = 0;
    std::uint64_t unit_mismatch = 0;
    std::uint64_t function_mismatch = 0;
    std::uint64_t echo_mismatch = 0;
    std::uint64_t invalid_quantity = 0;
    std::uint64_t address_overflow = 0;
    std::uint64_t invalid_coil_value = 0;
    std::uint64_t zero_exception_code = 0;
    std::uint64_t exceptions = 0; // valid exception replies, any code

    // Bumps the counter of a modbus::error or an exception reply; codes of
    // other categories are ignored.
    void count(std::error_code code) noexcept;

    counters& operator+=(const counters& other) noexcept;
};

} // namespace citygate::modbus
