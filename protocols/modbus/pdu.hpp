#pragma once
// Modbus application PDUs (Modbus Application Protocol V1.1b3) for function
// codes 01-06, 0F and 10: request encoding, response decoding, and the
// request decoding and response encoding a slave simulator needs.
// A PDU is function code + data, at most 253 bytes; RTU and TCP wrap it.

#include "protocols/modbus/counters.hpp"
#include "protocols/modbus/error.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

namespace citygate::modbus {

enum class function_code : std::uint8_t {
    read_coils = 0x01,
    read_discrete_inputs = 0x02,
    read_holding_registers = 0x03,
    read_input_registers = 0x04,
    write_single_coil = 0x05,
    write_single_register = 0x06,
    write_multiple_coils = 0x0F,
    write_multiple_registers = 0x10,
};

inline constexpr std::uint8_t exception_bit = 0x80;
inline constexpr std::size_t max_pdu_size = 253;

// Quantity limits of the specification.
inline constexpr std::uint16_t max_read_bits = 2000;       // 01, 02
inline constexpr std::uint16_t max_read_registers = 125;   // 03, 04
inline constexpr std::uint16_t max_write_bits = 1968;      // 0F
inline constexpr std::uint16_t max_write_registers = 123;  // 10
// Byte counts those limits imply: 2000 bits and 125 registers are 250 bytes,
// 1968 bits and 123 registers are 246 bytes.
inline constexpr std::uint8_t max_read_byte_count = 250;
inline constexpr std::uint8_t max_write_byte_count = 246;

inline constexpr std::uint16_t coil_on = 0xFF00;
inline constexpr std::uint16_t coil_off = 0x0000;

// True for the eight function codes this codec handles.
bool is_supported(std::uint8_t function) noexcept;

struct request {
    modbus::function_code function = function_code::read_holding_registers;
    std::uint16_t address = 0;
    std::uint16_t quantity = 0;           // 01-04, 0F, 10
    std::uint16_t value = 0;              // 05 (coil_on or coil_off), 06
    std::vector<bool> coils;              // 0F, one entry per coil
    std::vector<std::uint16_t> registers; // 10

    friend bool operator==(const request&, const request&) = default;
};

request make_read_request(function_code function, std::uint16_t address, std::uint16_t quantity);
request make_write_single_coil(std::uint16_t address, bool on);
request make_write_single_register(std::uint16_t address, std::uint16_t value);
request make_write_multiple_coils(std::uint16_t address, std::vector<bool> coils);
request make_write_multiple_registers(std::uint16_t address, std::vector<std::uint16_t> registers);

// Checks quantity limits, address overflow and the single-coil value.
std::error_code validate(const request& r) noexcept;

// Encodes the request PDU after validate(); on an error `pdu` is left empty.
std::error_code encode_request_pdu(const request& r, std::vector<std::uint8_t>& pdu);

// Decodes a request PDU (slave side); the request passes validate().
std::error_code decode_request_pdu(std::span<const std::uint8_t> pdu, request& out);

struct response {
    modbus::function_code function = function_code::read_holding_registers;
    std::vector<bool> bits;               // 01, 02: exactly the requested quantity
    std::vector<std::uint16_t> registers; // 03, 04
    std::uint16_t address = 0;            // 05, 06, 0F, 10: echoed start address
    std::uint16_t value = 0;              // 05, 06: echoed value; 0F, 10: echoed quantity
};

// Decodes the response PDU to `req`. An exception reply returns its
// exception_category() error; every other failure a modbus::error.
std::error_code decode_response_pdu(const request& req, std::span<const std::uint8_t> pdu, response& out);

// Decodes a response PDU whose request is unknown, e.g. a frame captured on
// site. A read response carries only its byte count, so `bits` gets every
// bit of the data bytes (padding bits of the last byte included) and
// `registers` byte count / 2 values. An echo must carry a valid coil value
// (05) or quantity and address range (0F, 10). An exception reply sets
// `function` and returns its exception_category() error; every other failure
// is a modbus::error.
std::error_code decode_response_pdu_without_request(std::span<const std::uint8_t> pdu, response& out);

// Length of the PDU that starts `bytes` as sent by a slave (is_request false)
// or a master, read from the function code and byte count. std::nullopt while
// those bytes are missing; an error for an unknown function or an oversize
// byte count. RTU has no length field, so its framing depends on this.
struct pdu_length {
    std::optional<std::size_t> length;
    std::error_code error;
};
pdu_length measure_pdu(std::span<const std::uint8_t> bytes, bool is_request) noexcept;

// Response PDUs for a slave simulator. `values` has one entry per requested
// bit or register. encode_echo_pdu builds the reply to 05, 06, 0F and 10.
std::vector<std::uint8_t> encode_bits_pdu(function_code function, const std::vector<bool>& values);
std::vector<std::uint8_t> encode_registers_pdu(function_code function, std::span<const std::uint16_t> values);
std::vector<std::uint8_t> encode_echo_pdu(const request& r);
std::vector<std::uint8_t> encode_exception_pdu(std::uint8_t function, exception_code code);

} // namespace citygate::modbus
