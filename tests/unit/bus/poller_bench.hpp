#pragma once
// A bus_poller on the in-memory bus of fake_bus.hpp, with bus timings scaled
// down so that schedules run in milliseconds, collecting what it emits.

#include "gateway/bus/bus_poller.hpp"
#include "tests/unit/bus/fake_bus.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <utility>

namespace citygate::bus::test {

inline config::bus_config fast_bus(unsigned retries = 0)
{
    config::bus_config bus;
    bus.id = "rs485-1";
    bus.device = "fake";
    // Fake answers take 1-10 ms; the margin keeps a loaded machine from
    // turning them into timeouts. Tests of silence pay it per attempt.
    bus.response_timeout = milliseconds{150};
    bus.inter_frame_gap = milliseconds{3};
    bus.retries = retries;
    return bus;
}

inline poller_options fast_options()
{
    poller_options options;
    options.first_poll_stagger = milliseconds{1};
    options.reopen_min = milliseconds{5};
    options.reopen_max = milliseconds{20};
    return options;
}

inline device_spec meter(std::string address, milliseconds interval = milliseconds{30}, unsigned offline_after = 3)
{
    return device_spec{"m" + address, "fake", address, interval, offline_after};
}

// A poller on a fake bus, collecting what it emits.
struct bench {
    explicit bench(config::bus_config bus = fast_bus(), poller_options options = fast_options())
        : wire(std::make_shared<wire_log>()),
          poller(io, std::move(bus), std::make_unique<fake_transport>(io, wire), options)
    {
        poller.on_reading([this](reading r) { readings.push_back(std::move(r)); });
        poller.on_event([this](reading r) { events.push_back(std::move(r)); });
    }

    // A deferred open keeps the poller's handler, and so the poller, in the
    // shared wire log. Dropping it lets the poller go with the bench.
    ~bench() { wire->finish_open = nullptr; }

    void add(const device_spec& spec) { poller.add_device(spec, std::make_unique<fake_codec>(spec.address)); }

    std::size_t readings_of(std::string_view id) const
    {
        return static_cast<std::size_t>(
            std::count_if(readings.begin(), readings.end(), [&](const reading& r) { return r.device_id == id; }));
    }

    std::vector<std::string> states_of(std::string_view id) const
    {
        std::vector<std::string> out;
        for (const auto& e : events)
            if (e.device_id == id && e.values.front().metric == "state")
                out.push_back(std::get<interned_string>(e.values.front().value));
        return out;
    }

    device_status status(std::string_view id) const
    {
        for (auto& s : poller.device_states())
            if (s.id == id)
                return s;
        FAIL("no such device");
        return {};
    }

    // poll_now and wait for its handler.
    std::pair<std::error_code, poll_result> read(std::string_view id)
    {
        std::optional<std::pair<std::error_code, poll_result>> out;
        poller.poll_now(id, [&](std::error_code ec, poll_result r) { out.emplace(ec, std::move(r)); });
        REQUIRE(run_until(io, [&] { return out.has_value(); }));
        return *out;
    }

    boost::asio::io_context io;
    std::shared_ptr<wire_log> wire;
    bus_poller poller;
    std::vector<reading> readings;
    std::vector<reading> events;
};


} // namespace citygate::bus::test
