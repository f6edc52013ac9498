// cjt188 driver: configuration checks, poll encoding and answer mapping.
// Vectors and their sources are in vectors.hpp.

#include "drivers/cjt188/cjt188_driver.hpp"
#include "drivers/registry.hpp"
#include "protocols/common/refusal.hpp"
#include "tests/unit/cjt188/vectors.hpp"

#include <doctest/doctest.h>

using namespace citygate;
using namespace citygate::drivers;
using namespace cjt188_vectors;

namespace {

device_params params(std::string address, std::map<std::string, std::string> options = {})
{
    return {"meter-1", std::move(address), std::move(options)};
}

std::unique_ptr<device_codec> make(const device_params& p)
{
    std::error_code error;
    auto codec = cjt188_driver().make_codec(p, error);
    REQUIRE_FALSE(error);
    REQUIRE(codec);
    return codec;
}

std::error_code config_error(const device_params& p)
{
    std::error_code error;
    auto codec = cjt188_driver().make_codec(p, error);
    CHECK_FALSE(codec);
    return error;
}

const metric_value* find(const std::vector<metric_value>& values, std::string_view name)
{
    for (const auto& v : values) {
        if (v.metric == name)
            return &v;
    }
    return nullptr;
}

double number(const poll_answer& a, std::string_view name)
{
    const auto* v = find(a.values, name);
    REQUIRE(v);
    return std::get<double>(v->value);
}

std::string unit(const poll_answer& a, std::string_view name)
{
    const auto* v = find(a.values, name);
    REQUIRE(v);
    return v->unit;
}

} // namespace

TEST_CASE("driver name and kind")
{
    cjt188_driver d;
    CHECK(d.name() == "cjt188");
    CHECK(d.kind() == driver_kind::polled);
}

TEST_CASE("driver registry rejects duplicate cjt188")
{
    registry r;
    register_builtin_drivers(r);
    REQUIRE(r.find("cjt188"));
    CHECK(r.add(std::make_unique<cjt188_driver>()) == registry_error::duplicate_name);
}

TEST_CASE("driver address validation")
{
    for (const char* bad : {"", "7833001122334", "783300112233445", "7833001122334G", "78-33-00-11-22-33-44"}) {
        INFO(bad);
        auto ec = config_error(params(bad));
        CHECK(ec == cjt188_config_error::invalid_address);
        CHECK(ec.message().find("14 hex digits") != std::string::npos);
    }
}

TEST_CASE("driver option validation")
{
    const std::string addr(meter_address);
    CHECK(config_error(params(addr, {{"meter_type", "40"}})) == cjt188_config_error::invalid_meter_type);
    CHECK(config_error(params(addr, {{"meter_type", "1"}})) == cjt188_config_error::invalid_meter_type);
    CHECK(config_error(params(addr, {{"meter_type", "0x10"}})) == cjt188_config_error::invalid_meter_type);
    CHECK(config_error(params(addr, {{"meter_type", "1G"}})) == cjt188_config_error::invalid_meter_type);
    CHECK(config_error(params(addr, {{"edition", "2010"}})) == cjt188_config_error::invalid_edition);
    CHECK(config_error(params(addr, {{"editon", "2004"}})) == cjt188_config_error::unknown_option);
}

TEST_CASE("driver poll matches P1 and P3")
{
    CHECK(make(params(std::string(meter_address)))->encode_poll(0) == bytes(p1_water_request));

    auto heat_poll = make(params(std::string(meter_address), {{"meter_type", "20"}}))->encode_poll(0);
    auto expected = bytes(p3_heat_request);
    expected[17] = 0x00; // SER 0 instead of S2's 1
    fix_checksum(expected, 4);
    CHECK(heat_poll == expected);
}

TEST_CASE("driver poll 2004 edition")
{
    auto poll = make(params(std::string(meter_address), {{"edition", "2004"}}))->encode_poll(0);
    REQUIRE(poll.size() == 20);
    CHECK(poll[15] == 0x90);
    CHECK(poll[16] == 0x1F);
}

TEST_CASE("driver water values from P2")
{
    auto codec = make(params(std::string(meter_address)));
    auto in = bytes(p2_water_reply);
    auto result = codec->decode_answer(0, in);
    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());

    const auto& a = result.frame();
    CHECK(number(a, "volume") == doctest::Approx(556677.00));
    CHECK(unit(a, "volume") == "m3");
    CHECK(number(a, "volume_settlement") == doctest::Approx(556677.00));
    CHECK(unit(a, "volume_settlement") == "m3");
    REQUIRE(find(a.values, "meter_time"));
    CHECK(std::get<interned_string>(find(a.values, "meter_time")->value) == "2015-05-11T22:01:31");
    REQUIRE(find(a.values, "valve"));
    CHECK(std::get<interned_string>(find(a.values, "valve")->value) == "closed");
    REQUIRE(find(a.values, "battery_low"));
    CHECK(std::get<bool>(find(a.values, "battery_low")->value) == false);
    CHECK(a.alarms.empty());
}

