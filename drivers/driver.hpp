#pragma once
// The one interface every device family implements. Drivers only encode
// requests and decode answers; the gateway core owns timers, polling, bus
// arbitration, retries and backoff.

#include "drivers/reading.hpp"
#include "protocols/common/decode_result.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace citygate::drivers {

enum class driver_kind {
    polled, // request/response on a shared bus (RS-485, serial server, DTU)
    push,   // sends frames unsolicited (NB-IoT, LoRaWAN, some DTUs)
};

// What the configuration says about one device, as the driver sees it.
struct device_params {
    std::string id;
    std::string address;                        // driver-specific text, e.g. a CJ/T 188 address
    std::map<std::string, std::string> options; // driver-specific extra keys
};

// Decoded answer to one poll: the values, plus flags a driver may raise.
struct poll_answer {
    std::vector<metric_value> values;
    std::vector<metric_value> alarms; // values that also go to the event lane (valve fault, low battery)
};

// Decoder of the answer to one request; need_more while the frame is
// incomplete, an error for a frame that is invalid or not the expected one.
using answer_decoder = std::function<proto::decode_result<poll_answer>(std::span<const std::uint8_t>)>;

// One request and how to read its answer, for exchanges outside the poll
// cycle: device commands (valve, coil, register writes) and bus-wide frames
// (broadcast time sync, address scans).
struct exchange {
    std::vector<std::uint8_t> request;
    answer_decoder decode; // empty for a broadcast, which no device answers

    // Encoder of the request with a new Modbus TCP transaction id, which
    // `decode` then expects, so that a late reply to an earlier attempt is
    // skipped. Empty where a retry repeats `request` unchanged.
    std::function<std::vector<std::uint8_t>()> encode_again = {};
};

enum class driver_error {
    command_not_supported = 1, // the device has no command of that name
    invalid_command_value,     // the command exists but not with that value
};

const std::error_category& driver_category() noexcept;
std::error_code make_error_code(driver_error e) noexcept;

// Per-device codec, created once per configured device. A poll is a fixed
// sequence of exchanges ("steps"), e.g. one per DL/T 645 data identifier or
// per Modbus register block. The core runs them back to back on the bus and
// merges the decoded responses into one reading.
class device_codec {
public:
    virtual ~device_codec() = default;

    // Number of exchanges in one poll; at least 1.
    virtual std::size_t poll_steps() const { return 1; }

    // Bytes of the request of `step` (0 <= step < poll_steps()). The core
    // calls it again for every retry.
    virtual std::vector<std::uint8_t> encode_poll(std::size_t step) const = 0;

    // Decodes bytes received after the request of `step`. need_more while
    // the frame is incomplete; an error for a frame that is invalid or is
    // not for this device.
    virtual proto::decode_result<poll_answer> decode_answer(std::size_t step,
                                                            std::span<const std::uint8_t> bytes) const = 0;

    // Builds the exchange that sets `name` to `value` on the device, e.g.
    // "valve" = "close". driver_error::command_not_supported by default.
    virtual std::error_code encode_command(std::string_view name, std::string_view value, exchange& out) const;

    // Names of the commands encode_command() accepts, with their values,
    // e.g. "valve=open|close", for help and error messages.
    virtual std::vector<std::string> commands() const { return {}; }
};

// Frame received unsolicited, attributed to a device address.
struct push_frame {
    std::string address;
    poll_answer answer;
};

class driver {
public:
    virtual ~driver() = default;

    virtual std::string_view name() const = 0;
    virtual driver_kind kind() const = 0;

    // Validates the device's address and options; an error says which value
    // is wrong through the error code's message.
    virtual std::unique_ptr<device_codec> make_codec(const device_params& params, std::error_code& error) const = 0;

    // Message for an error of make_codec(params) that names the offending
    // value and the accepted ones; error.message() by default.
    virtual std::string describe_config_error(const device_params& params, std::error_code error) const;

    // Decodes an unsolicited frame (push drivers only).
    virtual proto::decode_result<push_frame> decode_push(std::span<const std::uint8_t> bytes) const;

    // Broadcast frame that sets the clock of every device of this family on
    // a bus to the local time `unix_ms`; nullopt when the protocol has none.
    virtual std::optional<std::vector<std::uint8_t>> encode_time_sync(std::int64_t unix_ms) const;
};

} // namespace citygate::drivers

template <>
struct std::is_error_code_enum<citygate::drivers::driver_error> : std::true_type {};
