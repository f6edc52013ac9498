// dtu_listener and dtu_transport with loopback "DTUs": registration by
// text, hex and pattern, rejected and timed-out registrations, heartbeats
// stripped, a reconnecting DTU replacing its stale connection, and polls
// of the fake codec through bus_poller over the DTU link.

#include "gateway/bus/bus_poller.hpp"
#include "gateway/bus/dtu_listener.hpp"
#include "gateway/bus/dtu_transport.hpp"
#include "tests/unit/bus/poller_bench.hpp"
#include "tests/unit/bus/tcp_peer.hpp"

#include <doctest/doctest.h>

#include <array>

namespace citygate::bus::test {

namespace {

config::dtu_config listener_config(const std::vector<std::string>& addresses = {"127.0.0.1"})
{
    config::dtu_config dtu;
    for (const auto& a : addresses) {
        const bool ipv6 = a.find(':') != std::string::npos;
        dtu.listen.push_back((ipv6 ? "[" + a + "]" : a) + ":" + std::to_string(free_port(a)));
    }
    dtu.registration_timeout = milliseconds{300};
    dtu.max_connections = 8;
    return dtu;
}

config::bus_config dtu_bus(std::string id, std::string registration, std::string heartbeat = "text:HB")
{
    auto bus = fast_bus();
    bus.id = std::move(id);
    bus.type = config::bus_type::dtu;
    bus.device.clear();
    bus.registration = std::move(registration);
    bus.heartbeat = std::move(heartbeat);
    return bus;
}

// A listener and one poller per DTU bus, each with meter "12" on it.
struct dtu_bench {
    explicit dtu_bench(config::dtu_config config = listener_config()) : listener(io, std::move(config))
    {
        REQUIRE(listener.start() == listener.config().listen.size());
    }

    bus_poller& add_bus(const config::bus_config& bus, poller_options options = fast_options())
    {
        auto port = std::make_unique<dtu_transport>(io, bus, listener);
        transports.push_back(port.get());
        pollers.push_back(std::make_unique<bus_poller>(io, bus, std::move(port), options));
        auto& poller = *pollers.back();
        poller.on_reading([this](reading r) { readings.push_back(std::move(r)); });
        poller.add_device(meter("12", milliseconds{20}), std::make_unique<fake_codec>("12"));
        poller.start();
        return poller;
    }

    tcp_net::tcp::endpoint endpoint(std::size_t i = 0) const { return listener.local_endpoints().at(i); }

    boost::asio::io_context io;
    dtu_listener listener;
    std::vector<dtu_transport*> transports;
    std::vector<std::unique_ptr<bus_poller>> pollers;
    std::vector<reading> readings;
};

} // namespace

TEST_CASE("dtu text registration attaches the bus and polls run")
{
    dtu_bench b;
    auto& poller = b.add_bus(dtu_bus("dtu-1", "text:CL-0001"));
    CHECK(b.transports[0]->describe() == "dtu \"CL-0001\" (not registered)");

    fake_dtu dtu(b.io, b.endpoint(), "CL-0001");
    REQUIRE(run_until(b.io, [&] { return b.readings.size() >= 2; }));

    CHECK(std::get<double>(b.readings.front().values.at(0).value) == 7.0);
    CHECK(dtu.requests.front() == "Q12");
    CHECK(poller.status().open);
    CHECK(poller.status().endpoint.starts_with("dtu \"CL-0001\" from 127.0.0.1:"));
    const auto c = b.listener.counters();
    CHECK(c.accepted == 1);
    CHECK(c.registered == 1);
    CHECK(c.attached == 1);
    CHECK(c.rejected == 0);
}

TEST_CASE("dtu hex registration split in two packets")
{
    dtu_bench b;
    b.add_bus(dtu_bus("dtu-1", "hex:FE 01 02 03", ""));
    fake_dtu dtu(b.io, b.endpoint(), std::string("\xfe\x01", 2));
    dtu.send_later(milliseconds{30}, std::string("\x02\x03", 2));

    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));
    CHECK(b.listener.counters().registered == 1);
}

TEST_CASE("dtu pattern registration picks the matching bus")
{
    dtu_bench b;
    b.add_bus(dtu_bus("dtu-a", "pattern:CL-A[0-9]{3}"));
    b.add_bus(dtu_bus("dtu-b", "pattern:CL-B[0-9]{3}"));
    fake_dtu dtu(b.io, b.endpoint(), "CL-B042");

    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));
    CHECK_FALSE(b.transports[0]->attached());
    CHECK(b.transports[1]->attached());
    CHECK(b.pollers[1]->status().endpoint.starts_with("dtu pattern CL-B[0-9]{3} from"));
}

