#include "gateway/config/check_drivers.hpp"

#include "gateway/config/reader.hpp"

namespace citygate::config {

namespace {

std::string known_drivers(const drivers::registry& registry)
{
    std::string out;
    for (const auto& name : registry.names())
        out += (out.empty() ? "" : ", ") + detail::quote_text(name);
    return out.empty() ? "no drivers are built in" : "available drivers: " + out;
}

void check_device(const config& cfg, std::size_t index, const drivers::registry& registry,
                  std::vector<config_issue>& issues)
{
    const auto& device = cfg.devices[index];
    const auto key = "device[" + std::to_string(index) + "]";

    const auto* driver = registry.find(device.driver);
    if (!driver) {
        issues.push_back({cfg.source, device.line, 0, key + ".driver",
                          "unknown driver " + detail::quote_text(device.driver) + "; " + known_drivers(registry)});
        return;
    }

    if (driver->kind() == drivers::driver_kind::polled && device.bus.empty())
        issues.push_back({cfg.source, device.line, 0, key + ".bus",
                          "missing; driver " + detail::quote_text(device.driver) + " polls its devices and needs a [[bus]] id"});

    std::error_code error;
    const drivers::device_params params{device.id, device.address, device.options};
    auto codec = driver->make_codec(params, error);
    if (error || !codec) {
        const auto reason =
            error ? driver->describe_config_error(params, error) : std::string("the driver returned no codec");
        issues.push_back({cfg.source, device.line, 0, key,
                          "driver " + detail::quote_text(device.driver) + " rejects the address or options of device " +
                              detail::quote_text(device.id) + ": " + reason});
    }
}

} // namespace

std::vector<config_issue> check_drivers(const config& cfg, const drivers::registry& registry)
{
    std::vector<config_issue> issues;
    for (std::size_t i = 0; i < cfg.devices.size(); ++i)
        check_device(cfg, i, registry, issues);
    return issues;
}

} // namespace citygate::config
