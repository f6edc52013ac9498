// SenML JSON encoder and decoder.
//
// RFC 8428 examples are the published JSON examples of RFC 8428 section 5
// as kept in the specification's working repository, core-wg/senml-spec,
// files exN.gen.json and exN.gen.resolved.json (snapshot
// aced339e9aafd7675024e5c6c46a19d564506e90). The LwM2M pack is Table
// 7.4.4-5 of OMA-TS-LightweightM2M_Core-V1_1-20180710-A, as kept in
// eclipse-wakaama/wakaama tests/data_senml_json_tests.c.

#include "gateway/senml/senml.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

using namespace citygate;
using senml::resolved_record;

namespace {

std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

std::string text(const std::vector<std::uint8_t>& pack) { return {pack.begin(), pack.end()}; }

std::vector<resolved_record> decode_ok(std::string_view pack) {
    std::vector<resolved_record> out;
    std::string error;
    const bool ok = senml::decode_json(bytes(pack), out, error);
    CHECK_MESSAGE(ok, error);
    return out;
}

std::string decode_error(std::string_view pack) {
    std::vector<resolved_record> out;
    std::string error;
    CHECK_FALSE(senml::decode_json(bytes(pack), out, error));
    CHECK_FALSE(error.empty());
    return error;
}

double number(const resolved_record& r) { return std::get<double>(r.value); }

} // namespace

TEST_CASE("senml encode one reading") {
    const std::vector<reading> readings = {
        {"wm-0001", lane::telemetry, 1'700'000'000'123, true, {{"volume", "m3", 123.456}, {"valve_open", "", true}}},
    };
    CHECK(text(senml::encode_json("gw-1", readings)) ==
          R"([{"bn":"urn:citygate:gw-1:wm-0001:","bt":1700000000.123,"n":"volume","u":"m3","v":123.456},)"
          R"({"n":"valve_open","vb":true}])");
}

