// Write commands of the Modbus drivers: which points accept which values,
// the frames they send, and how the device's confirmation is decoded.
// The RTU frames are the M1 vectors of vectors.hpp (source named there);
// the driver writes single coils with 05, so the 0F vector is only used by
// the codec tests in pdu_test.cpp and rtu_test.cpp.

#include "drivers/modbus/modbus_driver.hpp"
#include "protocols/modbus/rtu.hpp"
#include "tests/unit/modbus/vectors.hpp"

#include <doctest/doctest.h>

using namespace citygate;
using namespace citygate::drivers;
using namespace modbus_vectors;

namespace {

std::unique_ptr<modbus_device_codec> make_rtu(std::string address, std::map<std::string, std::string> options)
{
    std::error_code error;
    auto codec = modbus_rtu_driver().make_codec({"plc-1", std::move(address), std::move(options)}, error);
    REQUIRE_MESSAGE(!error, error.message());
    return std::unique_ptr<modbus_device_codec>(static_cast<modbus_device_codec*>(codec.release()));
}

// M1 slave 0x11 with one point of every kind the commands distinguish.
std::unique_ptr<modbus_device_codec> m1_device()
{
    return make_rtu("17", {{"point.lamp", "coil 0xAC bool"},
                           {"point.setpoint", "holding 1 u16"},
                           {"point.total", "holding 1 u32"},
                           {"point.mode", "holding 3 bits bit=0 bits=4"},
                           {"point.alarm", "holding 4 bool bit=2"},
                           {"point.door", "discrete 0 bool"},
                           {"point.level", "input 0 u16"}});
}

std::error_code command_error(const device_codec& codec, std::string_view name, std::string_view value)
{
    exchange out;
    auto ec = codec.encode_command(name, value, out);
    CHECK(out.request.empty());
    return ec;
}

exchange command(const device_codec& codec, std::string_view name, std::string_view value)
{
    exchange out;
    auto ec = codec.encode_command(name, value, out);
    REQUIRE_MESSAGE(!ec, ec.message());
    REQUIRE(out.decode);
    return out;
}

} // namespace

TEST_CASE("write coil with 05 and M1 echo")
{
    auto codec = m1_device();
    auto ex = command(*codec, "lamp", "on");
    CHECK(ex.request == bytes(m1_write_coil_request));

    auto echo = bytes(m1_write_coil_request);
    for (std::size_t cut = 0; cut < echo.size(); ++cut) {
        INFO("prefix length " << cut);
        CHECK(ex.decode(std::span(echo).first(cut)).needs_more());
    }
    auto result = ex.decode(echo);
    REQUIRE(result.has_frame());
    CHECK(result.consumed() == echo.size());
    REQUIRE(result.frame().values.size() == 1);
    CHECK(result.frame().values[0].metric == "lamp");
    CHECK(std::get<bool>(result.frame().values[0].value));
    CHECK(codec->stats().frames_ok == 1);
}

TEST_CASE("coil command values")
{
    auto codec = m1_device();
    for (auto value : {"on", "true", "1"})
        CHECK(command(*codec, "lamp", value).request == bytes(m1_write_coil_request));
    const auto off = modbus::encode_rtu(0x11, std::vector<std::uint8_t>{0x05, 0x00, 0xAC, 0x00, 0x00});
    for (auto value : {"off", "false", "0"})
        CHECK(command(*codec, "lamp", value).request == off);
    for (auto value : {"", "ON", "2", "open", "on "})
        CHECK(command_error(*codec, "lamp", value) == driver_error::invalid_command_value);
}

TEST_CASE("write register with 06 and M1 echo")
{
    auto codec = m1_device();
    auto ex = command(*codec, "setpoint", "3");
    CHECK(ex.request == bytes(m1_write_register_request));
    auto result = ex.decode(bytes(m1_write_register_request));
    REQUIRE(result.has_frame());
    CHECK(std::get<double>(result.frame().values[0].value) == 3.0);
}

TEST_CASE("write u32 with 10 and M1 reply")
{
    // M1 writes 000A 0102 to registers 1-2: the u32 0x000A0102 in ABCD order.
    auto codec = m1_device();
    auto ex = command(*codec, "total", std::to_string(0x000A0102));
    CHECK(ex.request == bytes(m1_write_registers_request));

    auto reply = bytes(m1_write_registers_response);
    for (std::size_t cut = 0; cut < reply.size(); ++cut)
        CHECK(ex.decode(std::span(reply).first(cut)).needs_more());
    auto result = ex.decode(reply);
    REQUIRE(result.has_frame());
    CHECK(std::get<double>(result.frame().values[0].value) == 0x000A0102);
}

