#include "gateway/bus/bus_error.hpp"

#include <string>

namespace citygate::bus {

namespace {

class bus_category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.bus"; }

    std::string message(int value) const override
    {
        switch (static_cast<bus_error>(value)) {
        case bus_error::timeout:
            return "no answer within the response timeout";
        case bus_error::decode_failed:
            return "answer rejected by the driver";
        case bus_error::answer_too_long:
            return "answer longer than the maximum frame size";
        case bus_error::transport_closed:
            return "bus port is closed";
        case bus_error::transport_failed:
            return "bus port read or write failed";
        case bus_error::device_unknown:
            return "device not found";
        case bus_error::device_removed:
            return "device removed while its poll was pending";
        case bus_error::queue_full:
            return "too many polls waiting on this bus";
        case bus_error::stopped:
            return "bus poller stopped";
        case bus_error::command_rejected:
            return "command rejected by the driver";
        case bus_error::bus_unknown:
            return "bus not found";
        case bus_error::request_refused:
            return "the device refused the request";
        }
        return "unknown bus error";
    }
};

} // namespace

const std::error_category& bus_category() noexcept
{
    static const bus_category_impl category;
    return category;
}

std::error_code make_error_code(bus_error e) noexcept
{
    return {static_cast<int>(e), bus_category()};
}

} // namespace citygate::bus
