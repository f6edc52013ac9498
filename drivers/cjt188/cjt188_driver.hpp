#pragma once
// Driver for CJ/T 188 water, heat and gas meters on a polled bus (RS-485 / M-Bus
// through a serial server). Each poll sends a read-data request (DI 901F).
//
// Device configuration:
//   address  14 hex digits as printed on the meter, A6 first ("78330011223344")
//   options  meter_type  meter type T in hex, "10".."39" (default "10", cold water)
//            edition     "2018" (default; DI sent as 1F 90) or "2004" (90 1F)

#include "drivers/driver.hpp"
#include "protocols/cjt188/codec.hpp"
#include "protocols/cjt188/valve.hpp"

#include <system_error>

namespace citygate::drivers {

enum class cjt188_config_error {
    invalid_address = 1, // not 14 hex digits
    invalid_meter_type,  // not two hex digits in 10-39
    invalid_edition,     // neither "2004" nor "2018"
    unknown_option,      // an option key this driver does not read
};

const std::error_category& cjt188_config_category() noexcept;
std::error_code make_error_code(cjt188_config_error e) noexcept;

class cjt188_driver final : public driver {
public:
    std::string_view name() const override { return "cjt188"; }
    driver_kind kind() const override { return driver_kind::polled; }

    std::unique_ptr<device_codec> make_codec(const device_params& params, std::error_code& error) const override;
};

// Per-device codec; exposed so tests and tools can read its counters.
class cjt188_device_codec final : public device_codec {
public:
    cjt188_device_codec(std::uint8_t meter_type, cjt188::address addr, cjt188::edition ed);

    std::vector<std::uint8_t> encode_poll(std::size_t step) const override;

    // Skips line noise before the reply (counted as no_start_byte) and
    // returns the reply with consumed() including the skipped bytes. Noise
    // alone is need_more. Counters change only when the result is final.
    proto::decode_result<poll_answer> decode_answer(std::size_t step,
                                                    std::span<const std::uint8_t> bytes) const override;

    // "valve" = "open" or "close": write-data A017. The meter confirms with
    // its valve state, and a reply showing the other position is an error.
    std::error_code encode_command(std::string_view name, std::string_view value, exchange& out) const override;
    std::vector<std::string> commands() const override { return {"valve=open|close"}; }

    const cjt188::counters& stats() const noexcept { return stats_; }

private:
    proto::decode_result<poll_answer> decode_pass(std::span<const std::uint8_t> bytes, cjt188::counters& pass) const;
    std::error_code check_reply(const cjt188::reply& r) const;

    std::uint8_t meter_type_;
    cjt188::address address_;
    cjt188::edition edition_;
    mutable cjt188::counters stats_;
};

// Maps a decoded read-data reply to metric values and alarms.
poll_answer to_poll_answer(const cjt188::meter_data& values);

// Decodes the reply to a valve command sent to `address`, after any line
// noise, into the metric "valve" with the state the meter reports.
proto::decode_result<poll_answer> decode_valve_answer(const cjt188::address& address, cjt188::valve_command command,
                                                      std::span<const std::uint8_t> bytes);

// Skips line noise before a frame, decodes it with `decode` and maps it with
// `accept`, which returns an error for a frame that is not the expected reply.
// Noise alone is need_more; consumed() includes the skipped bytes.
template <typename Decode, typename Accept>
proto::decode_result<poll_answer> scan_for_reply(std::span<const std::uint8_t> bytes, cjt188::counters& pass,
                                                 Decode decode, Accept accept)
{
    using result = proto::decode_result<poll_answer>;
    std::size_t skipped = 0;

    for (;;) {
        // Noise without a start byte (e.g. from the transceiver turning the
        // line around) is skipped; the reply may still follow in a later read.
        if (skipped == bytes.size())
            return result::need_more();

        auto decoded = decode(bytes.subspan(skipped), pass);
        if (decoded.needs_more())
            return result::need_more();

        // NOTE: a framing error (e.g. a stray 68 in the noise) fails the
        // attempt without rescanning the rest; the core's retry covers it.
        if (decoded.failed() && decoded.error() == cjt188::error::no_start_byte) {
            skipped += decoded.consumed();
            continue;
        }
        if (decoded.failed())
            return result::fail(decoded.error(), skipped + decoded.consumed());

        poll_answer answer;
        if (auto ec = accept(decoded.frame(), answer)) {
            pass.count(ec);
            return result::fail(ec, skipped + decoded.consumed());
        }
        return result::ok(std::move(answer), skipped + decoded.consumed());
    }
}

} // namespace citygate::drivers

template <>
struct std::is_error_code_enum<citygate::drivers::cjt188_config_error> : std::true_type {};
