#pragma once
// Drivers "modbus-rtu" (Modbus RTU slaves on a polled RS-485 bus) and
// "modbus-tcp" (Modbus TCP servers, or RTU slaves behind a Modbus TCP
// gateway, on a tcp-client bus). The device's register map comes from its
// options (syntax in point_syntax.hpp), neighbouring points are read
// together in blocks, and coils and holding registers take write commands
// (device_codec.hpp).
//
// Device configuration:
//   address  modbus-rtu: unit id 1-247
//            modbus-tcp: unit id 0-255 (255 or 1 for most devices; the
//            slave address of the RTU device behind a gateway)
//   options  point.<metric>  one per value, e.g. "holding 0 u32 order=CDAB scale=0.1 unit=Cel"
//            template        name of a register-map template (template.hpp) to start from
//            max_block       registers per read, 1-125 (default 125)
//            max_gap         unused registers a read may span to join two points (default 0)

#include "drivers/driver.hpp"
#include "drivers/modbus/device_codec.hpp"
#include "drivers/modbus/point_syntax.hpp"
#include "drivers/modbus/template.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace citygate::drivers {

// Register map and unit id shared by both drivers.
class modbus_driver_base : public driver {
public:
    driver_kind kind() const override { return driver_kind::polled; }
    std::unique_ptr<device_codec> make_codec(const device_params& params, std::error_code& error) const override;

protected:
    explicit modbus_driver_base(std::filesystem::path template_dir) : template_dir_(std::move(template_dir)) {}

    // Checks the device address; `unit` receives the unit id.
    virtual std::error_code parse_unit(const std::string& address, std::uint8_t& unit) const = 0;
    virtual std::shared_ptr<const modbus_framing> make_framing(std::uint8_t unit) const = 0;

private:
    std::shared_ptr<const modbus_register_plan> share_plan(const std::map<std::string, std::string>& options,
                                                           modbus_register_plan plan) const;

    std::filesystem::path template_dir_;

    // Plans by their merged options, held only while a codec uses them.
    mutable std::mutex plans_mutex_;
    mutable std::map<std::string, std::weak_ptr<const modbus_register_plan>> plans_;
};

class modbus_rtu_driver final : public modbus_driver_base {
public:
    explicit modbus_rtu_driver(std::filesystem::path template_dir = std::filesystem::path(default_template_dir))
        : modbus_driver_base(std::move(template_dir))
    {
    }

    std::string_view name() const override { return "modbus-rtu"; }

private:
    std::error_code parse_unit(const std::string& address, std::uint8_t& unit) const override;
    std::shared_ptr<const modbus_framing> make_framing(std::uint8_t unit) const override;
};

class modbus_tcp_driver final : public modbus_driver_base {
public:
    explicit modbus_tcp_driver(std::filesystem::path template_dir = std::filesystem::path(default_template_dir))
        : modbus_driver_base(std::move(template_dir))
    {
    }

    std::string_view name() const override { return "modbus-tcp"; }

private:
    std::error_code parse_unit(const std::string& address, std::uint8_t& unit) const override;
    std::shared_ptr<const modbus_framing> make_framing(std::uint8_t unit) const override;
};

} // namespace citygate::drivers
