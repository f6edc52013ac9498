// Read-data (901F) and read-address (810A) replies; vectors and their sources are in vectors.hpp.

#include "protocols/cjt188/codec.hpp"
#include "protocols/cjt188/units.hpp"
#include "tests/unit/cjt188/vectors.hpp"

#include <doctest/doctest.h>

using namespace citygate::cjt188;
using namespace cjt188_vectors;

namespace {

// P2 has no preamble, so its data field starts at index 11.
constexpr std::size_t data_start = 11;

std::vector<std::uint8_t> edited_p2(std::size_t data_index, std::uint8_t value)
{
    auto f = bytes(p2_water_reply);
    f[data_start + data_index] = value;
    fix_checksum(f);
    return f;
}

const flow_meter_data& flow_of(const reply& r)
{
    return std::get<flow_meter_data>(std::get<read_data_reply>(r.body).values);
}

const heat_meter_data& heat_of(const reply& r)
{
    return std::get<heat_meter_data>(std::get<read_data_reply>(r.body).values);
}

} // namespace

TEST_CASE("read-data P2 water reply values")
{
    counters stats;
    auto result = decode_reply(bytes(p2_water_reply), stats);
    REQUIRE(result.has_frame());

    const auto& body = std::get<read_data_reply>(result.frame().body);
    CHECK(body.di.value == di_read_data);
    CHECK(body.di.order == edition::v2018);
    CHECK(body.ser == 0);

    const auto& d = flow_of(result.frame());
    CHECK(d.current_volume.value == doctest::Approx(556677.00));
    CHECK(d.current_volume.unit == 0x2C);
    CHECK(d.current_volume.canonical() == doctest::Approx(556677.00));
    CHECK(d.settlement_volume.value == doctest::Approx(556677.00));
    REQUIRE(d.clock);
    CHECK(d.clock->to_iso8601() == "2015-05-11T22:01:31");
    CHECK(d.status.st1 == 0x21);
    CHECK(d.status.st2 == 0x84);
    CHECK(d.status.valve() == valve_state::closed);
    CHECK_FALSE(d.status.battery_low());
    CHECK(stats.frames_ok == 1);
}

TEST_CASE("read-data gas meter reply")
{
    // P2 sent by a gas meter (T = 30H): gas meters use the water layout, with
    // volumes in cubic metres.
    auto in = bytes(p2_water_reply);
    in[1] = 0x30;
    fix_checksum(in);

    counters stats;
    auto result = decode_reply(in, stats);
    REQUIRE(result.has_frame());
    CHECK(classify_meter_type(result.frame().link.meter_type) == meter_family::gas);
    const auto& d = flow_of(result.frame());
    CHECK(d.current_volume.value == doctest::Approx(556677.00));
    CHECK(d.current_volume.kind == quantity_kind::volume);
    CHECK(d.settlement_volume.canonical() == doctest::Approx(556677.00));
    REQUIRE(d.clock);
    CHECK(d.clock->to_iso8601() == "2015-05-11T22:01:31");
    CHECK(d.status.valve() == valve_state::closed);
}

TEST_CASE("read-data N2 heat reply with corrected checksum")
{
    counters stats;
    auto result = decode_reply(bytes(n2_heat_reply_fixed), stats);
    REQUIRE(result.has_frame());

    const auto& d = heat_of(result.frame());
    CHECK(std::get<read_data_reply>(result.frame().body).ser == 1);
    CHECK(d.settlement_heat.canonical() == doctest::Approx(123456.78));
    CHECK(d.settlement_heat.unit == 0x05);
    CHECK(d.current_heat.canonical() == doctest::Approx(123456.78));
    CHECK(d.power.canonical() == doctest::Approx(123456.78));
    CHECK(d.power.unit == 0x17);
    CHECK(d.flow_rate.value == doctest::Approx(123456.78));
    CHECK(d.flow_rate.canonical() == doctest::Approx(123456.78 / 3600));
    CHECK(d.flow_rate.unit == 0x35);
    CHECK(d.volume.canonical() == doctest::Approx(123456.78));
    CHECK(d.volume.unit == 0x2C);
    CHECK(d.supply_temp == doctest::Approx(1234.56));
    CHECK(d.return_temp == doctest::Approx(1234.56));
    CHECK(d.working_hours == 123456);
    // S2's clock bytes 20 14 03 18 12 56 59, read in the standard's
    // second-first order, give 5956-12-18 03:14:20.
    REQUIRE(d.clock);
    CHECK(d.clock->to_iso8601() == "5956-12-18T03:14:20");
    CHECK(d.status.valve() == valve_state::open);
}

TEST_CASE("read-data N2 rejected by decode_reply")
{
    counters stats;
    auto result = decode_reply(bytes(n2_heat_reply_bad_cs), stats);
    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_checksum);
    CHECK(stats.bad_checksum == 1);
}