TEST_CASE("write applies order, scale and offset")
{
    auto codec = make_rtu("1", {{"point.limit", "holding 0x10 i32 order=CDAB scale=0.1 offset=-40 unit=Cel"},
                                {"point.ratio", "holding 0x20 f32 order=DCBA"}});
    // raw = (-52.36 - -40) / 0.1 = -123.6, rounded to -124 = FFFF FF84, words swapped.
    auto limit = command(*codec, "limit", "-52.36");
    CHECK(limit.request == modbus::encode_rtu(1, std::vector<std::uint8_t>{0x10, 0x00, 0x10, 0x00, 0x02, 0x04, 0xFF,
                                                                           0x84, 0xFF, 0xFF}));
    auto reply = modbus::encode_rtu(1, std::vector<std::uint8_t>{0x10, 0x00, 0x10, 0x00, 0x02});
    auto result = limit.decode(reply);
    REQUIRE(result.has_frame());
    // The answer is the value the device now holds, after rounding.
    CHECK(std::get<double>(result.frame().values[0].value) == doctest::Approx(-52.4));
    CHECK(result.frame().values[0].unit == "Cel");

    // 1.5f is 3FC0 0000; DCBA puts the bytes in reverse.
    CHECK(command(*codec, "ratio", "1.5").request ==
          modbus::encode_rtu(1, std::vector<std::uint8_t>{0x10, 0x00, 0x20, 0x00, 0x02, 0x04, 0x00, 0x00, 0xC0, 0x3F}));
}

TEST_CASE("write values out of range")
{
    auto codec = m1_device();
    CHECK(command_error(*codec, "setpoint", "65536") == driver_error::invalid_command_value);
    CHECK(command_error(*codec, "setpoint", "-1") == driver_error::invalid_command_value);
    CHECK(command_error(*codec, "setpoint", "abc") == driver_error::invalid_command_value);
    CHECK(command_error(*codec, "setpoint", "1.5x") == driver_error::invalid_command_value);
    CHECK(command_error(*codec, "setpoint", "") == driver_error::invalid_command_value);
    CHECK(command_error(*codec, "setpoint", "nan") == driver_error::invalid_command_value);
    CHECK(command_error(*codec, "total", "4294967296") == driver_error::invalid_command_value);
}

TEST_CASE("read-only and unknown points reject writes")
{
    auto codec = m1_device();
    CHECK(command_error(*codec, "door", "on") == driver_error::command_not_supported);
    CHECK(command_error(*codec, "level", "1") == driver_error::command_not_supported);
    CHECK(command_error(*codec, "mode", "1") == driver_error::command_not_supported);
    CHECK(command_error(*codec, "alarm", "on") == driver_error::command_not_supported);
    CHECK(command_error(*codec, "valve", "close") == driver_error::command_not_supported);
}

TEST_CASE("commands list writable points")
{
    const std::vector<std::string> expected{"lamp=on|off", "setpoint=<number from 0 to 65535>",
                                            "total=<number from 0 to 4294967295>"};
    CHECK(m1_device()->commands() == expected);
}

TEST_CASE("commands list the range after scale and offset")
{
    auto codec = make_rtu("17", {{"point.level", "holding 5 i16 scale=0.5 offset=-10"},
                                 {"point.flow", "holding 6 u16 scale=-2"},
                                 {"point.ratio", "holding 8 f32"}});
    const std::vector<std::string> expected{"flow=<number from -131070 to 0>", "level=<number from -16394 to 16373.5>",
                                            "ratio=<number>"};
    CHECK(codec->commands() == expected);
}

TEST_CASE("write exception reply by name")
{
    auto codec = m1_device();
    auto ex = command(*codec, "setpoint", "3");
    auto reply = modbus::encode_rtu(0x11, modbus::encode_exception_pdu(0x06, modbus::exception_code::illegal_data_value));
    auto result = ex.decode(reply);
    REQUIRE(result.failed());
    CHECK(result.error().message() == "Modbus exception 03 ILLEGAL DATA VALUE");
    CHECK(result.consumed() == reply.size());
    CHECK(codec->stats().exceptions == 1);
}

TEST_CASE("write reply that does not echo")
{
    auto codec = m1_device();
    auto coil = command(*codec, "lamp", "off");
    auto wrong_value = coil.decode(bytes(m1_write_coil_request));
    REQUIRE(wrong_value.failed());
    CHECK(wrong_value.error() == modbus::error::echo_mismatch);

    auto total = command(*codec, "total", "1");
    auto wrong_quantity = total.decode(modbus::encode_rtu(0x11, std::vector<std::uint8_t>{0x10, 0x00, 0x01, 0x00, 0x03}));
    REQUIRE(wrong_quantity.failed());
    CHECK(wrong_quantity.error() == modbus::error::echo_mismatch);

    auto bad_crc = total.decode(modbus_vectors::bytes("11 10 00 01 00 02 12 99"));
    REQUIRE(bad_crc.failed());
    CHECK(bad_crc.error() == modbus::error::bad_crc);
    CHECK(codec->stats().echo_mismatch == 2);
    CHECK(codec->stats().bad_crc == 1);
}
