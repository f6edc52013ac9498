// Reply and request decoding, value formats, meter errors and the time sync
// builder. Vectors and their sources are in vectors.hpp.

#include "protocols/common/refusal.hpp"
#include "protocols/dlt645/codec.hpp"
#include "tests/unit/dlt645/vectors.hpp"

#include <doctest/doctest.h>

using namespace citygate::dlt645;
using namespace dlt645_vectors;

namespace {

double reading_of(std::string_view hex, std::string_view expected_metric, std::string_view expected_unit)
{
    counters stats;
    auto result = decode_reply(bytes(hex), stats);
    REQUIRE(result.has_frame());

    double value = 0;
    const quantity* which = nullptr;
    REQUIRE_FALSE(decode_reading(result.frame(), value, which));
    REQUIRE(which);
    CHECK(which->metric == expected_metric);
    CHECK(which->format_2007.unit == expected_unit);
    return value;
}

const value_format& format_2007(std::string_view metric)
{
    const auto* q = find_quantity(metric);
    REQUIRE(q);
    return q->format_2007;
}

} // namespace

TEST_CASE("reply D1 energy 123456.78 kWh")
{
    CHECK(reading_of(d1_energy_reply, "energy_import", "kWh") == doctest::Approx(123456.78));
}

TEST_CASE("reply D3 values of meter 000000000161")
{
    CHECK(reading_of(d3_rep_forward_active, "energy_import", "kWh") == doctest::Approx(0.26));
    CHECK(reading_of(d3_rep_reverse_active, "energy_export", "kWh") == doctest::Approx(1.26));
    CHECK(reading_of(d3_rep_reactive_1, "energy_reactive_1", "kvarh") == doctest::Approx(100.26));
    CHECK(reading_of(d3_rep_reactive_2, "energy_reactive_2", "kvarh") == doctest::Approx(100.23));
    CHECK(reading_of(d3_rep_voltage_a, "voltage_a", "V") == doctest::Approx(100.1));
}

TEST_CASE("reply D3 link fields")
{
    counters stats;
    auto result = decode_reply(bytes(d3_rep_voltage_a), stats);
    REQUIRE(result.has_frame());
    CHECK(result.frame().edition == edition::v2007);
    CHECK(to_string(result.frame().link.address) == d3_address);

    const auto& body = std::get<read_reply>(result.frame().body);
    CHECK(body.di == 0x02010100);
    CHECK(body.value == std::vector<std::uint8_t>{0x01, 0x10});
    CHECK_FALSE(body.follow_up);
}

TEST_CASE("value formats of D1")
{
    // Value bytes after removing 33H, low byte first, as listed by D1.
    double value = 0;
    REQUIRE_FALSE(decode_value(format_2007("energy_import"), bytes("78 56 34 12"), value));
    CHECK(value == doctest::Approx(123456.78));
    REQUIRE_FALSE(decode_value(format_2007("voltage_a"), bytes("05 22"), value));
    CHECK(value == doctest::Approx(220.5));
    REQUIRE_FALSE(decode_value(format_2007("current_a"), bytes("00 15 80"), value));
    CHECK(value == doctest::Approx(-1.5));
}

TEST_CASE("value formats scale power to W, var and VA")
{
    double value = 0;
    // 12.3456 kW, negative: sign bit in the top byte.
    REQUIRE_FALSE(decode_value(format_2007("power_active"), bytes("56 34 92"), value));
    CHECK(value == doctest::Approx(-12345.6));
    REQUIRE_FALSE(decode_value(format_2007("power_reactive_b"), bytes("00 50 01"), value));
    CHECK(value == doctest::Approx(1500.0));
    CHECK(format_2007("power_reactive_b").unit == "var");
    REQUIRE_FALSE(decode_value(format_2007("power_apparent_c"), bytes("00 00 02"), value));
    CHECK(value == doctest::Approx(2000.0));
    CHECK(format_2007("power_apparent_c").unit == "VA");
    REQUIRE_FALSE(decode_value(format_2007("power_factor"), bytes("87 80"), value));
    CHECK(value == doctest::Approx(-0.087));
    CHECK(format_2007("power_factor").unit == "/");
}

