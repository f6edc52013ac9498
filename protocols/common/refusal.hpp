#pragma once
// Error condition shared by the protocol codecs: a valid reply in which the
// device rejects the request (a Modbus exception, a DL/T 645 or CJ/T 188
// abnormal reply). Such a device is present and the line is sound, so the
// core neither repeats the request nor counts the frame as rejected.
// A codec's error category maps its refusal codes onto this condition
// through default_error_condition().

#include <system_error>

namespace citygate::proto {

enum class answer_condition {
    request_refused = 1, // the device replied with a valid refusal of the request
};

const std::error_category& answer_condition_category() noexcept;
std::error_condition make_error_condition(answer_condition c) noexcept;

// True when `error` is a device's valid refusal rather than a garbled or
// foreign frame.
bool is_refusal(std::error_code error) noexcept;

} // namespace citygate::proto

template <>
struct std::is_error_condition_enum<citygate::proto::answer_condition> : std::true_type {};
