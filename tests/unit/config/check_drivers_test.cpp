// check_drivers against a registry holding one fake driver.

#include "gateway/config/check_drivers.hpp"

#include <doctest/doctest.h>

#include <algorithm>

namespace drivers = citygate::drivers;
namespace proto = citygate::proto;
using namespace citygate::config;

namespace {

class fake_codec : public drivers::device_codec {
public:
    std::vector<std::uint8_t> encode_poll(std::size_t) const override { return {0x01}; }

    proto::decode_result<drivers::poll_answer> decode_answer(std::size_t, std::span<const std::uint8_t>) const override
    {
        return proto::decode_result<drivers::poll_answer>::fail(std::make_error_code(std::errc::bad_message), 0);
    }
};

// Accepts addresses of 1 to 4 decimal digits and only the option "unit".
class fake_driver : public drivers::driver {
public:
    explicit fake_driver(drivers::driver_kind kind, std::string name) : kind_(kind), name_(std::move(name)) {}

    std::string_view name() const override { return name_; }
    drivers::driver_kind kind() const override { return kind_; }

    std::unique_ptr<drivers::device_codec> make_codec(const drivers::device_params& params,
                                                      std::error_code& error) const override
    {
        const auto& address = params.address;
        const bool digits = std::all_of(address.begin(), address.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (address.empty() || address.size() > 4 || !digits) {
            error = std::make_error_code(std::errc::invalid_argument);
            return nullptr;
        }
        for (const auto& [key, value] : params.options) {
            if (key != "unit") {
                error = std::make_error_code(std::errc::not_supported);
                return nullptr;
            }
        }
        error.clear();
        return std::make_unique<fake_codec>();
    }

private:
    drivers::driver_kind kind_;
    std::string name_;
};

drivers::registry make_registry()
{
    drivers::registry registry;
    REQUIRE_FALSE(registry.add(std::make_unique<fake_driver>(drivers::driver_kind::polled, "fake")));
    REQUIRE_FALSE(registry.add(std::make_unique<fake_driver>(drivers::driver_kind::push, "fake-push")));
    return registry;
}

// `config` alone is ambiguous here: it names both the namespace and the struct.
citygate::config::config parse_valid(std::string_view devices)
{
    const std::string text = std::string(R"([gateway]
id = "gw-1"
[uplink]
brokers = ["tcp://[::1]:1883"]
[[bus]]
id = "rs485-1"
device = "/dev/ttyS1"
)") + std::string(devices);

    std::vector<config_issue> issues;
    auto cfg = parse(text, "citygate.toml", issues);
    REQUIRE(cfg.has_value());
    return *cfg;
}

} // namespace

TEST_CASE("check_drivers accepts valid devices")
{
    const auto cfg = parse_valid(R"([[device]]
id = "m-1"
driver = "fake"
bus = "rs485-1"
address = "17"
[device.options]
unit = "m3"
[[device]]
id = "nb-1"
driver = "fake-push"
address = "4711"
)");
    CHECK(check_drivers(cfg, make_registry()).empty());
}

TEST_CASE("check_drivers reports unknown driver name")
{
    const auto cfg = parse_valid(R"([[device]]
id = "m-1"
driver = "fake"
bus = "rs485-1"
address = "17"
[[device]]
id = "m-2"
driver = "cjt-188"
bus = "rs485-1"
address = "18"
)");
    const auto issues = check_drivers(cfg, make_registry());
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].line == 13);
    CHECK(issues[0].key == "device[1].driver");
    CHECK(to_string(issues[0]) == "citygate.toml:13: device[1].driver: unknown driver \"cjt-188\"; available "
                                  "drivers: \"fake\", \"fake-push\"");
}

TEST_CASE("check_drivers reports rejected address")
{
    const auto cfg = parse_valid(R"([[device]]
id = "m-1"
driver = "fake"
bus = "rs485-1"
address = "123456"
)");
    const auto issues = check_drivers(cfg, make_registry());
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].severity == severity::error);
    CHECK(to_string(issues[0]) == "citygate.toml:8: device[0]: driver \"fake\" rejects the address or options of "
                                  "device \"m-1\": " + std::make_error_code(std::errc::invalid_argument).message());
}

TEST_CASE("check_drivers reports rejected option")
{
    const auto cfg = parse_valid(R"([[device]]
id = "m-1"
driver = "fake"
bus = "rs485-1"
address = "1"
[device.options]
colour = "red"
)");
    const auto issues = check_drivers(cfg, make_registry());
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key == "device[0]");
    CHECK(issues[0].message.ends_with(std::make_error_code(std::errc::not_supported).message()));
}

TEST_CASE("check_drivers requires bus for polled driver")
{
    const auto cfg = parse_valid(R"([[device]]
id = "m-1"
driver = "fake"
address = "1"
)");
    const auto issues = check_drivers(cfg, make_registry());
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].key == "device[0].bus");
    CHECK(issues[0].line == 8);
}

TEST_CASE("check_drivers with empty registry")
{
    const auto cfg = parse_valid(R"([[device]]
id = "m-1"
driver = "fake"
bus = "rs485-1"
address = "1"
)");
    const drivers::registry empty;
    const auto issues = check_drivers(cfg, empty);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].message == "unknown driver \"fake\"; no drivers are built in");
}
