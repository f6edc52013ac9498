#include "drivers/registry.hpp"

#include "drivers/cjt188/cjt188_driver.hpp"
#include "drivers/dlt645/dlt645_driver.hpp"
#include "drivers/modbus/modbus_driver.hpp"

namespace citygate::drivers {

namespace {

class registry_category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.driver_registry"; }

    std::string message(int value) const override
    {
        switch (static_cast<registry_error>(value)) {
        case registry_error::duplicate_name:
            return "a driver with this name is already registered";
        case registry_error::unknown_driver:
            return "unknown driver";
        }
        return "unknown driver registry error";
    }
};

} // namespace

const std::error_category& registry_category() noexcept
{
    static const registry_category_impl category;
    return category;
}

std::error_code make_error_code(registry_error e) noexcept
{
    return {static_cast<int>(e), registry_category()};
}

std::error_code registry::add(std::unique_ptr<driver> d)
{
    std::string name(d->name());
    if (drivers_.contains(name))
        return registry_error::duplicate_name;
    drivers_.emplace(std::move(name), std::move(d));
    return {};
}

const driver* registry::find(std::string_view name) const
{
    auto it = drivers_.find(name);
    return it == drivers_.end() ? nullptr : it->second.get();
}

std::vector<std::string> registry::names() const
{
    std::vector<std::string> out;
    for (const auto& [name, d] : drivers_)
        out.push_back(name);
    return out;
}

void register_builtin_drivers(registry& r)
{
    r.add(std::make_unique<cjt188_driver>());
    r.add(std::make_unique<dlt645_driver>());
    r.add(std::make_unique<modbus_rtu_driver>());
    r.add(std::make_unique<modbus_tcp_driver>());
}

} // namespace citygate::drivers
