#pragma once
// Driver for DL/T 645 electricity meters (1997 and 2007 editions) on a polled
// RS-485 bus. Each poll sends one read-data request for one data identifier.
//
// Device configuration:
//   address  12 decimal digits as printed on the meter ("000000000161")
//   options  edition  "2007" (default) or "1997"
//            read     metric to read, one of the names in dlt645::quantities()
//                     ("energy_import" by default: total forward active energy,
//                     DI 00010000 or 9010)
//
// TODO: one poll reads one DI, because device_codec sends one request per
// poll. Reading voltage, current, power and energy of one meter in a single
// reading needs the core to run a sequence of requests per poll (e.g.
// device_codec::poll_steps() and encode_poll(step)) and merge the answers.

#include "drivers/driver.hpp"
#include "protocols/dlt645/codec.hpp"

#include <system_error>

namespace citygate::drivers {

enum class dlt645_config_error {
    invalid_address = 1, // not 12 decimal digits
    invalid_edition,     // neither "1997" nor "2007"
    unknown_quantity,    // "read" names no known metric
    quantity_not_in_edition, // the metric has no DI in the configured edition
    unknown_option,      // an option key this driver does not read
};

const std::error_category& dlt645_config_category() noexcept;
std::error_code make_error_code(dlt645_config_error e) noexcept;

class dlt645_driver final : public driver {
public:
    std::string_view name() const override { return "dlt645"; }
    driver_kind kind() const override { return driver_kind::polled; }

    std::unique_ptr<device_codec> make_codec(const device_params& params, std::error_code& error) const override;
};

// Per-device codec; exposed so tests and tools can read its counters.
class dlt645_device_codec final : public device_codec {
public:
    // Precondition: `what` has a DI in `ed`.
    dlt645_device_codec(dlt645::address addr, dlt645::edition ed, const dlt645::quantity& what);

    std::vector<std::uint8_t> encode_poll() const override;

    // Skips line noise before the reply (counted as no_start_byte) and
    // returns the reply with consumed() including the skipped bytes. Noise
    // alone is need_more. An abnormal reply fails with its dlt645::meter_error.
    // Counters change only when the result is final.
    proto::decode_result<poll_answer> decode_answer(std::span<const std::uint8_t> bytes) const override;

    const dlt645::counters& stats() const noexcept { return stats_; }
    dlt645::data_id di() const noexcept { return di_; }

private:
    proto::decode_result<poll_answer> decode_pass(std::span<const std::uint8_t> bytes, dlt645::counters& pass) const;
    std::error_code to_answer(const dlt645::reply& r, poll_answer& out) const;

    dlt645::address address_;
    dlt645::edition edition_;
    const dlt645::quantity* quantity_;
    dlt645::data_id di_;
    mutable dlt645::counters stats_;
};

} // namespace citygate::drivers

template <>
struct std::is_error_code_enum<citygate::drivers::dlt645_config_error> : std::true_type {};
