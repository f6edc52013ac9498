#include "drivers/driver.hpp"

namespace citygate::drivers {

namespace {

class driver_category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.driver"; }

    std::string message(int value) const override
    {
        switch (static_cast<driver_error>(value)) {
        case driver_error::command_not_supported:
            return "the device has no such command";
        case driver_error::invalid_command_value:
            return "invalid value for this command";
        }
        return "unknown driver error";
    }
};

} // namespace

const std::error_category& driver_category() noexcept
{
    static const driver_category_impl category;
    return category;
}

std::error_code make_error_code(driver_error e) noexcept
{
    return {static_cast<int>(e), driver_category()};
}

std::error_code device_codec::encode_command(std::string_view, std::string_view, exchange&) const
{
    return driver_error::command_not_supported;
}

proto::decode_result<push_frame> driver::decode_push(std::span<const std::uint8_t>) const
{
    return proto::decode_result<push_frame>::fail(std::make_error_code(std::errc::operation_not_supported), 0);
}

std::string driver::describe_config_error(const device_params&, std::error_code error) const
{
    return error.message();
}

std::optional<std::vector<std::uint8_t>> driver::encode_time_sync(std::int64_t) const
{
    return std::nullopt;
}

} // namespace citygate::drivers