TEST_CASE("read-data both DI byte orders")
{
    auto f2004 = bytes(p2_water_reply);
    f2004[data_start] = 0x90;
    f2004[data_start + 1] = 0x1F;
    fix_checksum(f2004);

    counters stats;
    auto old_order = decode_reply(f2004, stats);
    REQUIRE(old_order.has_frame());
    CHECK(std::get<read_data_reply>(old_order.frame().body).di.order == edition::v2004);
    CHECK(flow_of(old_order.frame()).current_volume.value == doctest::Approx(556677.00));

    auto new_order = decode_reply(bytes(p2_water_reply), stats);
    REQUIRE(new_order.has_frame());
    CHECK(std::get<read_data_reply>(new_order.frame().body).di.order == edition::v2018);
}

TEST_CASE("read-data bad BCD digit")
{
    auto in = edited_p2(4, 0x5A); // high byte of the current volume
    counters stats;
    auto result = decode_reply(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_bcd);
    CHECK(result.consumed() == in.size());
    CHECK(stats.bad_bcd == 1);
    CHECK(stats.frames_ok == 1); // the frame itself was valid
}

TEST_CASE("read-data bad BCD in clock")
{
    counters stats;
    auto result = decode_reply(edited_p2(13, 0xF1), stats); // clock second
    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_bcd);
}

TEST_CASE("read-data unknown DI")
{
    counters stats;
    auto result = decode_reply(edited_p2(1, 0x91), stats);
    REQUIRE(result.failed());
    CHECK(result.error() == error::unknown_di);
    CHECK(stats.unknown_di == 1);
}

TEST_CASE("read-data unit of wrong quantity")
{
    counters stats;
    auto result = decode_reply(edited_p2(7, 0x05), stats); // kWh as a volume unit
    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_unit);
    CHECK(stats.bad_unit == 1);

    auto unknown = decode_reply(edited_p2(7, 0x7F), stats);
    REQUIRE(unknown.failed());
    CHECK(unknown.error() == error::bad_unit);
}

TEST_CASE("read-data litres converted to cubic metres")
{
    counters stats;
    auto result = decode_reply(edited_p2(7, 0x29), stats);
    REQUIRE(result.has_frame());
    CHECK(flow_of(result.frame()).current_volume.canonical() == doctest::Approx(556.677));
}

TEST_CASE("read-data truncated data field")
{
    auto in = bytes("68 10 44 33 22 11 00 33 78 81 08 1F 90 00 00 77 66 55 2C 00 16");
    fix_checksum(in);
    counters stats;
    auto result = decode_reply(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::truncated_data);
    CHECK(result.consumed() == in.size());
    CHECK(stats.truncated == 1);
}

TEST_CASE("read-data abnormal reply")
{
    auto in = bytes("68 10 44 33 22 11 00 33 78 C1 04 1F 90 00 01 00 16");
    fix_checksum(in);
    counters stats;
    auto result = decode_reply(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::abnormal_response);
    CHECK(result.consumed() == in.size());
    CHECK(stats.abnormal == 1);
}

TEST_CASE("read-data request is not a reply")
{
    counters stats;
    auto result = decode_reply(bytes(p1_water_request), stats);
    REQUIRE(result.failed());
    CHECK(result.error() == error::unexpected_control);
    CHECK(stats.unexpected_control == 1);
}

TEST_CASE("read-data unset clock omitted")
{
    auto in = bytes(p2_water_reply);
    for (std::size_t i = 13; i < 20; ++i)
        in[data_start + i] = 0x00;
    fix_checksum(in);
    counters stats;
    auto result = decode_reply(in, stats);

    REQUIRE(result.has_frame());
    CHECK_FALSE(flow_of(result.frame()).clock);
}

TEST_CASE("read-data unknown meter type")
{
    auto in = bytes(p2_water_reply);
    in[1] = 0x40;
    fix_checksum(in);
    counters stats;
    auto result = decode_reply(in, stats);
    REQUIRE(result.failed());
    CHECK(result.error() == error::unknown_meter_type);
    CHECK(stats.unknown_meter_type == 1);
}

TEST_CASE("status valve and battery bits")
{
    CHECK(meter_status{0x00, 0}.valve() == valve_state::open);
    CHECK(meter_status{0x01, 0}.valve() == valve_state::closed);
    CHECK(meter_status{0x03, 0}.valve() == valve_state::abnormal);
    CHECK(meter_status{0x02, 0}.valve() == valve_state::abnormal);
    CHECK(meter_status{0xF8, 0xFF}.valve() == valve_state::open);
    CHECK(meter_status{0x04, 0}.battery_low());
    CHECK_FALSE(meter_status{0xFB, 0xFF}.battery_low());
    CHECK(to_string(valve_state::closed) == "closed");
}

