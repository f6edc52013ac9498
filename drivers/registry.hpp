#pragma once
// Drivers registered by name. Registration is an explicit list of calls in
// register_builtin_drivers, because self-registering statics can be dropped
// from static libraries at link time.

#include "drivers/driver.hpp"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace citygate::drivers {

enum class registry_error {
    duplicate_name = 1, // a driver with this name is already registered
    unknown_driver,     // no driver is registered under the requested name
};

const std::error_category& registry_category() noexcept;
std::error_code make_error_code(registry_error e) noexcept;

class registry {
public:
    // Adds a driver; rejects a second driver under the same name.
    std::error_code add(std::unique_ptr<driver> d);

    // nullptr when no driver has that name.
    const driver* find(std::string_view name) const;

    std::vector<std::string> names() const;

private:
    std::map<std::string, std::unique_ptr<driver>, std::less<>> drivers_;
};

// Registers every driver compiled into this build.
void register_builtin_drivers(registry& r);

} // namespace citygate::drivers

template <>
struct std::is_error_code_enum<citygate::drivers::registry_error> : std::true_type {};
