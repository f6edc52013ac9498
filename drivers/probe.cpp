#include "drivers/probe.hpp"

namespace citygate::drivers {

namespace {

class probe_category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.probe"; }

    std::string message(int value) const override
    {
        switch (static_cast<probe_error>(value)) {
        case probe_error::unknown_protocol:
            return "unknown protocol: expected dlt645, cjt188 or modbus";
        case probe_error::invalid_address:
            return "invalid address for this protocol: DL/T 645 takes 12 decimal digits, CJ/T 188 14 hex "
                   "digits, Modbus a unit id 1-247; broadcast addresses are not probed one by one";
        case probe_error::invalid_edition:
            return "invalid edition: DL/T 645 takes 2007 or 1997, CJ/T 188 takes 2018 or 2004";
        case probe_error::invalid_meter_type:
            return "invalid CJ/T 188 meter type: expected two hex digits in 10-39";
        case probe_error::broadcast_not_supported:
            return "Modbus has no read-address broadcast: probe unit ids one by one";
        }
        return "unknown probe error";
    }
};

} // namespace

const std::error_category& probe_category() noexcept
{
    static const probe_category_impl category;
    return category;
}

std::error_code make_error_code(probe_error e) noexcept
{
    return {static_cast<int>(e), probe_category()};
}

std::error_code make_probe(const probe_params& params, exchange& out)
{
    if (params.protocol == "dlt645")
        return make_dlt645_probe(params, out);
    if (params.protocol == "cjt188")
        return make_cjt188_probe(params, out);
    if (params.protocol == "modbus")
        return make_modbus_probe(params, out);
    return probe_error::unknown_protocol;
}

std::string_view probe_driver_name(std::string_view protocol) noexcept
{
    if (protocol == "dlt645" || protocol == "cjt188")
        return protocol;
    if (protocol == "modbus")
        return "modbus-rtu";
    return {};
}

} // namespace citygate::drivers