TEST_CASE("driver heat values from N2 with corrected checksum")
{
    auto codec = make(params(std::string(meter_address), {{"meter_type", "20"}}));
    auto result = codec->decode_answer(0, bytes(n2_heat_reply_fixed));
    REQUIRE(result.has_frame());

    const auto& a = result.frame();
    CHECK(number(a, "heat") == doctest::Approx(123456.78));
    CHECK(unit(a, "heat") == "kWh");
    CHECK(number(a, "heat_settlement") == doctest::Approx(123456.78));
    CHECK(number(a, "power") == doctest::Approx(123456.78));
    CHECK(unit(a, "power") == "kW");
    CHECK(number(a, "flow_rate") == doctest::Approx(123456.78 / 3600));
    CHECK(unit(a, "flow_rate") == "m3/s");
    CHECK(number(a, "volume") == doctest::Approx(123456.78));
    CHECK(number(a, "supply_temp") == doctest::Approx(1234.56));
    CHECK(unit(a, "supply_temp") == "Cel");
    CHECK(number(a, "return_temp") == doctest::Approx(1234.56));
    CHECK(number(a, "working_hours") == doctest::Approx(123456));
    CHECK(unit(a, "working_hours") == "h");
}

TEST_CASE("driver alarms for abnormal valve and low battery")
{
    auto in = bytes(p2_water_reply);
    in[31] = 0x07; // ST first byte: valve 11 abnormal, battery low
    fix_checksum(in);
    auto result = make(params(std::string(meter_address)))->decode_answer(0, in);
    REQUIRE(result.has_frame());

    const auto& a = result.frame();
    CHECK(std::get<interned_string>(find(a.values, "valve")->value) == "abnormal");
    REQUIRE(find(a.alarms, "valve"));
    CHECK(std::get<interned_string>(find(a.alarms, "valve")->value) == "abnormal");
    REQUIRE(find(a.alarms, "battery_low"));
    CHECK(std::get<bool>(find(a.alarms, "battery_low")->value) == true);
}

TEST_CASE("driver reply from another address")
{
    auto codec = make(params("78330011223345"));
    auto in = bytes(p2_water_reply);
    auto result = codec->decode_answer(0, in);

    REQUIRE(result.failed());
    CHECK(result.error() == cjt188::error::address_mismatch);
    CHECK(result.consumed() == in.size());
    CHECK(dynamic_cast<const cjt188_device_codec&>(*codec).stats().address_mismatch == 1);
}

TEST_CASE("driver reply from another meter family")
{
    auto codec = make(params(std::string(meter_address)));
    auto result = codec->decode_answer(0, bytes(n2_heat_reply_fixed));
    REQUIRE(result.failed());
    CHECK(result.error() == cjt188::error::meter_type_mismatch);
}

TEST_CASE("driver skips garbage before reply")
{
    auto in = bytes("00 FF 13 FE FE");
    auto reply = bytes(p2_water_reply);
    in.insert(in.end(), reply.begin(), reply.end());
    auto codec = make(params(std::string(meter_address)));
    auto result = codec->decode_answer(0, in);

    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());
    const auto& stats = dynamic_cast<const cjt188_device_codec&>(*codec).stats();
    CHECK(stats.garbage_skips == 1);
    CHECK(stats.frames_ok == 1);
}

TEST_CASE("driver noise alone needs more")
{
    auto codec = make(params(std::string(meter_address)));
    const auto& stats = dynamic_cast<const cjt188_device_codec&>(*codec).stats();
    auto in = bytes("00 FF 13");

    // The core retries with the grown buffer after every read; noise is
    // counted once, with the final result.
    CHECK(codec->decode_answer(0, in).needs_more());
    CHECK(codec->decode_answer(0, in).needs_more());
    CHECK(stats.garbage_skips == 0);

    auto reply = bytes(p2_water_reply);
    in.insert(in.end(), reply.begin(), reply.end());
    auto result = codec->decode_answer(0, in);
    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());
    CHECK(stats.garbage_skips == 1);
    CHECK(stats.garbage_bytes == 3);
    CHECK(stats.frames_ok == 1);
}

TEST_CASE("driver abnormal reply rejected")
{
    auto in = bytes("68 10 44 33 22 11 00 33 78 C1 04 1F 90 00 01 00 16");
    fix_checksum(in);
    auto codec = make(params(std::string(meter_address)));
    auto result = codec->decode_answer(0, in);

    REQUIRE(result.failed());
    CHECK(result.error() == cjt188::error::abnormal_response);
    CHECK(proto::is_refusal(result.error()));
    CHECK_FALSE(proto::is_refusal(cjt188::error::bad_checksum));
    CHECK(result.consumed() == in.size());
    CHECK(dynamic_cast<const cjt188_device_codec&>(*codec).stats().abnormal == 1);
}

