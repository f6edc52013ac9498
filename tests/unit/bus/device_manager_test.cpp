// device_manager on in-memory buses: building from a config, routing
// poll_now, and apply() as used by a SIGHUP reload. Device poll intervals
// come from the config in whole seconds, so the tests check what happens
// right after an apply and wait for a second poll only where it matters.

#include "gateway/bus/device_manager.hpp"
#include "gateway/bus/wall_clock.hpp"
#include "tests/unit/bus/fake_bus.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>

namespace citygate::bus::test {

namespace {

config::bus_config bus_conf(std::string id, unsigned baud = 2400)
{
    config::bus_config bus;
    bus.id = std::move(id);
    bus.device = "/dev/fake-" + bus.id;
    bus.baud = baud;
    bus.response_timeout = milliseconds{150};
    bus.inter_frame_gap = milliseconds{3};
    bus.retries = 0;
    return bus;
}

config::device_config device_conf(std::string address, std::string bus, std::string driver = "fake")
{
    config::device_config d;
    d.id = "m" + address;
    d.driver = std::move(driver);
    d.bus = std::move(bus);
    d.address = std::move(address);
    d.poll_interval = std::chrono::seconds{1};
    return d;
}

bool contains(const std::vector<std::string>& ids, std::string_view id)
{
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// A device_manager whose buses are fake transports answering every meter.
struct fixture {
    fixture() : manager(io, drivers, factory(), options())
    {
        REQUIRE_FALSE(drivers.add(std::make_unique<fake_driver>()));
        manager.on_reading([this](reading r) { readings.push_back(std::move(r)); });
        manager.on_event([this](reading r) { events.push_back(std::move(r)); });
    }

    static poller_options options()
    {
        poller_options o;
        o.first_poll_stagger = milliseconds{1};
        o.time_sync_first = milliseconds{20};
        o.time_sync_retry = milliseconds{20};
        return o;
    }

    transport_factory factory()
    {
        return [this](boost::asio::io_context& ctx, const config::bus_config& bus) -> std::unique_ptr<transport> {
            auto log = std::make_shared<wire_log>();
            log->responder = [](const std::string& q) { return answer(q, "5"); };
            wires[bus.id].push_back(log);
            return std::make_unique<fake_transport>(ctx, log);
        };
    }

    // The wire of the bus's current transport.
    wire_log& wire(const std::string& bus) { return *wires.at(bus).back(); }

    std::size_t readings_of(std::string_view id) const
    {
        return static_cast<std::size_t>(
            std::count_if(readings.begin(), readings.end(), [&](const reading& r) { return r.device_id == id; }));
    }

    std::size_t online_events_of(std::string_view id) const
    {
        return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](const reading& r) {
            return r.device_id == id && r.values.at(0).metric == "state" &&
                   std::get<interned_string>(r.values.at(0).value) == "online";
        }));
    }

    std::optional<device_status> status(std::string_view id) const
    {
        for (auto& s : manager.device_states())
            if (s.id == id)
                return s;
        return std::nullopt;
    }

    std::pair<std::error_code, poll_result> read(std::string_view id)
    {
        std::optional<std::pair<std::error_code, poll_result>> out;
        manager.poll_now(id, [&](std::error_code ec, poll_result r) { out.emplace(ec, std::move(r)); });
        REQUIRE(run_until(io, [&] { return out.has_value(); }));
        return *out;
    }

    boost::asio::io_context io;
    drivers::registry drivers;
    std::map<std::string, std::vector<std::shared_ptr<wire_log>>> wires;
    device_manager manager;
    std::vector<reading> readings;
    std::vector<reading> events;
};

} // namespace