TEST_CASE("dtu unknown registration is rejected and counted")
{
    dtu_bench b;
    b.add_bus(dtu_bus("dtu-1", "text:CL-0001"));
    fake_dtu stranger(b.io, b.endpoint(), "GET / HTTP/1.1\r\n\r\n");
    fake_dtu wrong_id(b.io, b.endpoint(), "CL-0002");

    REQUIRE(run_until(b.io, [&] { return stranger.closed && wrong_id.closed; }));
    const auto c = b.listener.counters();
    CHECK(c.rejected == 2);
    CHECK(c.registered == 0);
    CHECK(c.pending == 0);
    CHECK_FALSE(b.transports[0]->attached());
}

TEST_CASE("dtu registration times out")
{
    dtu_bench b;
    b.add_bus(dtu_bus("dtu-1", "text:CL-0001"));
    fake_dtu silent(b.io, b.endpoint(), "");
    REQUIRE(run_until(b.io, [&] { return silent.connected; }));
    CHECK(b.listener.counters().pending == 1);

    REQUIRE(run_until(b.io, [&] { return silent.closed; }));
    const auto c = b.listener.counters();
    CHECK(c.timed_out == 1);
    CHECK(c.rejected == 0);
    CHECK(c.pending == 0);
}

TEST_CASE("dtu over max_connections is closed")
{
    auto config = listener_config();
    config.max_connections = 1;
    dtu_bench b(config);
    b.add_bus(dtu_bus("dtu-1", "text:CL-0001"));
    fake_dtu first(b.io, b.endpoint(), "CL-0001");
    REQUIRE(run_until(b.io, [&] { return b.transports[0]->attached(); }));

    fake_dtu second(b.io, b.endpoint(), "CL-0001");
    REQUIRE(run_until(b.io, [&] { return second.closed; }));
    CHECK(b.listener.counters().over_limit == 1);
    CHECK_FALSE(first.closed);
}

TEST_CASE("dtu heartbeats never reach the poller")
{
    dtu_bench b;
    auto& poller = b.add_bus(dtu_bus("dtu-1", "text:CL-0001", "text:HB"));
    fake_dtu dtu(b.io, b.endpoint(), "CL-0001HB"); // a heartbeat glued to the registration
    int request_count = 0;
    dtu.on_request = [&](fake_dtu& d, const std::string& q) {
        const auto answer = "A" + q.substr(1) + ":7\n";
        switch (request_count++ % 4) {
        case 0: // glued before the answer
            d.send("HB" + answer);
            break;
        case 1: // split across reads
            d.send("H");
            d.send_later(milliseconds{20}, "B" + answer);
            break;
        case 2: // between exchanges
            d.send(answer);
            d.send_later(milliseconds{5}, "HB");
            break;
        default: // the registration repeated
            d.send("CL-0001" + answer);
            break;
        }
    };

    REQUIRE(run_until(b.io, [&] { return b.readings.size() >= 8; }));
    const auto s = poller.status();
    CHECK(s.rejected_frames == 0);
    CHECK(s.timeouts == 0);
    CHECK(b.transports[0]->packets_stripped() >= 7);
    for (const auto& r : b.readings)
        CHECK(std::get<double>(r.values.at(0).value) == 7.0);
}

TEST_CASE("dtu reconnect replaces the stale connection")
{
    dtu_bench b;
    auto& poller = b.add_bus(dtu_bus("dtu-1", "text:CL-0001"));
    auto old_link = std::make_unique<fake_dtu>(b.io, b.endpoint(), "CL-0001");
    REQUIRE(run_until(b.io, [&] { return !old_link->requests.empty(); }));

    // The DTU lost its 4G link without a FIN and dials in again.
    old_link->on_request = nullptr;
    fake_dtu new_link(b.io, b.endpoint(), "CL-0001");
    REQUIRE(run_until(b.io, [&] { return old_link->closed; }));

    const auto before = b.readings.size();
    REQUIRE(run_until(b.io, [&] { return b.readings.size() > before + 1; }));
    CHECK_FALSE(new_link.requests.empty());
    CHECK(b.listener.counters().replaced == 1);
    CHECK(b.listener.counters().attached == 1);
    CHECK(poller.status().open);
}

TEST_CASE("dtu silent for three heartbeat intervals is dropped")
{
    dtu_bench b;
    auto bus = dtu_bus("dtu-1", "text:CL-0001");
    bus.heartbeat_interval = milliseconds{50};
    auto& poller = b.add_bus(bus);
    fake_dtu dtu(b.io, b.endpoint(), "CL-0001");
    dtu.on_request = nullptr; // the meter behind it is silent too
    REQUIRE(run_until(b.io, [&] { return b.transports[0]->attached(); }));

    REQUIRE(run_until(b.io, [&] { return dtu.closed; }));
    CHECK_FALSE(b.transports[0]->attached());
    CHECK_FALSE(poller.status().open);
}

