#pragma once
// The compact text form of one register-map point in a device's options:
//
//   point.<metric> = "<table> <address> <type> [key=value ...]"
//
//   table    coil | discrete | holding | input
//   address  protocol address 0-65535, decimal or 0x-prefixed hex (register
//            40001 in the 1-based "4xxxx" notation is holding 0)
//   type     u16 | i16 | u32 | i32 | f32 | u64 | bool | bits
//   keys     order=ABCD|CDAB|BADC|DCBA  byte order of 32- and 64-bit values,
//                                       A most significant (default ABCD)
//            scale=<number> offset=<number>  value = raw * scale + offset
//            unit=<SenML unit>          e.g. m, Cel, %RH, V, A, W
//            bit=<0-15>                 bool and bits in a register: lowest bit
//            bits=<1-16>                width of a bits field (default 1)
//            group=<name>               points of different groups never share a read
//
// Example: point.level = "input 0 u32 order=CDAB scale=0.001 unit=m"

#include "protocols/modbus/register_map.hpp"

#include <string_view>
#include <system_error>

namespace citygate::drivers {

enum class modbus_config_error {
    invalid_unit_id = 1, // address is not a unit id 1-247
    invalid_metric,      // metric name empty, too long or not [A-Za-z0-9_.-]
    invalid_point,       // fewer than the three fields table, address and type
    invalid_table,       // table other than coil, discrete, holding, input
    invalid_address,     // address not a number in 0-65535
    invalid_type,        // type other than u16, i16, u32, i32, f32, u64, bool, bits
    invalid_order,       // order other than ABCD, CDAB, BADC, DCBA
    invalid_number,      // scale, offset, bit or bits not a number in range
    unknown_point_key,   // key other than order, scale, offset, unit, bit, bits, group
    invalid_max_block,   // max_block not 1-125
    invalid_max_gap,     // max_gap not 0-124
    unknown_option,      // option other than point.<metric>, template, max_block, max_gap
    no_points,           // no point.<metric> option
    invalid_template,    // template name not [a-z0-9_-], file missing, not TOML, or values not strings/integers
    invalid_tcp_unit_id, // modbus-tcp address is not a unit id 0-255
};

const std::error_category& modbus_config_category() noexcept;
std::error_code make_error_code(modbus_config_error e) noexcept;

// Parses the value of a point.<metric> option into `out`, then validates it
// with modbus::validate (which returns modbus::map_error codes).
std::error_code parse_point(std::string_view metric, std::string_view text, modbus::point& out);

} // namespace citygate::drivers

template <>
struct std::is_error_code_enum<citygate::drivers::modbus_config_error> : std::true_type {};
