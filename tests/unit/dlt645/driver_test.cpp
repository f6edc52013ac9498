// dlt645 driver: configuration checks, poll encoding and answer mapping.
// Vectors and their sources are in vectors.hpp.

#include "drivers/dlt645/dlt645_driver.hpp"
#include "drivers/registry.hpp"
#include "protocols/common/refusal.hpp"
#include "tests/unit/dlt645/vectors.hpp"

#include <doctest/doctest.h>

using namespace citygate;
using namespace citygate::drivers;
using namespace dlt645_vectors;

namespace {

device_params params(std::string address, std::map<std::string, std::string> options = {})
{
    return {"meter-1", std::move(address), std::move(options)};
}

std::unique_ptr<device_codec> make(const device_params& p)
{
    std::error_code error;
    auto codec = dlt645_driver().make_codec(p, error);
    REQUIRE_FALSE(error);
    REQUIRE(codec);
    return codec;
}

std::error_code config_error(const device_params& p)
{
    std::error_code error;
    auto codec = dlt645_driver().make_codec(p, error);
    CHECK_FALSE(codec);
    return error;
}

const dlt645::counters& stats_of(const device_codec& codec)
{
    return dynamic_cast<const dlt645_device_codec&>(codec).stats();
}

} // namespace

TEST_CASE("driver name and kind")
{
    dlt645_driver d;
    CHECK(d.name() == "dlt645");
    CHECK(d.kind() == driver_kind::polled);
}

TEST_CASE("driver registered as dlt645")
{
    registry r;
    register_builtin_drivers(r);
    REQUIRE(r.find("dlt645"));
    CHECK(r.find("dlt645")->name() == "dlt645");
    CHECK(r.add(std::make_unique<dlt645_driver>()) == registry_error::duplicate_name);
}

TEST_CASE("driver address validation")
{
    for (const char* bad : {"", "00000000016", "0000000001610", "00000000016A", "AAAAAAAAAAAA"}) {
        INFO(bad);
        CHECK(config_error(params(bad)) == dlt645_config_error::invalid_address);
    }
}

TEST_CASE("driver option validation")
{
    CHECK(config_error(params("000000000161", {{"edition", "2010"}})) == dlt645_config_error::invalid_edition);
    CHECK(config_error(params("000000000161", {{"read", "energy"}})) == dlt645_config_error::unknown_quantity);
    CHECK(config_error(params("000000000161", {{"edition", "1997"}, {"read", "power_apparent"}})) ==
          dlt645_config_error::quantity_not_in_edition);
    CHECK(config_error(params("000000000161", {{"baud", "2400"}})) == dlt645_config_error::unknown_option);
    CHECK(config_error(params("000000000161", {{"baud", "2400"}})).message().find("edition and read") !=
          std::string::npos);
}

TEST_CASE("driver default poll reads total active energy")
{
    auto codec = make(params(std::string(d3_address)));
    auto expected = bytes("FE FE FE FE " + std::string(d3_req_forward_active));
    CHECK(codec->encode_poll(0) == expected);
}

TEST_CASE("driver poll of a configured quantity")
{
    auto codec = make(params(std::string(d3_address), {{"read", "voltage_a"}}));
    CHECK(codec->encode_poll(0) == bytes("FE FE FE FE " + std::string(d3_req_voltage_a)));

    auto old = make(params("000000000001", {{"edition", "1997"}}));
    CHECK(old->encode_poll(0) == bytes("FE FE FE FE 68 01 00 00 00 00 00 68 01 02 43 C3 DA 16"));
}

TEST_CASE("driver poll of several quantities runs one step each")
{
    auto codec = make(params(std::string(d3_address), {{"read", "energy_import, voltage_a"}}));
    REQUIRE(codec->poll_steps() == 2);
    CHECK(codec->encode_poll(0) == bytes("FE FE FE FE " + std::string(d3_req_forward_active)));
    CHECK(codec->encode_poll(1) == bytes("FE FE FE FE " + std::string(d3_req_voltage_a)));

    auto energy = codec->decode_answer(0, bytes(d3_rep_forward_active));
    REQUIRE(energy.has_frame());
    CHECK(energy.frame().values.at(0).metric == "energy_import");
    auto voltage = codec->decode_answer(1, bytes(d3_rep_voltage_a));
    REQUIRE(voltage.has_frame());
    CHECK(voltage.frame().values.at(0).metric == "voltage_a");

    // Each step accepts only the reply to its own data identifier.
    CHECK(codec->decode_answer(0, bytes(d3_rep_voltage_a)).error() == dlt645::error::di_mismatch);
}

TEST_CASE("driver read list validation")
{
    const std::string address(d3_address);
    CHECK(config_error(params(address, {{"read", "energy_import,energy_import"}})) ==
          dlt645_config_error::duplicate_quantity);
    CHECK(config_error(params(address, {{"read", "energy_import,,voltage_a"}})) ==
          dlt645_config_error::unknown_quantity);
    CHECK(config_error(params(address, {{"read", ""}})) == dlt645_config_error::unknown_quantity);
    CHECK(config_error(params(address, {{"edition", "1997"}, {"read", "energy_import,power_apparent"}})) ==
          dlt645_config_error::quantity_not_in_edition);
}

