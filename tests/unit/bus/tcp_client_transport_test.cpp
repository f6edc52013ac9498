// tcp_client_transport against loopback servers on IPv4 and IPv6: connect,
// timeouts, a poll through bus_poller with the fake codec, and reconnecting
// with backoff after the serial server restarts.

#include "gateway/bus/bus_poller.hpp"
#include "gateway/bus/tcp_client_transport.hpp"
#include "tests/unit/bus/poller_bench.hpp"
#include "tests/unit/bus/tcp_peer.hpp"

#include <doctest/doctest.h>

#include <optional>

namespace citygate::bus::test {

namespace {

config::bus_config tcp_bus(const std::string& host, unsigned short port)
{
    auto bus = fast_bus();
    bus.type = config::bus_type::tcp_client;
    bus.device.clear();
    bus.host = host;
    bus.port = port;
    bus.connect_timeout = milliseconds{500};
    return bus;
}

// Opens `port` and runs the io_context until the handler ran.
std::error_code open_now(boost::asio::io_context& io, transport& port)
{
    std::optional<std::error_code> result;
    port.async_open([&](std::error_code ec) { result = ec; });
    REQUIRE(run_until(io, [&] { return result.has_value(); }));
    return *result;
}

std::vector<std::uint8_t> read_once(boost::asio::io_context& io, transport& port)
{
    std::array<std::uint8_t, 64> buffer{};
    std::optional<std::size_t> got;
    port.async_read_some(buffer, [&](std::error_code ec, std::size_t n) {
        REQUIRE_FALSE(ec);
        got = n;
    });
    REQUIRE(run_until(io, [&] { return got.has_value(); }));
    return {buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*got)};
}

// A poller on a tcp-client bus, collecting readings.
struct tcp_bench {
    tcp_bench(boost::asio::io_context& context, const std::string& host, unsigned short port,
              poller_options options = fast_options())
        : io(context),
          poller(io, tcp_bus(host, port), std::make_unique<tcp_client_transport>(io, tcp_bus(host, port)), options)
    {
        poller.on_reading([this](reading r) { readings.push_back(std::move(r)); });
        poller.add_device(meter("12", milliseconds{20}), std::make_unique<fake_codec>("12"));
    }

    boost::asio::io_context& io;
    bus_poller poller;
    std::vector<reading> readings;
};

} // namespace

TEST_CASE("tcp_client_transport connects over IPv4 and describes the peer")
{
    boost::asio::io_context io;
    meter_server server(io, "127.0.0.1");
    tcp_client_transport port(io, tcp_bus("127.0.0.1", server.port()));

    CHECK(port.describe() == "tcp 127.0.0.1:" + std::to_string(server.port()));
    CHECK_FALSE(port.is_open());
    CHECK_FALSE(open_now(io, port));
    CHECK(port.is_open());
    CHECK(port.transmit_time(100) == std::chrono::microseconds{0});
    REQUIRE(run_until(io, [&] { return server.accepts == 1; }));

    port.close();
    CHECK_FALSE(port.is_open());
}

TEST_CASE("tcp_client_transport connects over IPv6 and brackets the address")
{
    boost::asio::io_context io;
    meter_server server(io, "::1");
    tcp_client_transport port(io, tcp_bus("::1", server.port()));

    CHECK(port.describe() == "tcp [::1]:" + std::to_string(server.port()));
    CHECK_FALSE(open_now(io, port));
    REQUIRE(run_until(io, [&] { return server.accepts == 1; }));
}

TEST_CASE("tcp_client_transport resolves a host name")
{
    boost::asio::io_context io;
    meter_server server(io, "127.0.0.1");
    tcp_client_transport port(io, tcp_bus("localhost", server.port()));

    // localhost may resolve to ::1 first; the connect falls through to 127.0.0.1.
    CHECK_FALSE(open_now(io, port));
    CHECK(port.describe() == "tcp localhost:" + std::to_string(server.port()));
}

TEST_CASE("tcp_client_transport reports a refused connection")
{
    boost::asio::io_context io;
    unsigned short port_number = 0;
    {
        meter_server gone(io, "127.0.0.1");
        port_number = gone.port();
    }
    tcp_client_transport port(io, tcp_bus("127.0.0.1", port_number));

    CHECK(open_now(io, port) == std::errc::connection_refused);
    CHECK_FALSE(port.is_open());
}