TEST_CASE("value formats of the 1997 edition")
{
    const auto* voltage = find_quantity(edition::v1997, 0xB611);
    REQUIRE(voltage);
    CHECK(voltage->metric == "voltage_a");

    double value = 0;
    REQUIRE_FALSE(decode_value(voltage->format_1997, bytes("20 02"), value));
    CHECK(value == doctest::Approx(220.0));

    const auto* current = find_quantity(edition::v1997, 0xB621);
    REQUIRE(current);
    // No sign bit in 1997: 80 is the digits 8 and 0.
    REQUIRE_FALSE(decode_value(current->format_1997, bytes("50 81"), value));
    CHECK(value == doctest::Approx(81.5));

    CHECK(find_quantity(edition::v1997, 0x9010) == find_quantity("energy_import"));
    CHECK_FALSE(find_quantity("power_apparent")->di_1997.has_value());
}

TEST_CASE("value bad BCD and truncated")
{
    double value = 0;
    CHECK(decode_value(format_2007("energy_import"), bytes("78 5A 34 12"), value) == error::bad_bcd);
    CHECK(decode_value(format_2007("energy_import"), bytes("78 56 34"), value) == error::truncated_data);
    // The sign bit is not a digit, but 7F is still not BCD.
    CHECK(decode_value(format_2007("current_a"), bytes("00 00 FF"), value) == error::bad_bcd);
}

TEST_CASE("value encoding round trip")
{
    for (const auto& q : quantities()) {
        for (const auto* format : {&q.format_2007, &q.format_1997}) {
            if (format->bytes == 0)
                continue;
            INFO(q.metric);
            // 2 fits every format, also X.XXX with a sign bit and XXX without decimals.
            const double sample = (format->is_signed ? -2.0 : 2.0) * format->to_senml;
            std::vector<std::uint8_t> encoded;
            append_value(encoded, *format, sample);
            CHECK(encoded.size() == format->bytes);

            double decoded = 0;
            REQUIRE_FALSE(decode_value(*format, encoded, decoded));
            CHECK(decoded == doctest::Approx(sample));
        }
    }
}

TEST_CASE("reply with bad BCD value")
{
    auto in = bytes(d1_energy_reply);
    in[14] = static_cast<std::uint8_t>(0xAB + 0x33); // 78 becomes AB
    fix_checksum(in);
    counters stats;
    auto result = decode_reply(in, stats);
    REQUIRE(result.has_frame()); // framing and DI are fine

    double value = 0;
    const quantity* which = nullptr;
    CHECK(decode_reading(result.frame(), value, which) == error::bad_bcd);
    CHECK(which == nullptr);
}

TEST_CASE("reply truncated data")
{
    // A read reply whose data field is shorter than a DI.
    auto in = bytes("68 01 00 00 00 00 00 68 91 02 33 33 00 16");
    fix_checksum(in);
    counters stats;
    auto result = decode_reply(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::truncated_data);
    CHECK(result.consumed() == in.size());
    CHECK(stats.truncated == 1);
}

TEST_CASE("reply value shorter than its format")
{
    auto in = bytes("68 61 01 00 00 00 00 68 91 05 33 33 34 33 59 00 16");
    fix_checksum(in);
    counters stats;
    auto result = decode_reply(in, stats);
    REQUIRE(result.has_frame());

    double value = 0;
    const quantity* which = nullptr;
    CHECK(decode_reading(result.frame(), value, which) == error::truncated_data);
}

TEST_CASE("reply unknown DI")
{
    const auto meter = parse_address(d3_address).value();
    auto in = encode_frame(make_read_reply(edition::v2007, meter, 0x04000401, bytes("61 01 00 00 00 00")), 0);
    counters stats;
    auto result = decode_reply(in, stats);
    REQUIRE(result.has_frame());

    double value = 0;
    const quantity* which = nullptr;
    CHECK(decode_reading(result.frame(), value, which) == error::unknown_di);
}

