// Mapping of decoded CJ/T 188 read-data replies to SenML metric values.

#include "drivers/cjt188/cjt188_driver.hpp"

#include <string>

namespace citygate::drivers {

namespace {

metric_value number(std::string name, const cjt188::quantity& q)
{
    return {std::move(name), std::string(cjt188::canonical_unit(q.kind)), q.canonical()};
}

metric_value number(std::string name, std::string unit, double value)
{
    return {std::move(name), std::move(unit), value};
}

void add_common(poll_answer& out, const std::optional<cjt188::meter_clock>& clock, const cjt188::meter_status& status)
{
    if (clock)
        out.values.push_back({"meter_time", "", clock->to_iso8601()});

    const cjt188::valve_state valve = status.valve();
    metric_value valve_value{"valve", "", std::string(cjt188::to_string(valve))};
    metric_value battery_value{"battery_low", "", status.battery_low()};
    out.values.push_back(valve_value);
    out.values.push_back(battery_value);

    if (valve == cjt188::valve_state::abnormal)
        out.alarms.push_back(valve_value);
    if (status.battery_low())
        out.alarms.push_back(battery_value);
}

void add_flow(poll_answer& out, const cjt188::flow_meter_data& d)
{
    out.values.push_back(number("volume", d.current_volume));
    out.values.push_back(number("volume_settlement", d.settlement_volume));
    add_common(out, d.clock, d.status);
}

void add_heat(poll_answer& out, const cjt188::heat_meter_data& d)
{
    out.values.push_back(number("heat", d.current_heat));
    out.values.push_back(number("heat_settlement", d.settlement_heat));
    out.values.push_back(number("power", d.power));
    out.values.push_back(number("flow_rate", d.flow_rate));
    out.values.push_back(number("volume", d.volume));
    out.values.push_back(number("supply_temp", "Cel", d.supply_temp));
    out.values.push_back(number("return_temp", "Cel", d.return_temp));
    out.values.push_back(number("working_hours", "h", static_cast<double>(d.working_hours)));
    add_common(out, d.clock, d.status);
}

} // namespace

poll_answer to_poll_answer(const cjt188::meter_data& values)
{
    poll_answer out;
    if (const auto* flow = std::get_if<cjt188::flow_meter_data>(&values))
        add_flow(out, *flow);
    else
        add_heat(out, std::get<cjt188::heat_meter_data>(values));
    return out;
}

} // namespace citygate::drivers