TEST_CASE("tcp_client_transport times out a connect that gets no answer")
{
    // A listener with a full accept queue drops further SYNs, so the
    // connect neither succeeds nor fails until the timeout.
    boost::asio::io_context io;
    tcp_net::tcp::acceptor full(io, tcp_net::tcp::endpoint(tcp_net::make_address("127.0.0.1"), 0));
    full.listen(0);
    const auto port_number = full.local_endpoint().port();
    std::vector<std::unique_ptr<tcp_net::tcp::socket>> fillers;
    for (int i = 0; i < 4; ++i) {
        fillers.push_back(std::make_unique<tcp_net::tcp::socket>(io));
        fillers.back()->async_connect(full.local_endpoint(), [](const boost::system::error_code&) {});
    }
    run_for(io, milliseconds{100});

    auto bus = tcp_bus("127.0.0.1", port_number);
    bus.connect_timeout = milliseconds{200};
    tcp_client_transport port(io, bus);
    const auto started = steady::now();

    CHECK(open_now(io, port) == std::errc::timed_out);
    CHECK(steady::now() - started >= milliseconds{200});
    CHECK_FALSE(port.is_open());
}

TEST_CASE("tcp_client_transport close aborts a connect in progress")
{
    boost::asio::io_context io;
    tcp_client_transport port(io, tcp_bus("127.0.0.1", 9));
    std::optional<std::error_code> result;
    port.async_open([&](std::error_code ec) { result = ec; });
    port.close();

    CHECK_FALSE(result.has_value()); // never inline
    REQUIRE(run_until(io, [&] { return result.has_value(); }));
    CHECK(*result == std::errc::operation_canceled);
}

TEST_CASE("tcp_client_transport discard_input drops buffered bytes")
{
    boost::asio::io_context io;
    meter_server server(io, "127.0.0.1");
    tcp_client_transport port(io, tcp_bus("127.0.0.1", server.port()));
    REQUIRE_FALSE(open_now(io, port));
    REQUIRE(run_until(io, [&] { return server.accepts == 1; }));

    server.push("late answer");
    run_for(io, milliseconds{50});
    port.discard_input();
    server.push("fresh");

    CHECK(text_of(read_once(io, port)) == "fresh");
}

TEST_CASE("tcp_client_transport carries polls through bus_poller over IPv4")
{
    boost::asio::io_context io;
    meter_server server(io, "127.0.0.1");
    tcp_bench bench(io, "127.0.0.1", server.port());
    bench.poller.start();

    REQUIRE(run_until(io, [&] { return bench.readings.size() >= 3; }));
    CHECK(bench.readings.front().device_id == "m12");
    CHECK(std::get<double>(bench.readings.front().values.at(0).value) == 7.0);
    CHECK(server.requests.front() == "Q12");
    CHECK(server.accepts == 1);
    CHECK(bench.poller.status().open);
    CHECK(bench.poller.status().endpoint == "tcp 127.0.0.1:" + std::to_string(server.port()));
}

TEST_CASE("tcp_client_transport carries polls through bus_poller over IPv6")
{
    boost::asio::io_context io;
    meter_server server(io, "::1");
    tcp_bench bench(io, "::1", server.port());
    bench.poller.start();

    REQUIRE(run_until(io, [&] { return bench.readings.size() >= 2; }));
    CHECK(std::get<double>(bench.readings.front().values.at(0).value) == 7.0);
    CHECK(server.accepts == 1);
}

TEST_CASE("tcp_client_transport reconnects after the server restarts")
{
    boost::asio::io_context io;
    auto server = std::make_unique<meter_server>(io, "127.0.0.1");
    const auto port_number = server->port();
    auto options = fast_options();
    options.reopen_min = milliseconds{20};
    options.reopen_max = milliseconds{80};
    tcp_bench bench(io, "127.0.0.1", port_number, options);
    bench.poller.start();
    REQUIRE(run_until(io, [&] { return !bench.readings.empty(); }));

    // The server goes away: the next read sees end of file, the poller
    // closes the port and every reconnect is refused, with growing delays.
    server.reset();
    run_for(io, milliseconds{400});
    const auto down = bench.poller.status();
    CHECK_FALSE(down.open);
    // Delays of 20, 40, 80, 80... ms allow about 6 failures in 400 ms;
    // reconnecting every poll interval (20 ms) would make 20.
    CHECK(down.port_errors >= 3);
    CHECK(down.port_errors <= 10);

    server = std::make_unique<meter_server>(io, "127.0.0.1", port_number);
    const auto before = bench.readings.size();
    REQUIRE(run_until(io, [&] { return bench.readings.size() > before + 1; }));
    CHECK(server->accepts == 1);
    CHECK(bench.poller.status().open);
}

} // namespace citygate::bus::test