TEST_CASE("reply D1 abnormal is a named meter error")
{
    counters stats;
    auto in = bytes(d1_abnormal_reply);
    auto result = decode_reply(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == meter_error::no_requested_data);
    CHECK(result.error().category() == meter_error_category());
    CHECK(result.error().message() == "DL/T 645 meter error: no data for the requested identifier");
    CHECK(citygate::proto::is_refusal(result.error()));
    CHECK(result.consumed() == in.size());
    CHECK(stats.abnormal == 1);
    CHECK(stats.frames_ok == 1);
}

TEST_CASE("reply D1 abnormal from another meter")
{
    // D1's abnormal reply comes from 000000000001, but the polled meter is D3's.
    const auto polled = parse_address(d3_address).value();
    counters stats;
    auto in = bytes(d1_abnormal_reply);
    auto result = decode_reply_from(&polled, in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == error::address_mismatch);
    CHECK_FALSE(citygate::proto::is_refusal(result.error()));
    CHECK(result.consumed() == in.size());
    CHECK(stats.address_mismatch == 1);
    CHECK(stats.abnormal == 0);
}

TEST_CASE("reply D1 from the expected meter")
{
    const auto meter = parse_address("000000000001").value();
    counters stats;
    auto result = decode_reply_from(&meter, bytes(d1_energy_reply), stats);

    REQUIRE(result.has_frame());
    CHECK(result.frame().link.address == meter);
    CHECK(stats.address_mismatch == 0);
}

TEST_CASE("reply abnormal without error byte")
{
    auto in = bytes("68 01 00 00 00 00 00 68 D1 00 00 16");
    fix_checksum(in);
    counters stats;
    auto result = decode_reply(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == meter_error::unspecified);
    CHECK(stats.abnormal == 1);
}

TEST_CASE("meter error bits by edition")
{
    CHECK(decode_meter_error(edition::v2007, 0x01) == meter_error::other);
    CHECK(decode_meter_error(edition::v2007, 0x02) == meter_error::no_requested_data);
    CHECK(decode_meter_error(edition::v2007, 0x03) == meter_error::no_requested_data);
    CHECK(decode_meter_error(edition::v2007, 0x04) == meter_error::unauthorized);
    CHECK(decode_meter_error(edition::v2007, 0x08) == meter_error::baud_rate_locked);
    CHECK(decode_meter_error(edition::v2007, 0x10) == meter_error::too_many_year_zones);
    CHECK(decode_meter_error(edition::v2007, 0x20) == meter_error::too_many_day_periods);
    CHECK(decode_meter_error(edition::v2007, 0x41) == meter_error::too_many_tariffs);
    CHECK(decode_meter_error(edition::v2007, 0x80) == meter_error::unspecified);
    CHECK(decode_meter_error(edition::v1997, 0x01) == meter_error::invalid_data);
    CHECK(decode_meter_error(edition::v1997, 0x02) == meter_error::wrong_data_id);
    CHECK(decode_meter_error(edition::v1997, 0x08) == meter_error::unspecified);
}

TEST_CASE("reply 1997 abnormal")
{
    auto in = encode_frame(make_error_reply(edition::v1997, parse_address("000000000001").value(), 0x02), 2);
    CHECK(in[10] == 0xC1);
    counters stats;
    auto result = decode_reply(in, stats);

    REQUIRE(result.failed());
    CHECK(result.error() == meter_error::wrong_data_id);
}

TEST_CASE("reply unexpected control")
{
    // A request (no reply bit) where a reply is expected.
    counters stats;
    auto result = decode_reply(bytes(d1_read_energy), stats);
    REQUIRE(result.failed());
    CHECK(result.error() == error::unexpected_control);
    CHECK(stats.unexpected_control == 1);

    // Write data reply (94H) is not decoded.
    auto in = bytes("68 01 00 00 00 00 00 68 94 00 00 16");
    fix_checksum(in);
    CHECK(decode_reply(in, stats).error() == error::unexpected_control);
}

TEST_CASE("read address 2007 reply")
{
    const auto meter = parse_address(d3_address).value();
    auto in = encode_frame(make_read_address_reply(edition::v2007, meter));
    counters stats;
    auto result = decode_reply(in, stats);

    REQUIRE(result.has_frame());
    CHECK(std::holds_alternative<address_reply>(result.frame().body));
    CHECK(result.frame().link.address == meter);
    CHECK(result.frame().link.control == 0x93);
}