TEST_CASE("device_manager builds every bus and routes poll_now to the device's bus")
{
    fixture f;
    config::config cfg;
    cfg.buses = {bus_conf("a"), bus_conf("b")};
    cfg.devices = {device_conf("1", "a"), device_conf("2", "a"), device_conf("3", "b")};

    const auto summary = f.manager.apply(cfg);
    CHECK(summary.buses_added == std::vector<std::string>{"a", "b"});
    CHECK(summary.devices_added.size() == 3);
    CHECK(summary.errors.empty());
    CHECK(summary.to_string().starts_with("buses +2 -0 ~0, devices +3 -0 ~0, 0 errors"));

    REQUIRE(run_until(f.io, [&] { return f.readings_of("m1") && f.readings_of("m2") && f.readings_of("m3"); }));
    CHECK(f.wire("a").count_writes("Q1") >= 1);
    CHECK(f.wire("a").count_writes("Q3") == 0);
    CHECK(f.wire("b").count_writes("Q3") >= 1);

    const auto [error, result] = f.read("m3");
    CHECK_FALSE(error);
    REQUIRE(result.exchanges.size() == 1);
    CHECK(text_of(result.exchanges[0].request) == "Q3");
    CHECK(f.wire("b").count_writes("Q3") >= 2);

    const auto [unknown, unknown_result] = f.read("m9");
    CHECK(unknown == bus_error::device_unknown);
    CHECK(unknown_result.device_id == "m9");

    const auto states = f.manager.device_states();
    REQUIRE(states.size() == 3);
    CHECK(states[0].id == "m1");
    CHECK(states[2].id == "m3");
    CHECK(states[2].bus == "b");
    CHECK(states[2].state == device_state::online);
}

TEST_CASE("apply() adds, removes and changes devices keeping unchanged ones polling")
{
    fixture f;
    config::config cfg;
    cfg.buses = {bus_conf("a")};
    cfg.devices = {device_conf("1", "a"), device_conf("2", "a"), device_conf("3", "a")};
    f.manager.apply(cfg);
    REQUIRE(run_until(f.io, [&] { return f.readings_of("m1") && f.readings_of("m2") && f.readings_of("m3"); }));

    // m2 goes, m3 gets a new address, m4 arrives, m1 stays as it was.
    auto next = cfg;
    next.devices = {device_conf("1", "a"), device_conf("4", "a"), device_conf("33", "a")};
    next.devices.back().id = "m3";
    const auto summary = f.manager.apply(next);

    CHECK(summary.buses_added.empty());
    CHECK(summary.buses_changed.empty());
    CHECK(summary.devices_removed == std::vector<std::string>{"m2"});
    CHECK(summary.devices_changed == std::vector<std::string>{"m3"});
    CHECK(summary.devices_added == std::vector<std::string>{"m4"});
    CHECK(summary.changed());

    // New and changed devices start their schedule at once.
    auto& wire = f.wire("a");
    REQUIRE(run_until(f.io, [&] { return f.readings_of("m4") >= 1 && wire.count_writes("Q33") >= 1; }));
    CHECK(f.wires.at("a").size() == 1); // the bus was not restarted
    CHECK(wire.opens == 1);
    CHECK(wire.count_writes("Q1") == 1);  // m1's schedule was not reset...
    CHECK(f.status("m1")->polls == 1);    // ...nor its state
    CHECK(f.online_events_of("m1") == 1);
    CHECK_FALSE(f.status("m2").has_value());
    CHECK(f.status("m3")->address == "33");
    CHECK(f.read("m2").first == bus_error::device_unknown);

    // m1 keeps polling on its original schedule; m2 is never asked again.
    const auto q2_writes = wire.count_writes("Q2");
    REQUIRE(run_until(f.io, [&] { return f.readings_of("m1") >= 2; }));
    CHECK(f.status("m1")->polls == 2);
    CHECK(wire.count_writes("Q2") == q2_writes);
    CHECK(wire.overlapping_requests == 0);
}

TEST_CASE("apply() restarts a bus whose line settings changed and stops a removed bus")
{
    fixture f;
    config::config cfg;
    cfg.buses = {bus_conf("a"), bus_conf("b")};
    cfg.devices = {device_conf("1", "a"), device_conf("2", "b")};
    f.manager.apply(cfg);
    REQUIRE(run_until(f.io, [&] { return f.readings_of("m1") && f.readings_of("m2"); }));

    auto next = cfg;
    next.buses = {bus_conf("a", 9600)};
    next.devices = {device_conf("1", "a")};
    const auto summary = f.manager.apply(next);

    CHECK(summary.buses_changed == std::vector<std::string>{"a"});
    CHECK(summary.buses_removed == std::vector<std::string>{"b"});
    CHECK(summary.devices_changed == std::vector<std::string>{"m1"});
    CHECK(summary.devices_removed == std::vector<std::string>{"m2"});

    CHECK(f.wires.at("a").size() == 2);
    CHECK(f.wires.at("a").front()->closes >= 1);
    CHECK(f.wires.at("b").front()->closes >= 1);
    REQUIRE(run_until(f.io, [&] { return f.wire("a").count_writes("Q1") >= 1; }));
    CHECK(f.wire("a").opens == 1);
    CHECK_FALSE(f.status("m2").has_value());
    CHECK(f.read("m2").first == bus_error::device_unknown);
}

