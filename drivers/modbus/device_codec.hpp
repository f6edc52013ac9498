#pragma once
// The per-device codec of the modbus-rtu and modbus-tcp drivers: block
// polling of the register map and writes to coils and holding registers.
// Only the framing (framing.hpp) differs between the two.
//
// Commands: the metric of a point is the command name.
//   coil point                 value on|off|true|false|1|0, written with 05
//   holding u16, i16 point     a number, written with 06
//   holding u32, i32, f32, u64 a number, written with 10 in the point's order
// A number is converted with raw = (value - offset) / scale, rounded for
// integer types. bool and bits points in a holding register are not
// writable, because a write of the whole register could overwrite the other
// bits the device changed since the last poll. Discrete inputs and input
// registers are read-only.

#include "drivers/driver.hpp"
#include "drivers/modbus/framing.hpp"
#include "protocols/modbus/counters.hpp"
#include "protocols/modbus/register_map.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace citygate::drivers {

// A register map with its read blocks. Devices configured alike (the same
// template, or the same point options) share one, so a gateway with
// hundreds of identical devices stores the map once.
// Metric name and unit of one point, shared by every reading of the plan.
struct point_names {
    interned_string metric;
    interned_string unit;
};

struct modbus_register_plan {
    std::vector<modbus::point> points;
    std::vector<modbus::read_block> blocks; // from modbus::plan_blocks over `points`, not empty
    std::vector<point_names> names;         // one per point, filled by name_points()
};

// Fills plan.names from plan.points.
void name_points(modbus_register_plan& plan);

class modbus_device_codec final : public device_codec {
public:
    // Precondition: `blocks` comes from modbus::plan_blocks over `points` and is not empty.
    modbus_device_codec(std::shared_ptr<const modbus_framing> framing, std::vector<modbus::point> points,
                        std::vector<modbus::read_block> blocks);
    modbus_device_codec(std::shared_ptr<const modbus_framing> framing,
                        std::shared_ptr<const modbus_register_plan> plan);

    // One step per register block.
    std::size_t poll_steps() const override { return blocks_.size(); }

    // Each call takes a new transaction id (TCP), which decode_answer of the
    // same step then expects.
    std::vector<std::uint8_t> encode_poll(std::size_t step) const override;

    // Decodes the reply to the last request of `step` into the metrics of its
    // block. Counters change only when the result is final.
    proto::decode_result<poll_answer> decode_answer(std::size_t step,
                                                    std::span<const std::uint8_t> bytes) const override;

    // Writes the point named `name`; see the file comment. The answer of a
    // confirmed write is the value as the device stores it (after rounding).
    std::error_code encode_command(std::string_view name, std::string_view value, exchange& out) const override;

    // "<metric>=on|off" per coil point and "<metric>=<number>" per writable
    // holding-register point.
    std::vector<std::string> commands() const override;

    const modbus::counters& stats() const noexcept { return *stats_; }
    const std::vector<modbus::read_block>& blocks() const noexcept { return blocks_; }

private:
    const modbus::point* find_point(std::string_view metric) const;

    std::shared_ptr<const modbus_framing> framing_;
    std::shared_ptr<const modbus_register_plan> plan_;
    const std::vector<modbus::point>& points_;     // plan_->points
    const std::vector<modbus::read_block>& blocks_; // plan_->blocks
    mutable std::vector<std::uint16_t> step_transactions_;
    // Shared with the decoders of command exchanges, which may outlive a call.
    std::shared_ptr<modbus::counters> stats_;
};

} // namespace citygate::drivers
