#pragma once
// The control socket protocol between citygated and the citygate CLI.
//
// Transport: a Unix stream socket (default /run/citygate/control.sock, mode
// 0660, group "citygate"). Each request and each response is one JSON object
// on one line, terminated by '\n'. A connection may carry several requests;
// they are answered in order, one response line per request line.
// A request line longer than max_request_bytes is answered with
// "request_too_large" and the connection is closed.
//
// Requests:
//   {"cmd":"status"}
//   {"cmd":"devices"}
//   {"cmd":"read","device":"wm-01","raw":false}   "raw" is optional
//   {"cmd":"write","device":"wm-01","name":"valve","value":"close","raw":false}
//   {"cmd":"queue"}
//   {"cmd":"probe","bus":"rs485-1","protocol":"dlt645","address":null,
//    "edition":"2007","meter_type":"10","scan":{"index":0,"total":50}}
//       One exchange on the bus, addressed to no configured device.
//       "protocol" is dlt645, cjt188 or modbus. "address" null sends the
//       read-address broadcast, which modbus does not have. A string
//       probes one address: 12 decimal digits (dlt645), 14 hex digits
//       (cjt188) or a unit id 1-247 (modbus). "edition" (dlt645: 2007|1997, cjt188: 2018|2004) and
//       "meter_type" (cjt188: two hex digits 10-39) are optional. "scan"
//       (optional) places the probe in a sweep of `total` addresses, at
//       most max_scan_addresses, so the daemon can log where a sweep starts
//       and ends.
//
// Responses:
//   {"ok":true,"result":{...}}
//   {"ok":false,"error":{"code":"device_not_found","message":"..."}}
//
// Result shapes (times are ms since the Unix epoch, UTC):
//   status:  {"gateway_id":str,"version":str,"uptime_s":n,"started_at_ms":n,
//             "clock_trusted":bool,
//             "uplink":{"connected":bool,"broker":str,"reconnects":n},
//             "devices_total":n,"devices_online":n,
//             "buses":[{"id":str,"endpoint":str,"open":bool,"exchanges":n,
//                       "timeouts":n,"rejected_frames":n,"late_answers":n,
//                       "port_errors":n,"dropped_bytes":n}]}
//   devices: {"devices":[{"id":str,"driver":str,"bus":str,"address":str,
//             "state":"online"|"offline"|"unknown","last_reading_ms":n|null,
//             "consecutive_failures":n,"last_error":str,"polls":n,
//             "failures":n,"rejected_frames":n}]}
//   read, write:
//            {"device":str,"ts_ms":n,
//             "values":[{"metric":str,"unit":str,"value":number|bool|str}],
//             "exchanges":[{"request_hex":str,"response_hex":str,
//                           "attempts":n,"error":str}]}
//            "exchanges" lists the raw frames of each step; the daemon sends
//            it empty unless the request set "raw":true.
//   queue:   {"telemetry":{"pending_rows":n,"sealed_rows":n,"bytes":n},
//             "event":{"pending_rows":n,"sealed_rows":n,"bytes":n},
//             "oldest_unsent_ms":n|null,"accepted":n,"sent":n,"evicted":n,
//             "next_sequence":n,"in_flight":n}
//   probe:   {"bus":str,"protocol":str,"found":bool,"address":str,
//             "detail":str,"values":[{"metric":str,"unit":str,"value":...}],
//             "options":{str:str},"request_hex":str,"response_hex":str}
//            No answer, or an answer that is not a valid frame (typical when
//            several meters answer a broadcast at once), is "found":false
//            with the reason in "detail", not an error. "address" is the
//            address of the device that answered (empty when none);
//            "options" are device options for a config file, e.g. the
//            edition the meter answered in.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace citygate::control {

inline constexpr std::size_t max_request_bytes = 64 * 1024;
inline constexpr std::size_t max_response_bytes = 4 * 1024 * 1024;
inline constexpr std::size_t max_command_text = 64; // "name" and "value" of a write
inline constexpr std::size_t max_scan_addresses = 1000; // "total" of a probe's "scan"

// Error codes carried in {"error":{"code":...}}. The wire name of each value
// is its identifier, e.g. errc::device_not_found -> "device_not_found".
enum class errc {
    malformed_json = 1,   // the request line is not valid JSON
    bad_request,          // valid JSON, but not a request object or a field has the wrong type
    unknown_command,      // "cmd" names no command
    request_too_large,    // the line exceeded max_request_bytes
    too_many_connections, // the server is at its connection limit
    device_not_found,     // "device" names no configured device
    bus_not_found,        // "bus" names no configured bus
    not_supported,        // the device cannot serve this command (e.g. a push-only device for "read")
    read_failed,          // the device did not answer or its answer was invalid
    command_rejected,     // the device's driver has no such command or value
    write_failed,         // the device did not confirm the command
    probe_failed,         // the bus port is closed or failed, so the probe was not sent
    timed_out,            // the daemon did not produce a response in time
    shutting_down,        // the daemon is stopping
    internal_error,       // a bug in the daemon; its log has the detail
};

const std::error_category& control_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

std::string_view wire_name(errc e) noexcept;
std::optional<errc> errc_from_wire(std::string_view name) noexcept;

// {"ok":true,"result":result}
nlohmann::json make_result(nlohmann::json result);

// {"ok":false,"error":{"code":wire_name(code),"message":message}}
nlohmann::json make_error(errc code, std::string message);

// Checks a parsed request against the command list above. Returns the error
// response to send for an invalid request, std::nullopt for a valid one.
std::optional<nlohmann::json> check_request(const nlohmann::json& request);

// True for a well-formed response object: "ok" is a bool, and either
// "result" is present or "error" has a string "code".
bool is_valid_response(const nlohmann::json& response);

} // namespace citygate::control

template <>
struct std::is_error_code_enum<citygate::control::errc> : std::true_type {};
