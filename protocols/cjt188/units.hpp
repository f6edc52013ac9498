#pragma once
// CJ/T 188 unit codes (the byte after each 4-byte quantity) and conversion to
// the canonical SenML units the gateway reports.
//
// Code table as implemented by the fox-edge CJ/T 188 decoder
// (github.com/hupengwu/fox-edge-server-protocol, CJT188Unit.java). The water
// meter walk-through at cnblogs.com/yangykaifa/p/7010777.html names 2C as cubic metres.

#include <cstdint>
#include <optional>
#include <string_view>

namespace citygate::cjt188 {

enum class unit_code : std::uint8_t {
    joule = 0x01,
    watt_hour = 0x02,
    kilowatt_hour = 0x05,
    megawatt_hour = 0x08,
    megawatt_hour_x100 = 0x0A,
    kilojoule = 0x0B,
    megajoule = 0x0E,
    gigajoule = 0x11,
    gigajoule_x100 = 0x13,
    watt = 0x14,
    kilowatt = 0x17,
    megawatt = 0x1A,
    litre = 0x29,
    cubic_metre = 0x2C,
    litre_per_hour = 0x32,
    cubic_metre_per_hour = 0x35,
};

// What a quantity measures; each kind has one canonical unit.
enum class quantity_kind {
    volume,    // m3
    energy,    // kWh
    power,     // kW
    flow_rate, // m3/s
};

// SenML unit name of the canonical unit: "m3", "kWh", "kW", "m3/s". Flow
// rates go out in m3/s because that is the registered SenML unit (RFC 8428),
// although meters report m3/h.
std::string_view canonical_unit(quantity_kind kind) noexcept;

// Factor that converts a value in `code` to the canonical unit of `kind`;
// std::nullopt for an unknown code or a code of another quantity kind.
std::optional<double> canonical_factor(std::uint8_t code, quantity_kind kind) noexcept;

// Symbol of the unit a code stands for, as a person reads it ("m3/h",
// "MWh x100" for 100 MWh); empty for an unknown code.
std::string_view unit_symbol(std::uint8_t code) noexcept;

} // namespace citygate::cjt188