TEST_CASE("driver config errors name the value")
{
    const std::string address(d3_address);
    const auto describe = [](const device_params& p) { return dlt645_driver().describe_config_error(p, config_error(p)); };
    const auto contains = [](const std::string& text, const std::string& part) {
        INFO(text);
        return text.find(part) != std::string::npos;
    };

    const auto unknown = describe(params(address, {{"read", "energy_import, energy"}}));
    CHECK(contains(unknown, "unknown metric \"energy\""));
    CHECK(contains(unknown, "metrics of edition 2007: energy_combined, energy_import, "));
    CHECK(contains(unknown, "voltage_a"));

    const auto not_in_1997 = describe(params(address, {{"edition", "1997"}, {"read", "energy_import,power_apparent"}}));
    CHECK(contains(not_in_1997, "metric \"power_apparent\" has no data identifier in edition 1997"));
    CHECK_FALSE(contains(not_in_1997, "power_apparent,"));

    CHECK(contains(describe(params(address, {{"read", "voltage_a,voltage_a"}})), "\"voltage_a\" is listed twice"));
    CHECK(contains(describe(params(address, {{"read", " "}})), "no metric listed"));
    CHECK(contains(describe(params(address, {{"edition", "2010"}})), "edition \"2010\": expected \"2007\" or \"1997\""));
    CHECK(contains(describe(params(address, {{"reads", "all"}})), "option \"reads\": expected edition or read"));
    CHECK(contains(describe(params("12345", {})), "address \"12345\""));
}

TEST_CASE("driver read all covers every quantity of the edition")
{
    std::size_t in_2007 = 0;
    std::size_t in_1997 = 0;
    for (const auto& q : dlt645::quantities()) {
        in_2007 += q.di_2007 ? 1 : 0;
        in_1997 += q.di_1997 ? 1 : 0;
    }
    CHECK(make(params(std::string(d3_address), {{"read", "all"}}))->poll_steps() == in_2007);
    CHECK(make(params(std::string(d3_address), {{"edition", "1997"}, {"read", "all"}}))->poll_steps() == in_1997);
    CHECK(in_2007 <= max_dlt645_quantities);
}

TEST_CASE("driver time sync broadcasts the local time")
{
    // 2024-03-15 08:30:05 in UTC+8 is 00:30:05 UTC.
    ::setenv("TZ", "CST-8", 1);
    ::tzset();
    const std::int64_t unix_ms = 1710462605000;
    auto frame = dlt645_driver().encode_time_sync(unix_ms);
    ::unsetenv("TZ");
    ::tzset();

    REQUIRE(frame);
    CHECK(*frame == bytes("FE FE FE FE 68 99 99 99 99 99 99 68 08 06 38 63 3B 48 36 57 1F 16"));
}

TEST_CASE("driver time sync past 2038")
{
    // The local time comes from 64-bit milliseconds, so a 32-bit time_t
    // (Debian 12 armhf) changes nothing. Meters hold years 2000-2099.
    constexpr std::int64_t year_2040_ms = 2208988800000; // 2040-01-01 00:00:00 UTC
    constexpr std::int64_t year_2100_ms = 4102444800000; // 2100-01-01 00:00:00 UTC
    ::setenv("TZ", "CST-8", 1);
    ::tzset();
    const auto in_2040 = dlt645_driver().encode_time_sync(year_2040_ms);
    const auto last_meter_second = dlt645_driver().encode_time_sync(year_2100_ms - 8 * 3600 * 1000 - 1000);
    const auto in_2100 = dlt645_driver().encode_time_sync(year_2100_ms - 8 * 3600 * 1000);
    ::unsetenv("TZ");
    ::tzset();

    // 2040-01-01 08:00:00 local: data 00 00 08 01 01 40 plus 33H each.
    REQUIRE(in_2040);
    CHECK(*in_2040 == bytes("FE FE FE FE 68 99 99 99 99 99 99 68 08 06 33 33 3B 34 34 73 F0 16"));
    // 2099-12-31 23:59:59 local.
    REQUIRE(last_meter_second);
    CHECK(*last_meter_second == bytes("FE FE FE FE 68 99 99 99 99 99 99 68 08 06 8C 8C 56 64 45 CC 57 16"));
    CHECK_FALSE(in_2100);
}

TEST_CASE("driver answer D3 energy")
{
    auto codec = make(params(std::string(d3_address)));
    auto in = bytes(d3_rep_forward_active);
    auto result = codec->decode_answer(0, in);

    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());
    REQUIRE(result.frame().values.size() == 1);
    const auto& v = result.frame().values[0];
    CHECK(v.metric == "energy_import");
    CHECK(v.unit == "kWh");
    CHECK(std::get<double>(v.value) == doctest::Approx(0.26));
    CHECK(result.frame().alarms.empty());
    CHECK(stats_of(*codec).frames_ok == 1);
}