TEST_CASE("senml encode prefix stops at the limit") {
    const std::vector<reading> readings = {
        {"a", lane::telemetry, 1'000'000'000, true, {{"x", "", 1.0}}},
        {"a", lane::telemetry, 1'000'001'000, true, {{"x", "", 2.0}}},
        {"b", lane::telemetry, 1'000'000'000, true, {{"y", "", 3.0}}},
    };
    const auto whole = senml::encode_json("g", readings);
    const auto two = senml::encode_json("g", std::span(readings).first(2));

    std::vector<std::uint8_t> out;
    CHECK(senml::encode_json_prefix("g", readings, whole.size(), out) == 3);
    CHECK(out == whole);
    CHECK(senml::encode_json_prefix("g", readings, whole.size() - 1, out) == 2);
    CHECK(out == two);
    CHECK(senml::encode_json_prefix("g", readings, two.size(), out) == 2);
    CHECK(senml::encode_json_prefix("g", readings, two.size() - 1, out) == 1);
    CHECK(text(out) == R"([{"bn":"urn:citygate:g:a:","bt":1000000,"n":"x","v":1}])");
    // The first reading is always encoded, whatever the limit.
    CHECK(senml::encode_json_prefix("g", readings, 1, out) == 1);
    CHECK(senml::encode_json_prefix("g", {}, 1, out) == 0);
    CHECK(text(out) == "[]");
}

TEST_CASE("senml encode shares base per device run") {
    const std::vector<reading> readings = {
        {"a", lane::telemetry, 1'000'000'000, true, {{"x", "", 1.0}}},
        {"a", lane::telemetry, 1'000'001'500, true, {{"x", "", 2.0}}},
        {"a", lane::telemetry, 999'999'000, true, {{"x", "", 3.0}}},
        {"b", lane::telemetry, 1'000'000'000, true, {{"y", "W", -0.5}}},
        {"a", lane::telemetry, 1'000'000'010, true, {{"x", "", 4.0}}},
    };
    CHECK(text(senml::encode_json("g", readings)) ==
          R"([{"bn":"urn:citygate:g:a:","bt":1000000,"n":"x","v":1},)"
          R"({"t":1.5,"n":"x","v":2},)"
          R"({"t":-1,"n":"x","v":3},)"
          R"({"bn":"urn:citygate:g:b:","bt":1000000,"n":"y","u":"W","v":-0.5},)"
          R"({"bn":"urn:citygate:g:a:","bt":1000000.01,"n":"x","v":4}])");
}

TEST_CASE("senml encode marks untrusted clock") {
    const std::vector<reading> readings = {
        {"th-7", lane::telemetry, 5'000, false, {{"temperature", "Cel", 21.5}}},
    };
    CHECK(text(senml::encode_json("g", readings)) ==
          R"([{"bn":"urn:citygate:g:th-7:","bt":5,"n":"temperature","u":"Cel","v":21.5},)"
          R"({"n":"clock_trusted","vb":false}])");

    const std::vector<reading> empty_untrusted = {{"th-7", lane::telemetry, 5'000, false, {}}};
    CHECK(text(senml::encode_json("g", empty_untrusted)) ==
          R"([{"bn":"urn:citygate:g:th-7:","bt":5,"n":"clock_trusted","vb":false}])");
}

TEST_CASE("senml encode empty input") {
    CHECK(text(senml::encode_json("g", {})) == "[]");
    const std::vector<reading> no_values = {{"d", lane::telemetry, 1, true, {}}};
    CHECK(text(senml::encode_json("g", no_values)) == "[]");
}

TEST_CASE("senml encode numbers in shortest round-trip form") {
    const double values[] = {0.1, 1e21, 5e-324, -0.0, 123456789012345680.0, 1.0 / 3.0, 2.5e-7};
    for (const double v : values) {
        CAPTURE(v);
        const std::vector<reading> readings = {{"d", lane::telemetry, 1'700'000'000'000, true, {{"m", "", v}}}};
        const auto records = decode_ok(text(senml::encode_json("g", readings)));
        REQUIRE(records.size() == 1);
        CHECK(number(records[0]) == v);
        CHECK(std::signbit(number(records[0])) == std::signbit(v));
    }
    const std::vector<reading> negative_zero = {{"d", lane::telemetry, 0, true, {{"m", "", -0.0}}}};
    CHECK(text(senml::encode_json("g", negative_zero)) == R"([{"bn":"urn:citygate:g:d:","bt":0,"n":"m","v":-0.0}])");
    const std::vector<reading> tenth = {{"d", lane::telemetry, 0, true, {{"m", "", 0.1}}}};
    CHECK(text(senml::encode_json("g", tenth)) == R"([{"bn":"urn:citygate:g:d:","bt":0,"n":"m","v":0.1}])");
}

TEST_CASE("senml encode leaves out non-finite numbers") {
    const std::vector<reading> readings = {
        {"d", lane::telemetry, 1'000, true, {{"a", "", NAN}, {"b", "", INFINITY}, {"c", "", 1.0}}},
    };
    CHECK(text(senml::encode_json("g", readings)) == R"([{"bn":"urn:citygate:g:d:","bt":1,"n":"c","v":1}])");
}

TEST_CASE("senml encode negative times") {
    const std::vector<reading> readings = {{"d", lane::telemetry, -1'250, true, {{"m", "", 1.0}}}};
    CHECK(text(senml::encode_json("g", readings)) == R"([{"bn":"urn:citygate:g:d:","bt":-1.25,"n":"m","v":1}])");
}

TEST_CASE("senml round trip keeps times past 2038") {
    // 2040-01-01 00:00:00.123 and 2100-01-01 00:00:00.500 UTC. A double keeps
    // millisecond precision far past these dates, and no step uses time_t.
    const std::vector<reading> readings = {
        {"a", lane::telemetry, 2'208'988'800'123, true, {{"x", "", 1.0}}},
        {"b", lane::telemetry, 4'102'444'800'500, true, {{"x", "", 2.0}}},
    };
    const std::string pack = text(senml::encode_json("g", readings));
    CHECK(pack == R"([{"bn":"urn:citygate:g:a:","bt":2208988800.123,"n":"x","v":1},)"
                  R"({"bn":"urn:citygate:g:b:","bt":4102444800.5,"n":"x","v":2}])");

    const auto records = decode_ok(pack);
    REQUIRE(records.size() == 2);
    CHECK(std::llround(records[0].time_s * 1000) == 2'208'988'800'123);
    CHECK(std::llround(records[1].time_s * 1000) == 4'102'444'800'500);
}

TEST_CASE("senml encode escapes strings") {
    const std::string raw = std::string("q\"b\\s/ n\n r\r t\t b\b f\f nul") + '\0' + "\x1f end \xe9\x95\xbf\xe4\xb9\x90";
    const std::vector<reading> readings = {{"d", lane::telemetry, 0, true, {{"label", "", raw}}}};
    const std::string pack = text(senml::encode_json("g", readings));
    CHECK(pack == "[{\"bn\":\"urn:citygate:g:d:\",\"bt\":0,\"n\":\"label\",\"vs\":"
                  "\"q\\\"b\\\\s/ n\\n r\\r t\\t b\\b f\\f nul\\u0000\\u001f end \xe9\x95\xbf\xe4\xb9\x90\"}]");

    const auto records = decode_ok(pack);
    REQUIRE(records.size() == 1);
    CHECK(std::get<interned_string>(records[0].value) == raw);
}

TEST_CASE("senml encode replaces invalid UTF-8") {
    const std::string invalid[] = {
        "\xff",             // never valid
        "\xc0\xaf",         // overlong '/'
        "\xed\xa0\x80",     // UTF-16 surrogate
        "\xf4\x90\x80\x80", // above U+10FFFF
        "\xe9\x95",         // truncated sequence
    };
    for (const std::string& s : invalid) {
        CAPTURE(s.size());
        const std::vector<reading> readings = {{"d", lane::telemetry, 0, true, {{"label", "", "a" + s + "b"}}}};
        const std::string pack = text(senml::encode_json("g", readings));
        CHECK(nlohmann::json::accept(pack));
        const auto records = decode_ok(pack);
        REQUIRE(records.size() == 1);
        const std::string value = std::get<interned_string>(records[0].value);
        CHECK(value.front() == 'a');
        CHECK(value.back() == 'b');
        CHECK(value.find("\xef\xbf\xbd") != std::string::npos);
    }
}

TEST_CASE("senml round trip resolves names, units and times") {
    const std::vector<reading> readings = {
        {"wm-0001", lane::telemetry, 1'700'000'000'000, true, {{"volume", "m3", 123.456}, {"valve_open", "", true}}},
        {"wm-0001", lane::telemetry, 1'700'000'060'000, true, {{"volume", "m3", 123.5}}},
        {"th-0007", lane::event, 1'700'000'001'250, false, {{"state", "", std::string("fire")}}},
    };
    const auto records = decode_ok(text(senml::encode_json("changle-gw-01", readings)));
    REQUIRE(records.size() == 5);

    CHECK(records[0].name == "urn:citygate:changle-gw-01:wm-0001:volume");
    CHECK(records[0].unit == "m3");
    CHECK(records[0].time_s == doctest::Approx(1'700'000'000.0));
    CHECK(number(records[0]) == 123.456);

    CHECK(records[1].name == "urn:citygate:changle-gw-01:wm-0001:valve_open");
    CHECK(records[1].unit.empty());
    CHECK(std::get<bool>(records[1].value));

    CHECK(records[2].name == "urn:citygate:changle-gw-01:wm-0001:volume");
    CHECK(std::llround(records[2].time_s * 1000) == 1'700'000'060'000);
    CHECK(number(records[2]) == 123.5);

    CHECK(records[3].name == "urn:citygate:changle-gw-01:th-0007:state");
    CHECK(std::llround(records[3].time_s * 1000) == 1'700'000'001'250);
    CHECK(std::get<interned_string>(records[3].value) == "fire");

    CHECK(records[4].name == "urn:citygate:changle-gw-01:th-0007:clock_trusted");
    CHECK_FALSE(std::get<bool>(records[4].value));
}

TEST_CASE("senml decode RFC 8428 example 1") {
    const auto records = decode_ok(R"([{"n":"urn:dev:ow:10e2073a01080063","u":"Cel","v":23.1}])");
    REQUIRE(records.size() == 1);
    CHECK(records[0].name == "urn:dev:ow:10e2073a01080063");
    CHECK(records[0].unit == "Cel");
    CHECK(number(records[0]) == 23.1);
}

TEST_CASE("senml decode RFC 8428 example 2") {
    const auto records = decode_ok(R"([{"bn":"urn:dev:ow:10e2073a01080063:","n":"voltage","u":"V","v":120.1},)"
                                   R"({"n":"current","u":"A","v":1.2}])");
    REQUIRE(records.size() == 2);
    CHECK(records[0].name == "urn:dev:ow:10e2073a01080063:voltage");
    CHECK(records[0].unit == "V");
    CHECK(number(records[0]) == 120.1);
    CHECK(records[1].name == "urn:dev:ow:10e2073a01080063:current");
    CHECK(records[1].unit == "A");
    CHECK(number(records[1]) == 1.2);
}

TEST_CASE("senml decode RFC 8428 example 3 with relative times and bu") {
    const auto records = decode_ok(
        R"([{"bn":"urn:dev:ow:10e2073a0108006:","bt":1.276020076001e+09,"bu":"A","bver":5,"n":"voltage","u":"V","v":120.1},)"
        R"({"n":"current","t":-5,"v":1.2},{"n":"current","t":-4,"v":1.3},{"n":"current","t":-3,"v":1.4},)"
        R"({"n":"current","t":-2,"v":1.5},{"n":"current","t":-1,"v":1.6},{"n":"current","v":1.7}])");
    REQUIRE(records.size() == 7);
    CHECK(records[0].name == "urn:dev:ow:10e2073a0108006:voltage");
    CHECK(records[0].unit == "V");
    CHECK(records[0].time_s == doctest::Approx(1276020076.001).epsilon(1e-12));

    const double currents[] = {1.2, 1.3, 1.4, 1.5, 1.6, 1.7};
    const double times[] = {1276020071.001, 1276020072.001, 1276020073.001,
                            1276020074.001, 1276020075.001, 1276020076.001};
    for (std::size_t i = 0; i < 6; ++i) {
        CAPTURE(i);
        const resolved_record& r = records[i + 1];
        CHECK(r.name == "urn:dev:ow:10e2073a0108006:current");
        CHECK(r.unit == "A");
        CHECK(number(r) == currents[i]);
        CHECK(r.time_s == doctest::Approx(times[i]).epsilon(1e-12));
    }
}

TEST_CASE("senml decode RFC 8428 example 7 value types") {
    const auto records = decode_ok(
        R"([{"bn":"urn:dev:ow:10e2073a01080063:","n":"temp","u":"Cel","v":23.1},{"n":"label","vs":"Machine Room"},)"
        R"({"n":"open","vb":false},{"n":"nfv-reader","vd":"aGkgCg"}])");
    REQUIRE(records.size() == 4);
    CHECK(number(records[0]) == 23.1);
    CHECK(std::get<interned_string>(records[1].value) == "Machine Room");
    CHECK_FALSE(records[1].data_value);
    CHECK_FALSE(std::get<bool>(records[2].value));
    CHECK(records[3].name == "urn:dev:ow:10e2073a01080063:nfv-reader");
    CHECK(records[3].data_value);
    CHECK(std::get<interned_string>(records[3].value) == "aGkgCg");
}

TEST_CASE("senml decode RFC 8428 examples 10 and 11 resolve alike") {
    const auto ten = decode_ok(R"([{"n":"urn:dev:ow:10e2073a01080063","u":"Cel","t":1.276020076e+09,"v":23.5},)"
                               R"({"n":"urn:dev:ow:10e2073a01080063","u":"Cel","t":1.276020091e+09,"v":23.6}])");
    const auto eleven = decode_ok(R"([{"bn":"urn:dev:ow:10e2073a01080063","u":"Cel","t":1.276020076e+09,"v":23.5},)"
                                  R"({"u":"Cel","t":1.276020091e+09,"v":23.6}])");
    REQUIRE(ten.size() == 2);
    REQUIRE(eleven.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        CAPTURE(i);
        CHECK(ten[i].name == "urn:dev:ow:10e2073a01080063");
        CHECK(eleven[i].name == ten[i].name);
        CHECK(eleven[i].unit == "Cel");
        CHECK(eleven[i].time_s == ten[i].time_s);
        CHECK(number(eleven[i]) == number(ten[i]));
    }
    CHECK(ten[0].time_s == 1276020076.0);
    CHECK(ten[1].time_s == 1276020091.0);
}

// LwM2M 1.1 names records by object path ("/3/0/0"), but RFC 8428 section
// 4.5.1 requires a resolved name to start with a letter or digit, so a
// strict RFC 8428 decoder rejects the pack. An LwM2M driver has to map paths
// to names before they reach this decoder.
TEST_CASE("senml decode rejects LwM2M path names") {
    const std::string error = decode_error(R"([{"bn":"/3/0/0","vs":"Open Mobile Alliance"}])");
    CHECK_MESSAGE(error.find("invalid resolved name \"/3/0/0\"") != std::string::npos, error);
}

TEST_CASE("senml decode base value and sum") {
    const auto records = decode_ok(R"([{"bn":"d:","bv":10,"bs":100,"n":"a","v":1.5},{"n":"b","s":2}])");
    REQUIRE(records.size() == 2);
    CHECK(number(records[0]) == 11.5);
    CHECK_FALSE(records[0].sum.has_value());
    CHECK_FALSE(records[1].has_value);
    REQUIRE(records[1].sum.has_value());
    CHECK(*records[1].sum == 102.0);
}

TEST_CASE("senml decode applies base value whatever the field order") {
    const auto records = decode_ok(R"([{"v":1.5,"n":"a","bv":10,"bn":"d:"},{"n":"b","v":-0.0}])");
    REQUIRE(records.size() == 2);
    CHECK(number(records[0]) == 11.5);
    CHECK(number(records[1]) == 10.0);

    const auto no_base = decode_ok(R"([{"n":"a","v":-0.0}])");
    REQUIRE(no_base.size() == 1);
    CHECK(std::signbit(number(no_base[0])));
}

TEST_CASE("senml decode rejects a pack over the size limit") {
    std::string pack = R"([{"n":"a","vs":")";
    pack.append(senml::max_pack_size, 'x');
    pack.append(R"("}])");
    const std::string error = decode_error(pack);
    CHECK_MESSAGE(error.find("larger than") != std::string::npos, error);
}

TEST_CASE("senml decode rejects malformed packs") {
    struct bad {
        const char* name;
        const char* pack;
        const char* reason;
    };
    const bad cases[] = {
        {"not JSON", "[{", "not valid JSON"},
        {"not an array", R"({"n":"a","v":1})", "not a JSON array"},
        {"record not an object", R"([1])", "record 0 is not a JSON object"},
        {"no value", R"([{"n":"a"}])", "record 0 has neither a value nor a sum"},
        {"two values", R"([{"n":"a","v":1,"vs":"x"}])", "more than one value field"},
        {"v a string", R"([{"n":"a","v":"1"}])", "field \"v\" is not a number"},
        {"vb a number", R"([{"n":"a","vb":1}])", "field \"vb\" is not a boolean"},
        {"n a number", R"([{"n":1,"v":1}])", "field \"n\" is not a string"},
        {"bt a string", R"([{"bt":"0","n":"a","v":1}])", "field \"bt\" is not a number"},
        {"empty name", R"([{"v":1}])", "invalid resolved name"},
        {"name with space", R"([{"n":"a b","v":1}])", "invalid resolved name \"a b\""},
        {"name starting with dash", R"([{"n":"-a","v":1}])", "invalid resolved name"},
        {"must-understand field", R"([{"n":"a","v":1,"foo_":1}])", "must-understand field \"foo_\""},
        {"second record bad", R"([{"n":"a","v":1},{"n":"b"}])", "record 1 has neither"},
        {"invalid UTF-8", "[{\"n\":\"a\",\"vs\":\"\xff\"}]", "not valid JSON"},
    };
    for (const bad& c : cases) {
        CAPTURE(c.name);
        const std::string error = decode_error(c.pack);
        CHECK_MESSAGE(error.find(c.reason) != std::string::npos, error);
    }
}

TEST_CASE("senml decode ignores unknown optional fields") {
    const auto records = decode_ok(R"([{"n":"a","v":1,"ut":60,"note":"x"}])");
    REQUIRE(records.size() == 1);
    CHECK(number(records[0]) == 1.0);
}

TEST_CASE("senml decode keeps output unchanged on failure") {
    std::vector<resolved_record> out(1);
    out[0].name = "kept";
    std::string error;
    CHECK_FALSE(senml::decode_json(bytes(R"([{"n":"a","v":1},{"n":"b"}])"), out, error));
    REQUIRE(out.size() == 1);
    CHECK(out[0].name == "kept");
}
