#include "protocols/cjt188/read_data.hpp"

#include "protocols/cjt188/bcd.hpp"

#include <cmath>
#include <cstdio>

namespace citygate::cjt188 {

double quantity::canonical() const noexcept
{
    return value * canonical_factor(unit, kind).value_or(0.0);
}

std::string meter_clock::to_iso8601() const
{
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour, minute, second);
    return text;
}

std::string_view to_string(valve_state state) noexcept
{
    switch (state) {
    case valve_state::open:
        return "open";
    case valve_state::closed:
        return "closed";
    case valve_state::abnormal:
        break;
    }
    return "abnormal";
}

valve_state meter_status::valve() const noexcept
{
    switch (st1 & 0x03) {
    case 0x00:
        return valve_state::open;
    case 0x01:
        return valve_state::closed;
    default:
        return valve_state::abnormal;
    }
}

bool meter_status::battery_low() const noexcept
{
    return (st1 & 0x04) != 0;
}

namespace {

// Sequential reader over the data field; the first error sticks.
class field_reader {
public:
    explicit field_reader(std::span<const std::uint8_t> data) : data_(data) {}

    quantity read_quantity(quantity_kind kind)
    {
        quantity q;
        q.kind = kind;
        q.value = read_decimal(4);
        q.unit = take(1)[0];
        if (!error_ && !canonical_factor(q.unit, kind))
            error_ = error::bad_unit;
        return q;
    }

    // BCD number of `count` bytes with two implied decimals.
    double read_decimal(std::size_t count)
    {
        return static_cast<double>(read_integer(count)) / 100.0;
    }

    std::uint64_t read_integer(std::size_t count)
    {
        auto value = bcd_le(take(count));
        if (!value && !error_)
            error_ = error::bad_bcd;
        return value.value_or(0);
    }

    std::optional<meter_clock> read_clock();

    meter_status read_status()
    {
        auto st = take(2);
        return {st[0], st[1]};
    }

    std::error_code error() const { return error_; }

private:
    // The caller checked the length up front, so `take` never runs past the end.
    std::span<const std::uint8_t> take(std::size_t count)
    {
        auto out = data_.subspan(pos_, count);
        pos_ += count;
        return out;
    }

    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
    std::error_code error_;
};

bool clock_in_range(const meter_clock& c)
{
    return c.month >= 1 && c.month <= 12 && c.day >= 1 && c.day <= 31 && c.hour <= 23 && c.minute <= 59
        && c.second <= 59;
}

std::optional<meter_clock> field_reader::read_clock()
{
    meter_clock c;
    int* fields[] = {&c.second, &c.minute, &c.hour, &c.day, &c.month};
    for (int* field : fields)
        *field = static_cast<int>(read_integer(1));
    c.year = static_cast<int>(read_integer(2)); // year then century, low byte first

    if (error_ || !clock_in_range(c))
        return std::nullopt;
    return c;
}

flow_meter_data read_flow(field_reader& in)
{
    flow_meter_data d;
    d.current_volume = in.read_quantity(quantity_kind::volume);
    d.settlement_volume = in.read_quantity(quantity_kind::volume);
    d.clock = in.read_clock();
    d.status = in.read_status();
    return d;
}

heat_meter_data read_heat(field_reader& in)
{
    heat_meter_data d;
    d.settlement_heat = in.read_quantity(quantity_kind::energy);
    d.current_heat = in.read_quantity(quantity_kind::energy);
    d.power = in.read_quantity(quantity_kind::power);
    d.flow_rate = in.read_quantity(quantity_kind::flow_rate);
    d.volume = in.read_quantity(quantity_kind::volume);
    d.supply_temp = in.read_decimal(3);
    d.return_temp = in.read_decimal(3);
    d.working_hours = static_cast<std::uint32_t>(in.read_integer(3));
    d.clock = in.read_clock();
    d.status = in.read_status();
    return d;
}

} // namespace

std::error_code decode_meter_data(std::uint8_t meter_type, std::span<const std::uint8_t> data, meter_data& out)
{
    const meter_family family = classify_meter_type(meter_type);
    if (family == meter_family::other)
        return error::unknown_meter_type;

    const bool heat = family == meter_family::heat;
    if (data.size() < (heat ? heat_reply_length : flow_reply_length))
        return error::truncated_data;

    field_reader in(data.subspan(3)); // after DI0 DI1 SER
    if (heat)
        out = read_heat(in);
    else
        out = read_flow(in);
    return in.error();
}

namespace {

std::uint64_t hundredths(double value)
{
    return static_cast<std::uint64_t>(std::llround(std::fabs(value) * 100.0));
}

void append_quantity(std::vector<std::uint8_t>& out, const quantity& q)
{
    append_bcd_le(out, hundredths(q.value), 4);
    out.push_back(q.unit);
}

void append_clock(std::vector<std::uint8_t>& out, const std::optional<meter_clock>& clock)
{
    const meter_clock c = clock.value_or(meter_clock{});
    for (int field : {c.second, c.minute, c.hour, c.day, c.month})
        out.push_back(to_bcd_byte(static_cast<unsigned>(field)));
    append_bcd_le(out, static_cast<std::uint64_t>(c.year), 2);
}

void append_flow(std::vector<std::uint8_t>& out, const flow_meter_data& d)
{
    append_quantity(out, d.current_volume);
    append_quantity(out, d.settlement_volume);
    append_clock(out, d.clock);
    out.push_back(d.status.st1);
    out.push_back(d.status.st2);
}

void append_heat(std::vector<std::uint8_t>& out, const heat_meter_data& d)
{
    for (const quantity* q : {&d.settlement_heat, &d.current_heat, &d.power, &d.flow_rate, &d.volume})
        append_quantity(out, *q);
    append_bcd_le(out, hundredths(d.supply_temp), 3);
    append_bcd_le(out, hundredths(d.return_temp), 3);
    append_bcd_le(out, d.working_hours, 3);
    append_clock(out, d.clock);
    out.push_back(d.status.st1);
    out.push_back(d.status.st2);
}

} // namespace

void append_meter_data(std::vector<std::uint8_t>& out, const meter_data& values)
{
    if (const auto* flow = std::get_if<flow_meter_data>(&values))
        append_flow(out, *flow);
    else
        append_heat(out, std::get<heat_meter_data>(values));
}

} // namespace citygate::cjt188