TEST_CASE("unit code conversion")
{
    CHECK(canonical_factor(0x2C, quantity_kind::volume) == doctest::Approx(1.0));
    CHECK(canonical_factor(0x29, quantity_kind::volume) == doctest::Approx(0.001));
    CHECK(canonical_factor(0x05, quantity_kind::energy) == doctest::Approx(1.0));
    CHECK(canonical_factor(0x11, quantity_kind::energy) == doctest::Approx(1e3 / 3.6));
    CHECK(canonical_factor(0x08, quantity_kind::energy) == doctest::Approx(1000.0));
    CHECK(canonical_factor(0x17, quantity_kind::power) == doctest::Approx(1.0));
    CHECK(canonical_factor(0x14, quantity_kind::power) == doctest::Approx(0.001));
    // Flow rates convert from per hour to per second.
    CHECK(canonical_factor(0x35, quantity_kind::flow_rate).value() * 3600 == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(canonical_factor(0x32, quantity_kind::flow_rate).value() * 3600 == doctest::Approx(1e-3).epsilon(1e-12));
    CHECK_FALSE(canonical_factor(0x2C, quantity_kind::energy));
    CHECK_FALSE(canonical_factor(0x00, quantity_kind::volume));
    CHECK(canonical_unit(quantity_kind::flow_rate) == "m3/s");
}

TEST_CASE("unit code symbols")
{
    CHECK(unit_symbol(0x2C) == "m3");
    CHECK(unit_symbol(0x29) == "L");
    CHECK(unit_symbol(0x35) == "m3/h");
    CHECK(unit_symbol(0x32) == "L/h");
    CHECK(unit_symbol(0x05) == "kWh");
    CHECK(unit_symbol(0x0A) == "MWh x100");
    CHECK(unit_symbol(0x17) == "kW");
    CHECK(unit_symbol(0x00).empty());
    CHECK(unit_symbol(0xFF).empty());
}

TEST_CASE("read-data water reply round trip")
{
    flow_meter_data values;
    values.current_volume = {1234.56, 0x2C, quantity_kind::volume};
    values.settlement_volume = {1200.01, 0x2C, quantity_kind::volume};
    values.clock = meter_clock{2024, 2, 29, 23, 59, 58};
    values.status = {0x05, 0x80};
    auto addr = *parse_address(meter_address);

    for (auto ed : {edition::v2004, edition::v2018}) {
        auto encoded = encode_frame(make_read_data_reply(0x10, addr, ed, 9, values));
        counters stats;
        auto result = decode_reply(encoded, stats);
        REQUIRE(result.has_frame());

        const auto& d = flow_of(result.frame());
        CHECK(std::get<read_data_reply>(result.frame().body).di.order == ed);
        CHECK(std::get<read_data_reply>(result.frame().body).ser == 9);
        CHECK(d.current_volume.value == doctest::Approx(1234.56));
        CHECK(d.settlement_volume.value == doctest::Approx(1200.01));
        REQUIRE(d.clock);
        CHECK(d.clock->to_iso8601() == "2024-02-29T23:59:58");
        CHECK(d.status.st1 == 0x05);
        CHECK(d.status.st2 == 0x80);
    }
}

TEST_CASE("read-data heat reply round trip")
{
    heat_meter_data values;
    values.settlement_heat = {10.5, 0x05, quantity_kind::energy};
    values.current_heat = {12.25, 0x05, quantity_kind::energy};
    values.power = {3.5, 0x17, quantity_kind::power};
    values.flow_rate = {0.75, 0x35, quantity_kind::flow_rate};
    values.volume = {99.99, 0x2C, quantity_kind::volume};
    values.supply_temp = 55.12;
    values.return_temp = 40.03;
    values.working_hours = 8760;
    values.clock = meter_clock{2025, 1, 2, 3, 4, 5};
    auto addr = *parse_address(meter_address);

    counters stats;
    auto result = decode_reply(encode_frame(make_read_data_reply(0x20, addr, edition::v2018, 0, values)), stats);
    REQUIRE(result.has_frame());
    CHECK(result.frame().link.data.size() == heat_reply_length);

    const auto& d = heat_of(result.frame());
    CHECK(d.current_heat.value == doctest::Approx(12.25));
    CHECK(d.settlement_heat.value == doctest::Approx(10.5));
    CHECK(d.power.value == doctest::Approx(3.5));
    CHECK(d.flow_rate.value == doctest::Approx(0.75));
    CHECK(d.volume.value == doctest::Approx(99.99));
    CHECK(d.supply_temp == doctest::Approx(55.12));
    CHECK(d.return_temp == doctest::Approx(40.03));
    CHECK(d.working_hours == 8760);
    REQUIRE(d.clock);
    CHECK(d.clock->to_iso8601() == "2025-01-02T03:04:05");
}

TEST_CASE("read-address reply round trip")
{
    auto addr = *parse_address("00000000EE0001");
    counters stats;
    auto result = decode_reply(encode_frame(make_read_address_reply(0x10, addr, edition::v2004, 3)), stats);
    REQUIRE(result.has_frame());

    CHECK(result.frame().link.address == addr);
    const auto& body = std::get<read_address_reply>(result.frame().body);
    CHECK(body.di.value == di_read_address);
    CHECK(body.di.order == edition::v2004);
    CHECK(body.ser == 3);
}

TEST_CASE("read-address reply with read-data DI rejected")
{
    auto in = bytes("68 10 44 33 22 11 00 33 78 83 03 1F 90 00 00 16");
    fix_checksum(in);
    counters stats;
    auto result = decode_reply(in, stats);
    REQUIRE(result.failed());
    CHECK(result.error() == error::unknown_di);
}