TEST_CASE("driver reply with 2004 byte order")
{
    auto in = bytes(p2_water_reply);
    in[11] = 0x90;
    in[12] = 0x1F;
    fix_checksum(in);
    auto result = make(params(std::string(meter_address)))->decode_answer(0, in);
    REQUIRE(result.has_frame());
    CHECK(number(result.frame(), "volume") == doctest::Approx(556677.00));
}

TEST_CASE("driver answer split at every byte")
{
    auto codec = make(params(std::string(meter_address)));
    auto in = bytes(n1_water_reply_bad_cs);
    in[in.size() - 2] = 0x13; // N1 with the checksum S3 carries
    for (std::size_t cut = 0; cut < in.size(); ++cut) {
        INFO("prefix length " << cut);
        CHECK(codec->decode_answer(0, std::span(in).first(cut)).needs_more());
    }
    CHECK(codec->decode_answer(0, in).has_frame());
}

TEST_CASE("driver N1 rejected on checksum")
{
    auto codec = make(params(std::string(meter_address)));
    auto result = codec->decode_answer(0, bytes(n1_water_reply_bad_cs));
    REQUIRE(result.failed());
    CHECK(result.error() == cjt188::error::bad_checksum);
    CHECK(dynamic_cast<const cjt188_device_codec&>(*codec).stats().bad_checksum == 1);
}

TEST_CASE("driver valve command encodes write-data A017")
{
    auto codec = make(params(std::string(valve_meter_address), {{"edition", "2004"}}));
    exchange close;
    REQUIRE_FALSE(codec->encode_command("valve", "close", close));

    // V2 with SER 00 instead of 01, so the checksum is one lower (93).
    CHECK(close.request == bytes("FE FE FE FE 68 10 69 05 90 05 15 33 78 04 04 A0 17 00 99 93 16"));
    REQUIRE(close.decode);
    CHECK(codec->commands() == std::vector<std::string>{"valve=open|close"});
}

TEST_CASE("driver valve reply confirms the commanded state")
{
    auto codec = make(params(std::string(valve_meter_address), {{"edition", "2004"}}));
    exchange close;
    exchange open;
    REQUIRE_FALSE(codec->encode_command("valve", "close", close));
    REQUIRE_FALSE(codec->encode_command("valve", "open", open));

    auto closed = close.decode(bytes(v4_valve_close_reply));
    REQUIRE(closed.has_frame());
    REQUIRE(closed.frame().values.size() == 1);
    CHECK(closed.frame().values[0].metric == "valve");
    CHECK(std::get<interned_string>(closed.frame().values[0].value) == "closed");

    auto opened = open.decode(bytes(v3_valve_open_reply));
    REQUIRE(opened.has_frame());
    CHECK(std::get<interned_string>(opened.frame().values[0].value) == "open");
}

TEST_CASE("driver valve reply in the wrong state or abnormal is an error")
{
    auto codec = make(params(std::string(valve_meter_address), {{"edition", "2004"}}));
    exchange close;
    REQUIRE_FALSE(codec->encode_command("valve", "close", close));

    CHECK(close.decode(bytes(v3_valve_open_reply)).error() == cjt188::error::valve_state_mismatch);
    CHECK(close.decode(bytes(v5_valve_abnormal_reply)).error() == cjt188::error::valve_command_rejected);

    // A reply from another meter is not the confirmation.
    auto other = make(params(std::string(meter_address), {{"edition", "2004"}}));
    exchange other_close;
    REQUIRE_FALSE(other->encode_command("valve", "close", other_close));
    CHECK(other_close.decode(bytes(v4_valve_close_reply)).error() == cjt188::error::address_mismatch);
}

TEST_CASE("driver valve reply split at every byte")
{
    auto codec = make(params(std::string(valve_meter_address), {{"edition", "2004"}}));
    exchange close;
    REQUIRE_FALSE(codec->encode_command("valve", "close", close));
    const auto reply = bytes("FE FE " + std::string(v4_valve_close_reply));

    for (std::size_t cut = 0; cut < reply.size(); ++cut) {
        INFO("cut at ", cut);
        CHECK(close.decode(std::span(reply).first(cut)).needs_more());
    }
    CHECK(close.decode(reply).has_frame());
}

TEST_CASE("driver rejects unknown commands and values")
{
    auto codec = make(params(std::string(meter_address)));
    exchange out;
    CHECK(codec->encode_command("lamp", "on", out) == driver_error::command_not_supported);
    CHECK(codec->encode_command("valve", "half", out) == driver_error::invalid_command_value);
    CHECK(out.request.empty());
}
