#pragma once
// `citygate decode`: a captured frame decoded by the codecs in protocols/,
// as a list of named fields that render as text (decode_render.cpp) or as
// one JSON object. Each decode_* function only reads the codec's results;
// the framing and field rules stay in the codecs.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace citygate::cli {

enum class frame_direction { request, response };

// Value of --direction for Modbus frames. With `automatic` the frame is
// decoded as a response, then as a request (decode_modbus.cpp).
enum class direction_choice { automatic, request, response };

struct report_field {
    std::string key;      // JSON member name, English and stable, e.g. "control"
    std::string label;    // translated label of the text output
    std::string text;     // value as a person reads it
    nlohmann::json value; // value in --json output
    std::string unit;     // unit of `value`, empty for none
};

// Checksum (CJ/T 188, DL/T 645) or CRC (Modbus RTU) of the frame.
struct frame_check {
    std::string name;     // "CS" or "CRC", the standards' own names
    std::string received; // hex as sent
    std::string computed; // hex computed over the frame's bytes
    bool ok = false;
};

struct decode_report {
    std::string protocol; // "cjt188", "dlt645", "modbus-rtu", "modbus-tcp"
    std::optional<frame_direction> direction;
    std::string direction_rule; // "control" (bit 7 of C), "option" or "auto"
    std::vector<report_field> fields;
    std::optional<frame_check> check;
    bool incomplete = false;     // the input ends before the frame does
    std::error_code error;       // the codec's reason for rejecting the frame
    std::vector<std::uint8_t> trailing; // input bytes after the frame

    bool valid() const { return !incomplete && !error; }

    void add(std::string key, std::string label, std::string text, nlohmann::json value, std::string unit = {});
};

// Upper-case hex pairs separated by spaces.
std::string hex_text(std::span<const std::uint8_t> bytes);
// "0x1F" style hex of one value with `digits` hex digits.
std::string hex_value(unsigned value, int digits);

// A codec's rejection reason in the user's language (error.message() in
// English when no translation exists).
std::string translated_reason(std::error_code error);

decode_report decode_cjt188(std::span<const std::uint8_t> bytes);
decode_report decode_dlt645(std::span<const std::uint8_t> bytes);
decode_report decode_modbus_rtu(std::span<const std::uint8_t> bytes, direction_choice choice);
decode_report decode_modbus_tcp(std::span<const std::uint8_t> bytes, direction_choice choice);

// Prints "label  value unit" lines, the check verdict and the result line.
// A rejection reason goes to `err` as "error: ...".
void print_report_text(const decode_report& report, std::ostream& out, std::ostream& err);

// {"protocol","valid","direction","direction_rule","fields":{key:{"value","unit"?}},
//  "check":{"name","received","computed","ok"},"error":{"category","value","message"},
//  "trailing"}; absent members are left out.
nlohmann::json report_to_json(const decode_report& report);

} // namespace citygate::cli
