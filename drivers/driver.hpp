#pragma once
// The one interface every device family implements. Drivers only encode
// requests and decode answers; the gateway core owns timers, polling, bus
// arbitration, retries and backoff.

#include "drivers/reading.hpp"
#include "protocols/common/decode_result.hpp"

#include <cstdint>
#include <map>
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

// Per-device codec, created once per configured device.
class device_codec {
public:
    virtual ~device_codec() = default;

    // Bytes of the poll request for this device (polled drivers).
    virtual std::vector<std::uint8_t> encode_poll() const = 0;

    // Decodes bytes received after a poll. need_more while the frame is
    // incomplete; an error for a frame that is invalid or is not for this
    // device.
    virtual proto::decode_result<poll_answer> decode_answer(std::span<const std::uint8_t> bytes) const = 0;
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

    // Decodes an unsolicited frame (push drivers only).
    virtual proto::decode_result<push_frame> decode_push(std::span<const std::uint8_t> bytes) const;
};

} // namespace citygate::drivers