TEST_CASE("read address 1997 request and reply")
{
    // DI C032 to AA..AA (derived: C032 plus 33H is 65 F3; the byte sum is 27).
    CHECK(encode_frame(make_read_address_request(edition::v1997), 0) ==
          bytes("68 AA AA AA AA AA AA 68 01 02 65 F3 27 16"));

    counters stats;
    auto request = decode_request(encode_frame(make_read_address_request(edition::v1997)), stats);
    REQUIRE(request.has_frame());
    CHECK(request.frame().edition == edition::v1997);
    CHECK(std::holds_alternative<read_address_request>(request.frame().body));

    const auto meter = parse_address("000012345678").value();
    auto reply = decode_reply(encode_frame(make_read_address_reply(edition::v1997, meter)), stats);
    REQUIRE(reply.has_frame());
    CHECK(reply.frame().edition == edition::v1997);
    CHECK(std::holds_alternative<address_reply>(reply.frame().body));
    CHECK(reply.frame().link.address == meter);
}

TEST_CASE("request D2 read address")
{
    counters stats;
    auto result = decode_request(bytes(d2_read_address), stats);
    REQUIRE(result.has_frame());
    CHECK(result.frame().edition == edition::v2007);
    CHECK(std::holds_alternative<read_address_request>(result.frame().body));
}

TEST_CASE("request D1 read voltage")
{
    counters stats;
    auto result = decode_request(bytes(d1_read_voltage), stats);
    REQUIRE(result.has_frame());
    CHECK(std::get<read_request>(result.frame().body).di == 0x02010100);
}

TEST_CASE("request 1997 read energy")
{
    const auto meter = parse_address("000000000001").value();
    auto in = encode_frame(make_read_request(edition::v1997, meter, 0x9010), 0);
    // 9010 goes out low byte first: 10 90, plus 33H.
    CHECK(in == bytes("68 01 00 00 00 00 00 68 01 02 43 C3 DA 16"));

    counters stats;
    auto result = decode_request(in, stats);
    REQUIRE(result.has_frame());
    CHECK(result.frame().edition == edition::v1997);
    CHECK(std::get<read_request>(result.frame().body).di == 0x9010);
}

TEST_CASE("time sync builder")
{
    meter_time t{2024, 3, 15, 8, 30, 5};
    auto f = make_time_sync(t);
    REQUIRE(f);
    CHECK(f->address == broadcast_address);
    CHECK(f->control == 0x08);
    CHECK(f->data == std::vector<std::uint8_t>{0x05, 0x30, 0x08, 0x15, 0x03, 0x24});

    // Wire form: each byte plus 33H; the checksum covers 68..last data byte.
    auto wire = encode_frame(*f, 0);
    CHECK(wire == bytes("68 99 99 99 99 99 99 68 08 06 38 63 3B 48 36 57 1F 16"));

    counters stats;
    auto decoded = decode_request(wire, stats);
    REQUIRE(decoded.has_frame());
    CHECK(std::get<time_sync_request>(decoded.frame().body).time == t);
}

TEST_CASE("time sync rejects out of range fields")
{
    CHECK_FALSE(make_time_sync({1999, 1, 1, 0, 0, 0}));
    CHECK_FALSE(make_time_sync({2024, 13, 1, 0, 0, 0}));
    CHECK_FALSE(make_time_sync({2024, 1, 0, 0, 0, 0}));
    CHECK_FALSE(make_time_sync({2024, 1, 1, 24, 0, 0}));
    CHECK_FALSE(make_time_sync({2024, 1, 1, 0, 60, 0}));
    CHECK_FALSE(make_time_sync({2024, 1, 1, 0, 0, 60}));
}

TEST_CASE("request time sync with bad BCD")
{
    auto in = bytes("68 99 99 99 99 99 99 68 08 06 38 63 3B 48 36 FF 00 16");
    fix_checksum(in);
    counters stats;
    auto result = decode_request(in, stats);
    REQUIRE(result.failed());
    CHECK(result.error() == error::bad_bcd);
    CHECK(stats.bad_bcd == 1);
}
