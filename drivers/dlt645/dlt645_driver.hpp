#pragma once
// Driver for DL/T 645 electricity meters (1997 and 2007 editions) on a polled
// RS-485 bus. A poll reads each configured quantity with its own read-data
// request, one after the other, and reports them as one reading.
//
// Device configuration:
//   address  12 decimal digits as printed on the meter ("000000000161")
//   options  edition  "2007" (default) or "1997"
//            read     comma-separated metrics to read, from the names in
//                     dlt645::quantities(), or "all" for every quantity of the
//                     edition ("energy_import" by default: total forward
//                     active energy, DI 00010000 or 9010)
//
// A meter without one of the quantities sends an error reply for it, and
// the other quantities of the poll are still reported.

#include "drivers/driver.hpp"
#include "protocols/dlt645/codec.hpp"

#include <cstddef>
#include <system_error>
#include <vector>

namespace citygate::drivers {

enum class dlt645_config_error {
    invalid_address = 1, // not 12 decimal digits
    invalid_edition,     // neither "1997" nor "2007"
    unknown_quantity,    // "read" names no known metric
    quantity_not_in_edition, // the metric has no DI in the configured edition
    unknown_option,      // an option key this driver does not read
    too_many_quantities, // "read" lists more than max_dlt645_quantities
    duplicate_quantity,  // "read" lists a metric twice
};

// Upper bound of the quantities one poll reads. Every known quantity fits
// ("all" is 35 in the 2007 edition); at 2400 baud each read takes about
// 0.2-0.5 s, so a full poll holds the bus for 10-30 s.
inline constexpr std::size_t max_dlt645_quantities = 64;

const std::error_category& dlt645_config_category() noexcept;
std::error_code make_error_code(dlt645_config_error e) noexcept;

class dlt645_driver final : public driver {
public:
    std::string_view name() const override { return "dlt645"; }
    driver_kind kind() const override { return driver_kind::polled; }

    std::unique_ptr<device_codec> make_codec(const device_params& params, std::error_code& error) const override;
    std::string describe_config_error(const device_params& params, std::error_code error) const override;

    // Broadcast time sync (C = 08H to 99..99), the same in both editions.
    std::optional<std::vector<std::uint8_t>> encode_time_sync(std::int64_t unix_ms) const override;
};

// Per-device codec; exposed so tests and tools can read its counters.
class dlt645_device_codec final : public device_codec {
public:
    // Precondition: `what` is not empty and every quantity has a DI in `ed`.
    dlt645_device_codec(dlt645::address addr, dlt645::edition ed, std::vector<const dlt645::quantity*> what);

    std::size_t poll_steps() const override { return quantities_.size(); }
    std::vector<std::uint8_t> encode_poll(std::size_t step) const override;

    // Skips line noise before the reply (counted as no_start_byte) and
    // returns the reply with consumed() including the skipped bytes. Noise
    // alone is need_more. An abnormal reply fails with its dlt645::meter_error.
    // Counters change only when the result is final.
    proto::decode_result<poll_answer> decode_answer(std::size_t step,
                                                    std::span<const std::uint8_t> bytes) const override;

    const dlt645::counters& stats() const noexcept { return stats_; }

    // Data identifier read by `step`.
    dlt645::data_id di(std::size_t step) const noexcept { return dis_[step]; }

private:
    proto::decode_result<poll_answer> decode_pass(std::size_t step, std::span<const std::uint8_t> bytes,
                                                  dlt645::counters& pass) const;
    std::error_code to_answer(std::size_t step, const dlt645::reply& r, poll_answer& out) const;

    dlt645::address address_;
    dlt645::edition edition_;
    std::vector<const dlt645::quantity*> quantities_;
    std::vector<dlt645::data_id> dis_;
    mutable dlt645::counters stats_;
};

} // namespace citygate::drivers

template <>
struct std::is_error_code_enum<citygate::drivers::dlt645_config_error> : std::true_type {};
