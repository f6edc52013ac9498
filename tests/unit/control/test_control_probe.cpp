// Validation of the "probe" command by the control server: every field is
// checked before the handler sees the request, and rejections are counted.

#include "control_fixture.hpp"

#include "gateway/control/client.hpp"
#include "gateway/control/protocol.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace citygate::control;
using citygate::control::test::running_server;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

void echo_handler(const json& request, const reply_fn& reply) {
    reply(make_result({{"echo", request}}));
}

json probe(json fields) {
    json request{{"cmd", "probe"}, {"bus", "rs485-1"}, {"protocol", "dlt645"}, {"address", nullptr}};
    for (const auto& [key, value] : fields.items()) {
        request[key] = value;
    }
    return request;
}

} // namespace

TEST_CASE("control probe valid requests reach the handler") {
    running_server server(echo_handler);
    const client c(server.path(), 5s);

    const std::vector<json> cases{
        probe({}),
        probe({{"edition", "1997"}}),
        probe({{"address", "000000000161"}, {"scan", {{"index", 0}, {"total", 50}}}}),
        probe({{"protocol", "cjt188"}, {"meter_type", "2a"}, {"edition", "2004"}}),
        probe({{"protocol", "cjt188"}, {"address", "78330000000001"}}),
        probe({{"protocol", "modbus"}, {"address", "247"}, {"scan", {{"index", 246}, {"total", 247}}}}),
        probe({{"protocol", "modbus"}, {"address", "1"}}),
    };
    for (const auto& request : cases) {
        CAPTURE(request.dump());
        const auto result = c.call(request);
        REQUIRE(result.response);
        CHECK((*result.response)["ok"] == true);
        CHECK((*result.response)["result"]["echo"] == request);
    }
    CHECK(server.counters().bad_requests == 0);
}

TEST_CASE("control probe invalid fields are rejected and counted") {
    running_server server(echo_handler);
    const client c(server.path(), 5s);

    const std::vector<json> cases{
        probe({{"bus", ""}}),
        probe({{"bus", std::string(65, 'b')}}),
        probe({{"bus", "rs485 1"}}),
        probe({{"bus", 7}}),
        probe({{"protocol", "mbus"}}),
        probe({{"protocol", nullptr}}),
        json{{"cmd", "probe"}, {"bus", "rs485-1"}, {"protocol", "dlt645"}}, // address missing
        probe({{"address", 161}}),
        probe({{"address", "161"}}),
        probe({{"address", "00000000016A"}}),
        probe({{"address", "999999999999"}}),
        probe({{"protocol", "cjt188"}, {"address", "7833000000000"}}),
        probe({{"protocol", "cjt188"}, {"address", "7833000000000G"}}),
        probe({{"protocol", "cjt188"}, {"address", "AAAAAAAAAAAAAA"}}),
        probe({{"protocol", "modbus"}}), // no broadcast in Modbus
        probe({{"protocol", "modbus"}, {"address", "0"}}),
        probe({{"protocol", "modbus"}, {"address", "248"}}),
        probe({{"protocol", "modbus"}, {"address", "1000"}}),
        probe({{"protocol", "modbus"}, {"address", "-1"}}),
        probe({{"edition", "2018"}}),
        probe({{"edition", 2007}}),
        probe({{"protocol", "cjt188"}, {"edition", "2007"}}),
        probe({{"protocol", "modbus"}, {"address", "1"}, {"edition", "2007"}}),
        probe({{"meter_type", "10"}}), // meter_type is CJ/T 188 only
        probe({{"protocol", "cjt188"}, {"meter_type", "40"}}),
        probe({{"protocol", "cjt188"}, {"meter_type", "1"}}),
        probe({{"protocol", "cjt188"}, {"meter_type", "zz"}}),
        probe({{"scan", {{"index", 0}, {"total", 1001}}}}),
        probe({{"scan", {{"index", 5}, {"total", 5}}}}),
        probe({{"scan", {{"index", -1}, {"total", 5}}}}),
        probe({{"scan", {{"index", 0}, {"total", 0}}}}),
        probe({{"scan", "all"}}),
    };
    for (const auto& request : cases) {
        CAPTURE(request.dump());
        const auto result = c.call(request);
        REQUIRE(result.response);
        CHECK((*result.response)["ok"] == false);
        CHECK((*result.response)["error"]["code"] == "bad_request");
    }
    CHECK(server.counters().bad_requests == cases.size());
}

TEST_CASE("control probe rejection names the field") {
    running_server server(echo_handler);
    const client c(server.path(), 5s);

    const auto result = c.call(probe({{"protocol", "modbus"}}));
    REQUIRE(result.response);
    const auto message = (*result.response)["error"]["message"].get<std::string>();
    CHECK(message.find("modbus has no read-address broadcast") != std::string::npos);
}
