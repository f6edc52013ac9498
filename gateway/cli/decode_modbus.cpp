// Modbus RTU and TCP frames for `citygate decode`. A Modbus frame does not
// carry its direction, so --direction picks it. `auto` decodes the frame as
// a response first, because technicians usually capture responses, then as a
// request (choose_direction). Field and function names are those of the
// Modbus Application Protocol V1.1b3.

#include "gateway/cli/decode_report.hpp"
#include "gateway/cli/i18n.hpp"

#include "protocols/modbus/rtu.hpp"
#include "protocols/modbus/tcp.hpp"

#include <fmt/format.h>

namespace citygate::cli {
namespace {

namespace mb = citygate::modbus;

std::string function_name(mb::function_code function) {
    switch (function) {
    case mb::function_code::read_coils:
        return _("Read Coils");
    case mb::function_code::read_discrete_inputs:
        return _("Read Discrete Inputs");
    case mb::function_code::read_holding_registers:
        return _("Read Holding Registers");
    case mb::function_code::read_input_registers:
        return _("Read Input Registers");
    case mb::function_code::write_single_coil:
        return _("Write Single Coil");
    case mb::function_code::write_single_register:
        return _("Write Single Register");
    case mb::function_code::write_multiple_coils:
        return _("Write Multiple Coils");
    case mb::function_code::write_multiple_registers:
        return _("Write Multiple Registers");
    }
    return "";
}

std::string word_text(std::uint16_t value) {
    return fmt::format("{:04X} ({})", value, value);
}

void add_function(decode_report& report, mb::function_code function) {
    const auto code = static_cast<unsigned>(function);
    report.add("function", _("Function code"), hex_value(code, 2) + " " + function_name(function), code);
}

void add_word(decode_report& report, std::string key, std::string label, std::uint16_t value) {
    report.add(std::move(key), std::move(label), word_text(value), value);
}

std::string bits_text(const std::vector<bool>& bits) {
    std::string out;
    for (std::size_t i = 0; i < bits.size(); ++i) {
        out += i == 0 ? "" : (i % 8 == 0 ? "  " : " ");
        out += bits[i] ? '1' : '0';
    }
    return out;
}

void add_bits(decode_report& report, std::string key, std::string label, const std::vector<bool>& bits) {
    report.add(std::move(key), std::move(label), bits_text(bits), bits);
}

void add_registers(decode_report& report, std::string key, const std::vector<std::uint16_t>& registers) {
    std::string text;
    for (auto value : registers) {
        text += (text.empty() ? "" : " ") + hex_value(value, 4);
    }
    report.add(std::move(key), _("Register values"), text, registers);
}

bool is_single_write(mb::function_code f) {
    return f == mb::function_code::write_single_coil || f == mb::function_code::write_single_register;
}

bool is_multiple_write(mb::function_code f) {
    return f == mb::function_code::write_multiple_coils || f == mb::function_code::write_multiple_registers;
}

std::string single_value_text(mb::function_code f, std::uint16_t value) {
    if (f != mb::function_code::write_single_coil) {
        return word_text(value);
    }
    return fmt::format("{:04X} ({})", value, value == mb::coil_on ? "ON" : "OFF");
}

void add_request_pdu(decode_report& report, std::span<const std::uint8_t> pdu) {
    mb::request request;
    if (auto error = mb::decode_request_pdu(pdu, request)) {
        report.error = error;
        report.add("pdu", _("PDU"), hex_text(pdu), hex_text(pdu));
        return;
    }
    add_function(report, request.function);
    add_word(report, "address", _("Starting address"), request.address);
    if (is_single_write(request.function)) {
        report.add("value", _("Output value"), single_value_text(request.function, request.value), request.value);
        return;
    }
    add_word(report, "quantity", _("Quantity"), request.quantity);
    if (request.function == mb::function_code::write_multiple_coils) {
        add_bits(report, "coils", _("Output values, first coil first"), request.coils);
    } else if (request.function == mb::function_code::write_multiple_registers) {
        add_registers(report, "registers", request.registers);
    }
}

void add_read_response(decode_report& report, const mb::response& response) {
    if (!response.registers.empty()) {
        report.add("byte_count", _("Byte count"), std::to_string(2 * response.registers.size()),
                   2 * response.registers.size());
        add_registers(report, "registers", response.registers);
        return;
    }
    report.add("byte_count", _("Byte count"), std::to_string(response.bits.size() / 8), response.bits.size() / 8);
    add_bits(report, "bits", _("Status bits, first address first"), response.bits);
}

void add_response_pdu(decode_report& report, std::span<const std::uint8_t> pdu) {
    mb::response response;
    const auto error = mb::decode_response_pdu_without_request(pdu, response);
    if (error && error.category() == mb::exception_category()) {
        // An exception response is a valid frame in which the server reports an error.
        add_function(report, response.function);
        report.add("exception_function", _("Exception function code"), hex_value(pdu[0], 2), pdu[0]);
        report.add("exception_code", _("Exception code"),
                   hex_value(pdu[1], 2) + " " + std::string(mb::exception_name(pdu[1])),
                   std::string(mb::exception_name(pdu[1])));
        return;
    }
    if (error) {
        report.error = error;
        report.add("pdu", _("PDU"), hex_text(pdu), hex_text(pdu));
        return;
    }

    add_function(report, response.function);
    if (!response.bits.empty() || !response.registers.empty()) {
        add_read_response(report, response);
        return;
    }
    add_word(report, "address", _("Starting address"), response.address);
    if (is_multiple_write(response.function)) {
        add_word(report, "quantity", _("Quantity"), response.value);
    } else {
        report.add("value", _("Output value"), single_value_text(response.function, response.value), response.value);
    }
}

void add_pdu(decode_report& report, std::span<const std::uint8_t> pdu) {
    if (*report.direction == frame_direction::request) {
        add_request_pdu(report, pdu);
    } else {
        add_response_pdu(report, pdu);
    }
}

decode_report rtu_as(std::span<const std::uint8_t> bytes, frame_direction direction, std::string rule) {
    decode_report report;
    report.protocol = "modbus-rtu";
    report.direction = direction;
    report.direction_rule = std::move(rule);

    mb::counters stats;
    auto framed = mb::decode_rtu_frame(bytes, direction == frame_direction::request, stats);
    if (framed.needs_more()) {
        report.incomplete = true;
        return report;
    }
    const std::size_t size = framed.consumed();
    if (framed.failed()) {
        report.error = framed.error();
        if (framed.error() == mb::error::bad_crc && size >= 3) {
            const auto computed = mb::crc16(bytes.first(size - 2));
            // The CRC goes out low byte first; shown as sent.
            report.check = frame_check{"CRC", hex_text(bytes.subspan(size - 2, 2)),
                                       fmt::format("{:02X} {:02X}", computed & 0xFF, computed >> 8), false};
        }
        return report;
    }

    report.add("unit_id", _("Unit identifier (slave address)"), hex_value(framed.frame().unit, 2) + " (" +
                   std::to_string(framed.frame().unit) + ")", framed.frame().unit);
    add_pdu(report, framed.frame().pdu);
    const std::string crc = hex_text(bytes.subspan(size - 2, 2));
    report.check = frame_check{"CRC", crc, crc, true};
    report.trailing.assign(bytes.begin() + static_cast<std::ptrdiff_t>(size), bytes.end());
    return report;
}

std::uint16_t read_u16(std::span<const std::uint8_t> bytes, std::size_t at) {
    return static_cast<std::uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

// The MBAP header as sent, also when the codec rejected it.
void add_mbap(decode_report& report, std::span<const std::uint8_t> bytes) {
    if (bytes.size() < mb::mbap_size) {
        return;
    }
    add_word(report, "transaction_id", _("Transaction identifier"), read_u16(bytes, 0));
    add_word(report, "protocol_id", _("Protocol identifier"), read_u16(bytes, 2));
    add_word(report, "length", _("Length"), read_u16(bytes, 4));
    report.add("unit_id", _("Unit identifier"), hex_value(bytes[6], 2) + " (" + std::to_string(bytes[6]) + ")",
               bytes[6]);
}

decode_report tcp_as(std::span<const std::uint8_t> bytes, frame_direction direction, std::string rule) {
    decode_report report;
    report.protocol = "modbus-tcp";
    report.direction = direction;
    report.direction_rule = std::move(rule);

    mb::counters stats;
    auto framed = mb::decode_tcp_frame(bytes, stats);
    if (framed.needs_more()) {
        report.incomplete = true;
        add_mbap(report, bytes);
        return report;
    }
    add_mbap(report, bytes);
    if (framed.failed()) {
        report.error = framed.error();
        return report;
    }
    add_pdu(report, framed.frame().pdu);
    report.trailing.assign(bytes.begin() + static_cast<std::ptrdiff_t>(framed.consumed()), bytes.end());
    return report;
}

// Keeps the first reading that is a valid frame using every input byte, then
// a valid reading with trailing bytes, then the rejected response reading.
template <typename Decode>
decode_report choose_direction(std::span<const std::uint8_t> bytes, direction_choice choice, Decode decode) {
    if (choice == direction_choice::request) {
        return decode(bytes, frame_direction::request, "option");
    }
    if (choice == direction_choice::response) {
        return decode(bytes, frame_direction::response, "option");
    }

    auto response = decode(bytes, frame_direction::response, "auto");
    if (response.valid() && response.trailing.empty()) {
        return response;
    }
    auto request = decode(bytes, frame_direction::request, "auto");
    if (request.valid() && (request.trailing.empty() || !response.valid())) {
        return request;
    }
    return response;
}

} // namespace

decode_report decode_modbus_rtu(std::span<const std::uint8_t> bytes, direction_choice choice) {
    return choose_direction(bytes, choice, rtu_as);
}

decode_report decode_modbus_tcp(std::span<const std::uint8_t> bytes, direction_choice choice) {
    return choose_direction(bytes, choice, tcp_as);
}

} // namespace citygate::cli