TEST_CASE("driver answer D3 voltage")
{
    auto codec = make(params(std::string(d3_address), {{"read", "voltage_a"}}));
    auto result = codec->decode_answer(0, bytes(d3_rep_voltage_a));

    REQUIRE(result.has_frame());
    const auto& v = result.frame().values.at(0);
    CHECK(v.metric == "voltage_a");
    CHECK(v.unit == "V");
    CHECK(std::get<double>(v.value) == doctest::Approx(100.1));
}

TEST_CASE("driver answer split at every byte")
{
    auto in = bytes("FE FE " + std::string(d3_rep_forward_active));
    for (std::size_t cut = 0; cut < in.size(); ++cut) {
        auto codec = make(params(std::string(d3_address)));
        INFO("prefix length " << cut);
        CHECK(codec->decode_answer(0, std::span(in).first(cut)).needs_more());
        CHECK(stats_of(*codec).frames_ok == 0);
    }
}

TEST_CASE("driver answer D1 abnormal reply")
{
    auto codec = make(params("000000000001"));
    auto result = codec->decode_answer(0, bytes(d1_abnormal_reply));

    REQUIRE(result.failed());
    CHECK(result.error() == dlt645::meter_error::no_requested_data);
    CHECK(stats_of(*codec).abnormal == 1);
}

TEST_CASE("driver answer N1 bad checksum")
{
    auto codec = make(params("000000000001"));
    auto result = codec->decode_answer(0, bytes(n1_energy_reply_bad_cs));

    REQUIRE(result.failed());
    CHECK(result.error() == dlt645::error::bad_checksum);
    CHECK(stats_of(*codec).bad_checksum == 1);
}

TEST_CASE("driver answer from wrong address")
{
    // D1's reply comes from 000000000001, not from 000000000161.
    auto codec = make(params(std::string(d3_address)));
    auto in = bytes(d1_energy_reply);
    auto result = codec->decode_answer(0, in);

    REQUIRE(result.failed());
    CHECK(result.error() == dlt645::error::address_mismatch);
    CHECK(result.consumed() == in.size());
    CHECK(stats_of(*codec).address_mismatch == 1);
}

TEST_CASE("driver answer abnormal reply from another meter")
{
    // On a shared line another meter's refusal must not keep this one
    // online, so it counts as a foreign frame with a mismatched address.
    auto codec = make(params(std::string(d3_address)));
    auto result = codec->decode_answer(0, bytes(d1_abnormal_reply));

    REQUIRE(result.failed());
    CHECK(result.error() == dlt645::error::address_mismatch);
    CHECK_FALSE(citygate::proto::is_refusal(result.error()));
    CHECK(stats_of(*codec).address_mismatch == 1);
    CHECK(stats_of(*codec).abnormal == 0);
}

TEST_CASE("driver answer for another DI")
{
    auto codec = make(params(std::string(d3_address)));
    auto result = codec->decode_answer(0, bytes(d3_rep_reverse_active));

    REQUIRE(result.failed());
    CHECK(result.error() == dlt645::error::di_mismatch);
    CHECK(stats_of(*codec).di_mismatch == 1);
}

TEST_CASE("driver answer of the other edition")
{
    auto codec = make(params(std::string(d3_address), {{"edition", "1997"}}));
    auto result = codec->decode_answer(0, bytes(d3_rep_forward_active));

    REQUIRE(result.failed());
    CHECK(result.error() == dlt645::error::edition_mismatch);
    CHECK(stats_of(*codec).edition_mismatch == 1);
}

TEST_CASE("driver answer after line noise")
{
    auto codec = make(params(std::string(d3_address)));
    auto in = bytes("00 FF 12 " + std::string(d3_rep_forward_active));
    auto result = codec->decode_answer(0, in);

    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());
    CHECK(stats_of(*codec).garbage_skips == 1);
    CHECK(stats_of(*codec).garbage_bytes == 3);
}

TEST_CASE("driver noise alone needs more and counts nothing")
{
    auto codec = make(params(std::string(d3_address)));
    auto result = codec->decode_answer(0, bytes("00 FF 12"));

    CHECK(result.needs_more());
    CHECK(stats_of(*codec).garbage_skips == 0);
}

TEST_CASE("driver answer missing second start byte")
{
    auto codec = make(params(std::string(d3_address)));
    auto in = bytes(d3_rep_forward_active);
    in[7] = 0x00;
    fix_checksum(in);
    auto result = codec->decode_answer(0, in);

    REQUIRE(result.failed());
    CHECK(result.error() == dlt645::error::no_second_start_byte);
    CHECK(stats_of(*codec).no_second_start == 1);
}

TEST_CASE("driver answer 1997 energy")
{
    const auto meter = dlt645::parse_address("000000000001").value();
    std::vector<std::uint8_t> value;
    dlt645::append_value(value, dlt645::find_quantity("energy_import")->format_1997, 4321.5);
    auto in = dlt645::encode_frame(dlt645::make_read_reply(dlt645::edition::v1997, meter, 0x9010, value));

    auto codec = make(params("000000000001", {{"edition", "1997"}}));
    auto result = codec->decode_answer(0, in);
    REQUIRE(result.has_frame());
    CHECK(std::get<double>(result.frame().values.at(0).value) == doctest::Approx(4321.5));
}