TEST_CASE("dtu heartbeats keep a quiet link open")
{
    dtu_bench b;
    auto bus = dtu_bus("dtu-1", "text:CL-0001");
    // Heartbeats at half the interval leave 500 ms of slack before the
    // link counts as stale, so a loaded test machine does not close it.
    bus.heartbeat_interval = milliseconds{200};
    b.add_bus(bus);
    fake_dtu dtu(b.io, b.endpoint(), "CL-0001");
    dtu.on_request = nullptr;
    for (int i = 1; i <= 10; ++i)
        dtu.send_later(milliseconds{100 * i}, "HB");

    run_for(b.io, milliseconds{1000});
    CHECK_FALSE(dtu.closed);
    CHECK(b.transports[0]->attached());
}

TEST_CASE("dtu disconnect fails polls fast and a new registration resumes them")
{
    dtu_bench b;
    auto& poller = b.add_bus(dtu_bus("dtu-1", "text:CL-0001"));
    auto dtu = std::make_unique<fake_dtu>(b.io, b.endpoint(), "CL-0001");
    REQUIRE(run_until(b.io, [&] { return !b.readings.empty(); }));

    dtu.reset();
    REQUIRE(run_until(b.io, [&] { return !poller.status().open; }));
    run_for(b.io, milliseconds{300});
    CHECK(poller.device_states().at(0).last_error.find("is closed") != std::string::npos);

    const auto before = b.readings.size();
    fake_dtu again(b.io, b.endpoint(), "CL-0001");
    REQUIRE(run_until(b.io, [&] { return b.readings.size() > before; }));
}

TEST_CASE("dtu registration goes to the newest transport of a bus")
{
    dtu_bench b;
    const auto bus = dtu_bus("dtu-1", "text:CL-0001");
    dtu_transport old_instance(b.io, bus, b.listener);
    dtu_transport restarted(b.io, bus, b.listener);

    fake_dtu dtu(b.io, b.endpoint(), "CL-0001");
    REQUIRE(run_until(b.io, [&] { return b.listener.counters().registered == 1; }));
    CHECK(restarted.attached());
    CHECK_FALSE(old_instance.attached());
}

TEST_CASE("dtu unread bytes beyond 4 KiB are dropped and counted")
{
    dtu_bench b;
    dtu_transport port(b.io, dtu_bus("dtu-1", "text:CL-0001"), b.listener);
    std::string flood(5000, 'X');
    flood.replace(flood.size() - 4, 4, "LAST");
    fake_dtu dtu(b.io, b.endpoint(), "CL-0001" + flood);

    REQUIRE(run_until(b.io, [&] { return port.bytes_dropped() == flood.size() - dtu_transport::max_unread_bytes; }));

    // What is left to read is the newest 4 KiB.
    std::string unread;
    std::array<std::uint8_t, 512> buffer{};
    bool reading = false;
    while (port.is_open() && unread.size() < dtu_transport::max_unread_bytes) {
        reading = true;
        port.async_read_some(buffer, [&](std::error_code ec, std::size_t n) {
            REQUIRE_FALSE(ec);
            unread.append(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
            reading = false;
        });
        REQUIRE(run_until(b.io, [&] { return !reading; }));
    }
    CHECK(unread.size() == dtu_transport::max_unread_bytes);
    CHECK(unread == flood.substr(flood.size() - dtu_transport::max_unread_bytes));
    CHECK(port.bytes_dropped() == flood.size() - dtu_transport::max_unread_bytes);
}

TEST_CASE("dtu dropped bytes show in the bus status")
{
    // A poller without devices never reads, so everything beyond the
    // transport's 4 KiB is dropped, and the operator sees it per bus.
    dtu_bench b;
    const auto bus = dtu_bus("dtu-1", "text:CL-0001");
    bus_poller poller(b.io, bus, std::make_unique<dtu_transport>(b.io, bus, b.listener), fast_options());
    poller.start();
    const std::string flood(5000, 'X');
    fake_dtu dtu(b.io, b.endpoint(), "CL-0001" + flood);

    const auto expected = flood.size() - dtu_transport::max_unread_bytes;
    REQUIRE(run_until(b.io, [&] { return poller.status().dropped_bytes == expected; }));
    CHECK(poller.status().open);
}

TEST_CASE("dtu listener accepts on IPv4 and IPv6")
{
    dtu_bench b(listener_config({"127.0.0.1", "::1"}));
    b.add_bus(dtu_bus("dtu-4", "text:CL-4"));
    b.add_bus(dtu_bus("dtu-6", "text:CL-6"));
    REQUIRE(b.listener.local_endpoints().size() == 2);
    CHECK(b.endpoint(1).address().is_v6());

    fake_dtu v4(b.io, b.endpoint(0), "CL-4");
    fake_dtu v6(b.io, b.endpoint(1), "CL-6");
    REQUIRE(run_until(b.io, [&] { return b.transports[0]->attached() && b.transports[1]->attached(); }));
    CHECK(b.pollers[1]->status().endpoint.find("from [::1]:") != std::string::npos);
}

} // namespace citygate::bus::test
