// Which startup-only keys a reload reports as changed.

#include "gateway/config/restart_keys.hpp"

#include <doctest/doctest.h>

using namespace citygate::config;

TEST_CASE("restart keys of an unchanged config are none")
{
    config running;
    running.gateway.id = "gw-1";
    running.uplink.brokers = {"tcp://127.0.0.1:1883"};
    CHECK(changed_restart_keys(running, running).empty());
}

TEST_CASE("restart keys name each changed key")
{
    config running;
    running.gateway.id = "gw-1";
    auto next = running;
    next.gateway.location = "Wuhang Road 3";
    next.uplink.password_file = "/etc/citygate/mqtt-password";
    next.uplink.tls.verify = false;
    next.store.flush_interval = std::chrono::milliseconds{5000};
    next.dtu.listen = {"[::]:9000"};

    const std::vector<std::string> expected{"gateway.location", "uplink.password_file", "uplink.tls.verify",
                                            "store.flush_interval", "dtu.listen"};
    CHECK(changed_restart_keys(running, next) == expected);
}

TEST_CASE("restart keys leave out what a reload applies")
{
    config running;
    auto next = running;
    next.gateway.key_file = "/etc/citygate/keys-2.toml";
    next.buses.push_back(bus_config{});
    next.devices.push_back(device_config{});
    CHECK(changed_restart_keys(running, next).empty());
}
