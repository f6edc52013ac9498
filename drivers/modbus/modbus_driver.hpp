#pragma once
// Driver "modbus-rtu" for Modbus RTU slaves on a polled RS-485 bus. The
// device's register map comes from its options (syntax in point_syntax.hpp),
// and neighbouring points are read together in blocks.
//
// Device configuration:
//   address  unit id 1-247
//   options  point.<metric>  one per value, e.g. "holding 0 u32 order=CDAB scale=0.1 unit=Cel"
//            template        name of a register-map template (template.hpp) to start from
//            max_block       registers per read, 1-125 (default 125)
//            max_gap         unused registers a read may span to join two points (default 0)

#include "drivers/driver.hpp"
#include "drivers/modbus/point_syntax.hpp"
#include "drivers/modbus/template.hpp"
#include "protocols/modbus/counters.hpp"
#include "protocols/modbus/register_map.hpp"

#include <cstddef>
#include <cstdint>
#include <system_error>
#include <vector>

namespace citygate::drivers {

class modbus_rtu_driver final : public driver {
public:
    explicit modbus_rtu_driver(std::filesystem::path template_dir = std::filesystem::path(default_template_dir))
        : template_dir_(std::move(template_dir))
    {
    }

    std::string_view name() const override { return "modbus-rtu"; }
    driver_kind kind() const override { return driver_kind::polled; }

    std::unique_ptr<device_codec> make_codec(const device_params& params, std::error_code& error) const override;

private:
    std::filesystem::path template_dir_;
};

// Per-device codec; exposed so tests and tools can read its counters.
class modbus_rtu_device_codec final : public device_codec {
public:
    // Precondition: `blocks` comes from modbus::plan_blocks over `points` and is not empty.
    modbus_rtu_device_codec(std::uint8_t unit, std::vector<modbus::point> points,
                            std::vector<modbus::read_block> blocks);

    // One step per register block.
    std::size_t poll_steps() const override { return blocks_.size(); }
    std::vector<std::uint8_t> encode_poll(std::size_t step) const override;

    // Decodes the reply to the request of `step` into the metrics of its
    // block. Counters change only when the result is final.
    proto::decode_result<poll_answer> decode_answer(std::size_t step,
                                                    std::span<const std::uint8_t> bytes) const override;

    const modbus::counters& stats() const noexcept { return stats_; }
    const std::vector<modbus::read_block>& blocks() const noexcept { return blocks_; }

private:
    std::uint8_t unit_;
    std::vector<modbus::point> points_;
    std::vector<modbus::read_block> blocks_;
    mutable modbus::counters stats_;
};

} // namespace citygate::drivers
