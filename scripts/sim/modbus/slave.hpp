#pragma once
// The register model of citygate-modbus-sim, shared by its RTU and TCP
// modes. Four tables of `size` entries each:
//   coils[i]             = (i % 2 == 0)
//   discrete inputs[i]   = (i % 3 == 0)
//   holding registers[i] = i * 10
//   input registers[i]   = 1000 + i
// Writes change coils and holding registers. A read or write past the size
// gets exception 02 (ILLEGAL DATA ADDRESS).

#include "protocols/modbus/counters.hpp"
#include "protocols/modbus/pdu.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace citygate::modbus_sim {

using namespace citygate::modbus;

struct slave {
    std::uint8_t unit = 1;
    std::vector<bool> coils;
    std::vector<bool> discrete_inputs;
    std::vector<std::uint16_t> holding;
    std::vector<std::uint16_t> input;
    counters stats;

    explicit slave(std::size_t size) : coils(size), discrete_inputs(size), holding(size), input(size)
    {
        for (std::size_t i = 0; i < size; ++i) {
            coils[i] = i % 2 == 0;
            discrete_inputs[i] = i % 3 == 0;
            holding[i] = static_cast<std::uint16_t>(i * 10);
            input[i] = static_cast<std::uint16_t>(1000 + i);
        }
    }
};

template <typename T>
std::vector<T> slice(const std::vector<T>& table, const request& r)
{
    return {table.begin() + r.address, table.begin() + r.address + r.quantity};
}

// Executes a valid request and returns its response PDU.
inline std::vector<std::uint8_t> execute(slave& s, const request& r)
{
    const auto function = static_cast<std::uint8_t>(r.function);
    const auto size = s.holding.size();
    const bool single = r.function == function_code::write_single_coil || r.function == function_code::write_single_register;
    if (r.address + std::size_t{single ? 1u : r.quantity} > size)
        return encode_exception_pdu(function, exception_code::illegal_data_address);

    switch (r.function) {
    case function_code::read_coils: return encode_bits_pdu(r.function, slice(s.coils, r));
    case function_code::read_discrete_inputs: return encode_bits_pdu(r.function, slice(s.discrete_inputs, r));
    case function_code::read_holding_registers: return encode_registers_pdu(r.function, slice(s.holding, r));
    case function_code::read_input_registers: return encode_registers_pdu(r.function, slice(s.input, r));
    case function_code::write_single_coil: s.coils[r.address] = r.value == coil_on; break;
    case function_code::write_single_register: s.holding[r.address] = r.value; break;
    case function_code::write_multiple_coils:
        std::copy(r.coils.begin(), r.coils.end(), s.coils.begin() + r.address);
        break;
    case function_code::write_multiple_registers:
        std::copy(r.registers.begin(), r.registers.end(), s.holding.begin() + r.address);
        break;
    }
    return encode_echo_pdu(r);
}

} // namespace citygate::modbus_sim