TEST_CASE("apply() restarts a bus whose TCP or DTU settings changed")
{
    fixture f;
    config::config cfg;
    auto tcp = bus_conf("ser");
    tcp.type = config::bus_type::tcp_client;
    tcp.host = "192.168.1.20";
    tcp.port = 4001;
    auto dtu = bus_conf("dtu");
    dtu.type = config::bus_type::dtu;
    dtu.registration = "text:CL-1";
    cfg.buses = {tcp, dtu};
    f.manager.apply(cfg);

    const std::vector<std::pair<const char*, std::function<void(config::config&)>>> changes{
        {"type", [](config::config& c) { c.buses[0].type = config::bus_type::serial; }},
        {"host", [](config::config& c) { c.buses[0].host = "192.168.1.21"; }},
        {"port", [](config::config& c) { c.buses[0].port = 4002; }},
        {"connect_timeout", [](config::config& c) { c.buses[0].connect_timeout = milliseconds{900}; }},
        {"registration", [](config::config& c) { c.buses[1].registration = "text:CL-2"; }},
        {"heartbeat", [](config::config& c) { c.buses[1].heartbeat = "text:HB"; }},
        {"heartbeat_interval", [](config::config& c) { c.buses[1].heartbeat_interval = milliseconds{5000}; }},
    };
    for (const auto& [key, change] : changes) {
        CAPTURE(key);
        auto next = cfg;
        change(next);
        CHECK(f.manager.apply(next).buses_changed.size() == 1);
        CHECK_FALSE(f.manager.apply(cfg).buses_changed.empty()); // back to the original
    }
    CHECK_FALSE(f.manager.apply(cfg).changed());
}

TEST_CASE("apply() reports a bus whose transport cannot be made")
{
    boost::asio::io_context io;
    drivers::registry drivers;
    REQUIRE_FALSE(drivers.add(std::make_unique<fake_driver>()));
    // No DTU listener: the standard factory cannot make a dtu transport.
    device_manager manager(io, drivers, standard_transport_factory());
    config::config cfg;
    auto dtu = bus_conf("dtu");
    dtu.type = config::bus_type::dtu;
    dtu.registration = "text:CL-1";
    cfg.buses = {dtu};
    cfg.devices = {device_conf("1", "dtu")};

    const auto summary = manager.apply(cfg);
    CHECK(contains(summary.errors, "bus dtu: this gateway cannot create a transport of the bus's type"));
    CHECK(contains(summary.errors, "device m1: bus \"dtu\" is not running"));
    CHECK(summary.devices_added.empty());
    CHECK(manager.bus_states().empty());
}

TEST_CASE("apply() leaves out devices it cannot run and names them")
{
    fixture f;
    config::config cfg;
    cfg.buses = {bus_conf("a")};
    cfg.devices = {device_conf("1", "a"), device_conf("2", "a", "no-such-driver"), device_conf("x3", "a"),
                   device_conf("4", "nowhere")};

    const auto summary = f.manager.apply(cfg);
    REQUIRE(summary.errors.size() == 3);
    CHECK(contains(summary.errors, "device m2: unknown driver \"no-such-driver\""));
    CHECK(summary.errors[1].starts_with("device mx3: invalid configuration for driver \"fake\": "));
    CHECK(contains(summary.errors, "device m4: bus \"nowhere\" is not configured"));
    CHECK(summary.devices_added == std::vector<std::string>{"m1"});
    REQUIRE(run_until(f.io, [&] { return f.readings_of("m1") >= 1; }));

    // A running device whose new settings are invalid stops and is reported.
    auto next = cfg;
    next.devices = {device_conf("1", "a")};
    next.devices[0].address = "bad";
    const auto second = f.manager.apply(next);
    CHECK(second.devices_removed == std::vector<std::string>{"m1"});
    CHECK(second.devices_changed.empty());
    REQUIRE(second.errors.size() == 1);
    CHECK_FALSE(f.status("m1").has_value());
}

