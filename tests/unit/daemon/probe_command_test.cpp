// The daemon's "probe" command on an in-memory bus whose peers answer with
// the real DL/T 645, CJ/T 188 and Modbus codecs: what a probe sends, what
// it reports for an answer, for silence and for a collision of answers.

#include "gateway/daemon/probe_command.hpp"

#include "drivers/registry.hpp"
#include "gateway/bus/device_manager.hpp"
#include "protocols/cjt188/codec.hpp"
#include "protocols/dlt645/codec.hpp"
#include "protocols/modbus/rtu.hpp"
#include "tests/unit/bus/fake_bus.hpp"

#include <doctest/doctest.h>

namespace citygate::daemon {

namespace {

using bus::test::chunk;
using bus::test::fake_transport;
using bus::test::run_until;
using bus::test::wire_log;
using nlohmann::json;
using std::chrono::milliseconds;

std::span<const std::uint8_t> bytes_of(const std::string& text)
{
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::vector<chunk> reply(std::vector<std::uint8_t> bytes)
{
    return {chunk{milliseconds{1}, std::move(bytes)}};
}

// DL/T 645 2007 meters at `addresses`: each answers the read-address
// broadcast and energy reads to its own address with 12345.67 kWh. Several
// meters answering at once overlay their frames, as on a shared RS-485 pair.
std::vector<chunk> dlt645_meters(const std::vector<std::string>& addresses, const std::string& request)
{
    dlt645::counters stats;
    auto decoded = dlt645::decode_request(bytes_of(request), stats);
    if (!decoded.has_frame())
        return {};

    std::vector<std::vector<std::uint8_t>> answers;
    for (const auto& printed : addresses) {
        const auto addr = *dlt645::parse_address(printed);
        const auto& req = decoded.frame();
        if (std::holds_alternative<dlt645::read_address_request>(req.body)) {
            answers.push_back(dlt645::encode_frame(dlt645::make_read_address_reply(req.edition, addr), 0));
        } else if (req.link.address == addr) {
            const std::uint8_t energy[] = {0x67, 0x45, 0x23, 0x01}; // 12345.67 kWh, BCD low byte first
            const auto di = std::get<dlt645::read_request>(req.body).di;
            answers.push_back(dlt645::encode_frame(dlt645::make_read_reply(req.edition, addr, di, energy), 0));
        }
    }
    if (answers.empty())
        return {};
    auto overlay = answers[0];
    for (std::size_t i = 1; i < answers.size(); ++i)
        for (std::size_t b = 0; b < overlay.size() && b < answers[i].size(); ++b)
            overlay[b] &= answers[i][b]; // a driven 0 wins on the pair
    return reply(std::move(overlay));
}

std::vector<chunk> modbus_slaves(const std::string& request)
{
    modbus::counters stats;
    auto decoded = modbus::decode_rtu_request(bytes_of(request), stats);
    if (!decoded.has_frame())
        return {};
    const auto unit = decoded.frame().unit;
    if (unit == 7) {
        const std::uint16_t registers[] = {4711};
        return reply(modbus::encode_rtu(7, modbus::encode_registers_pdu(modbus::function_code::read_holding_registers,
                                                                         registers)));
    }
    if (unit == 9)
        return reply(modbus::encode_rtu(9, modbus::encode_exception_pdu(0x03, modbus::exception_code::illegal_data_address)));
    return {};
}

std::vector<chunk> cjt188_meter(const std::string& request)
{
    cjt188::counters stats;
    auto decoded = cjt188::decode_request(bytes_of(request), stats);
    if (!decoded.has_frame() || decoded.frame().di.value != cjt188::di_read_address)
        return {};
    const auto addr = *cjt188::parse_address("78330000000042");
    return reply(cjt188::encode_frame(
        cjt188::make_read_address_reply(0x10, addr, decoded.frame().di.order, decoded.frame().ser), 0));
}

struct fixture {
    explicit fixture(std::function<std::vector<chunk>(const std::string&)> responder)
        : manager(io, drivers, factory(std::move(responder)), bus::poller_options{}), probes(manager)
    {
        drivers::register_builtin_drivers(drivers);
        config::config cfg;
        config::bus_config line;
        line.id = "rs485-1";
        line.device = "/dev/fake";
        line.response_timeout = milliseconds{100};
        line.inter_frame_gap = milliseconds{2};
        line.retries = 0;
        cfg.buses.push_back(line);
        manager.apply(cfg);
    }

    ~fixture() { manager.stop(); }

    bus::transport_factory factory(std::function<std::vector<chunk>(const std::string&)> responder)
    {
        return [this, responder](boost::asio::io_context& ctx, const config::bus_config&) {
            wire = std::make_shared<wire_log>();
            wire->responder = responder;
            return std::unique_ptr<bus::transport>(std::make_unique<fake_transport>(ctx, wire));
        };
    }

    json run(json request)
    {
        request["cmd"] = "probe";
        std::optional<json> response;
        probes.run(request, [&](json r) { response = std::move(r); });
        REQUIRE(run_until(io, [&] { return response.has_value(); }));
        return *response;
    }

    boost::asio::io_context io;
    drivers::registry drivers;
    std::shared_ptr<wire_log> wire;
    bus::device_manager manager;
    probe_command probes;
};

} // namespace

TEST_CASE("probe dlt645 broadcast finds the one meter")
{
    fixture f([](const std::string& q) { return dlt645_meters({"000000000161"}, q); });
    const auto response = f.run({{"bus", "rs485-1"}, {"protocol", "dlt645"}, {"address", nullptr}});

    REQUIRE(response["ok"] == true);
    const auto& result = response["result"];
    CHECK(result["found"] == true);
    CHECK(result["address"] == "000000000161");
    CHECK(result["options"]["edition"] == "2007");
    CHECK(result["request_hex"].get<std::string>().find("68 AA AA AA AA AA AA 68 13 00") != std::string::npos);
    CHECK_FALSE(result["response_hex"].get<std::string>().empty());
}

TEST_CASE("probe dlt645 broadcast collision is not found")
{
    fixture f([](const std::string& q) { return dlt645_meters({"000000000161", "000000000272"}, q); });
    const auto response = f.run({{"bus", "rs485-1"}, {"protocol", "dlt645"}, {"address", nullptr}});

    REQUIRE(response["ok"] == true);
    CHECK(response["result"]["found"] == false);
    CHECK(response["result"]["detail"].get<std::string>().starts_with("invalid answer: "));
}

TEST_CASE("probe dlt645 address reads energy")
{
    fixture f([](const std::string& q) { return dlt645_meters({"000000000161"}, q); });

    const auto hit = f.run({{"bus", "rs485-1"}, {"protocol", "dlt645"}, {"address", "000000000161"},
                            {"scan", {{"index", 0}, {"total", 2}}}});
    REQUIRE(hit["ok"] == true);
    CHECK(hit["result"]["found"] == true);
    CHECK(hit["result"]["detail"] == "energy_import = 12345.67 kWh");
    REQUIRE(hit["result"]["values"].size() == 1);
    CHECK(hit["result"]["values"][0]["value"].get<double>() == doctest::Approx(12345.67));

    const auto miss = f.run({{"bus", "rs485-1"}, {"protocol", "dlt645"}, {"address", "000000000162"},
                             {"scan", {{"index", 1}, {"total", 2}}}});
    REQUIRE(miss["ok"] == true);
    CHECK(miss["result"]["found"] == false);
    CHECK(miss["result"]["detail"].get<std::string>().find("no answer") != std::string::npos);
}

TEST_CASE("probe dlt645 1997 broadcast reads C032")
{
    fixture f([](const std::string& q) { return dlt645_meters({"000000000161"}, q); });
    const auto response =
        f.run({{"bus", "rs485-1"}, {"protocol", "dlt645"}, {"address", nullptr}, {"edition", "1997"}});

    REQUIRE(response["ok"] == true);
    CHECK(response["result"]["found"] == true);
    CHECK(response["result"]["address"] == "000000000161");
    CHECK(response["result"]["options"]["edition"] == "1997");
    // C = 01H (1997 read data), L = 2, DI C032 sent as 32 C0 plus 33H each.
    CHECK(response["result"]["request_hex"].get<std::string>().find("68 01 02 65 F3") != std::string::npos);
}

TEST_CASE("probe dlt645 error reply still finds the meter")
{
    fixture f([](const std::string& request) {
        dlt645::counters stats;
        auto decoded = dlt645::decode_request(bytes_of(request), stats);
        if (!decoded.has_frame())
            return std::vector<chunk>{};
        // Error byte 02H: no data for the requested identifier (2007).
        return reply(dlt645::encode_frame(
            dlt645::make_error_reply(dlt645::edition::v2007, decoded.frame().link.address, 0x02), 0));
    });
    const auto response = f.run({{"bus", "rs485-1"}, {"protocol", "dlt645"}, {"address", "000000000161"}});

    REQUIRE(response["ok"] == true);
    CHECK(response["result"]["found"] == true);
    CHECK(response["result"]["address"] == "000000000161");
    CHECK(response["result"]["detail"].get<std::string>().rfind("device_error = ", 0) == 0);
}

TEST_CASE("probe modbus answer and exception both count as found")
{
    fixture f(modbus_slaves);

    const auto value = f.run({{"bus", "rs485-1"}, {"protocol", "modbus"}, {"address", "7"}});
    REQUIRE(value["ok"] == true);
    CHECK(value["result"]["found"] == true);
    CHECK(value["result"]["address"] == "7");
    CHECK(value["result"]["detail"] == "holding_0 = 4711.0");

    const auto exception = f.run({{"bus", "rs485-1"}, {"protocol", "modbus"}, {"address", "9"}});
    REQUIRE(exception["ok"] == true);
    CHECK(exception["result"]["found"] == true);
    CHECK(exception["result"]["detail"].get<std::string>().find("ILLEGAL DATA ADDRESS") != std::string::npos);

    const auto silent = f.run({{"bus", "rs485-1"}, {"protocol", "modbus"}, {"address", "8"}});
    REQUIRE(silent["ok"] == true);
    CHECK(silent["result"]["found"] == false);
}

TEST_CASE("probe cjt188 broadcast reports type and edition")
{
    fixture f(cjt188_meter);
    const auto response = f.run({{"bus", "rs485-1"}, {"protocol", "cjt188"}, {"address", nullptr}, {"edition", "2004"}});

    REQUIRE(response["ok"] == true);
    CHECK(response["result"]["found"] == true);
    CHECK(response["result"]["address"] == "78330000000042");
    CHECK(response["result"]["options"]["meter_type"] == "10");
    CHECK(response["result"]["options"]["edition"] == "2004");
}

TEST_CASE("probe unknown bus is bus_not_found")
{
    fixture f([](const std::string&) { return std::vector<chunk>{}; });
    const auto response = f.run({{"bus", "rs485-9"}, {"protocol", "dlt645"}, {"address", nullptr}});

    REQUIRE(response["ok"] == false);
    CHECK(response["error"]["code"] == "bus_not_found");
    CHECK(f.wire->writes.empty());
}

} // namespace citygate::daemon
