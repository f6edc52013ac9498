#pragma once
// Errors of the bus layer: why a poll failed or was not run.

#include <system_error>

namespace citygate::bus {

enum class bus_error {
    timeout = 1,       // no complete answer within the response timeout
    decode_failed,     // the driver rejected the answer (message in the poll result)
    answer_too_long,   // more bytes arrived than any answer may have
    transport_closed,  // the bus port (serial or TCP) is closed and being reopened
    transport_failed,  // a read or write on the port failed; the port was closed
    device_unknown,    // no device with this id is configured
    device_removed,    // the device was removed while its poll was queued or running
    queue_full,        // too many on-demand polls are already waiting on this bus
    stopped,           // the bus poller was stopped
    command_rejected,  // the driver cannot encode the requested command (detail in the result)
    bus_unknown,       // no bus with this id is configured
    request_refused,   // the device replied with a valid refusal, e.g. a Modbus exception (detail in the result)
};

const std::error_category& bus_category() noexcept;
std::error_code make_error_code(bus_error e) noexcept;

} // namespace citygate::bus

template <>
struct std::is_error_code_enum<citygate::bus::bus_error> : std::true_type {};