TEST_CASE("apply() with an unchanged config changes nothing")
{
    fixture f;
    config::config cfg;
    cfg.buses = {bus_conf("a")};
    cfg.devices = {device_conf("1", "a")};
    f.manager.apply(cfg);
    REQUIRE(run_until(f.io, [&] { return f.readings_of("m1") >= 1; }));

    auto next = cfg;
    next.devices[0].location = "pump house"; // labels only; the poller does not use them
    const auto summary = f.manager.apply(next);
    CHECK_FALSE(summary.changed());
    CHECK(summary.to_string() == "buses +0 -0 ~0, devices +0 -0 ~0, 0 errors");
    CHECK(f.wires.at("a").size() == 1);
    CHECK(f.status("m1")->polls == 1);
}

TEST_CASE("device_manager broadcasts time sync once the clock is synchronised")
{
    fixture f;
    bool synchronised = false;
    f.manager.set_clock_check([&] { return synchronised; });
    config::config cfg;
    cfg.buses = {bus_conf("a")};
    cfg.buses[0].time_sync_interval = std::chrono::seconds{3600};
    cfg.devices = {device_conf("1", "a"), device_conf("2", "a")};
    f.manager.apply(cfg);

    // Unsynchronised: polls run, but no time goes out.
    REQUIRE(run_until(f.io, [&] { return f.readings_of("m1") && f.readings_of("m2"); }));
    run_for(f.io, milliseconds{60});
    const auto sent = [&] {
        std::size_t n = 0;
        for (const auto& w : f.wire("a").writes)
            n += w.request.starts_with("T") ? 1 : 0;
        return n;
    };
    CHECK(sent() == 0);

    synchronised = true;
    REQUIRE(run_until(f.io, [&] { return sent() > 0; }));
    run_for(f.io, milliseconds{60});

    // One broadcast per driver, not per device, and the next one an hour later.
    CHECK(sent() == 1);
    const auto& frame = std::find_if(f.wire("a").writes.begin(), f.wire("a").writes.end(),
                                     [](const auto& w) { return w.request.starts_with("T"); })
                            ->request;
    const auto seconds = std::stoll(frame.substr(1));
    CHECK(std::abs(seconds - wall_clock_now_ms() / 1000) <= 2);
}

TEST_CASE("device_manager sends no time sync when the bus does not ask for it")
{
    fixture f;
    f.manager.set_clock_check([] { return true; });
    config::config cfg;
    cfg.buses = {bus_conf("a")};
    cfg.devices = {device_conf("1", "a")};
    f.manager.apply(cfg);

    REQUIRE(run_until(f.io, [&] { return f.readings_of("m1") > 0; }));
    run_for(f.io, milliseconds{80});
    for (const auto& w : f.wire("a").writes)
        CHECK_FALSE(w.request.starts_with("T"));
}

TEST_CASE("device_manager routes commands and bus exchanges")
{
    fixture f;
    config::config cfg;
    cfg.buses = {bus_conf("a")};
    cfg.devices = {device_conf("1", "a")};
    f.manager.apply(cfg);

    std::optional<std::error_code> command_error;
    f.manager.command_now("m1", "lamp", "on", [&](std::error_code ec, poll_result) { command_error = ec; });
    std::optional<std::error_code> exchange_error;
    f.manager.transact("nope", drivers::exchange{bytes_of("X"), {}},
                       [&](std::error_code ec, poll_result) { exchange_error = ec; });
    REQUIRE(run_until(f.io, [&] { return command_error && exchange_error; }));

    CHECK(*command_error == bus_error::command_rejected);
    CHECK(*exchange_error == bus_error::bus_unknown);
    REQUIRE(f.manager.bus_states().size() == 1);
    CHECK(f.manager.bus_states()[0].id == "a");
    REQUIRE(f.manager.find_bus("a") != nullptr);
    CHECK(f.manager.find_bus("b") == nullptr);
}

} // namespace citygate::bus::test
