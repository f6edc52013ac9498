// modbus-tcp driver: unit ids, MBAP framing with a new transaction id per
// request, late replies in the buffer, and writes. The PDUs are the M1
// vectors of vectors.hpp (source named there) in MBAP headers built from
// the header layout, so the frames are derived, not captured.

#include "drivers/modbus/modbus_driver.hpp"
#include "drivers/registry.hpp"
#include "protocols/modbus/tcp.hpp"
#include "tests/unit/modbus/vectors.hpp"

#include <doctest/doctest.h>

using namespace citygate;
using namespace citygate::drivers;
using namespace modbus_vectors;

namespace {

std::unique_ptr<modbus_device_codec> make_tcp(std::string address, std::map<std::string, std::string> options)
{
    std::error_code error;
    auto codec = modbus_tcp_driver().make_codec({"plc-1", std::move(address), std::move(options)}, error);
    REQUIRE_MESSAGE(!error, error.message());
    return std::unique_ptr<modbus_device_codec>(static_cast<modbus_device_codec*>(codec.release()));
}

std::error_code unit_error(std::string address)
{
    std::error_code error;
    auto codec = modbus_tcp_driver().make_codec({"plc-1", std::move(address), {{"point.t", "holding 0 u16"}}}, error);
    CHECK_FALSE(codec);
    return error;
}

// M1 read of 3 holding registers from 0x006B by unit 0x11.
std::unique_ptr<modbus_device_codec> m1_device()
{
    return make_tcp("17", {{"point.a", "holding 0x6B u32"}, {"point.b", "holding 0x6D i16"}});
}

const std::vector<std::uint8_t> m1_read_pdu{0x03, 0x00, 0x6B, 0x00, 0x03};
const std::vector<std::uint8_t> m1_reply_pdu{0x03, 0x06, 0xAE, 0x41, 0x56, 0x52, 0x43, 0x40};

std::uint16_t transaction_of(const std::vector<std::uint8_t>& adu)
{
    return static_cast<std::uint16_t>(adu[0] << 8 | adu[1]);
}

std::vector<std::uint8_t> concat(std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

} // namespace

TEST_CASE("tcp driver is registered")
{
    registry r;
    register_builtin_drivers(r);
    REQUIRE(r.find("modbus-tcp") != nullptr);
    CHECK(r.find("modbus-tcp")->kind() == driver_kind::polled);
}

TEST_CASE("tcp unit ids 0-255")
{
    CHECK(make_tcp("0", {{"point.t", "holding 0 u16"}}));
    CHECK(make_tcp("255", {{"point.t", "holding 0 u16"}}));
    CHECK(unit_error("256") == modbus_config_error::invalid_tcp_unit_id);
    CHECK(unit_error("-1") == modbus_config_error::invalid_tcp_unit_id);
    CHECK(unit_error("") == modbus_config_error::invalid_tcp_unit_id);
    CHECK(unit_error("0x11") == modbus_config_error::invalid_tcp_unit_id);
}

TEST_CASE("tcp poll uses a new transaction id per request")
{
    auto codec = m1_device();
    auto first = codec->encode_poll(0);
    auto second = codec->encode_poll(0);
    CHECK(first == modbus::encode_tcp(transaction_of(first), 0x11, m1_read_pdu));
    CHECK(transaction_of(second) == static_cast<std::uint16_t>(transaction_of(first) + 1));

    // Only the reply to the latest request is accepted.
    auto reply = modbus::encode_tcp(transaction_of(second), 0x11, m1_reply_pdu);
    auto result = codec->decode_answer(0, reply);
    REQUIRE(result.has_frame());
    CHECK(result.consumed() == reply.size());
    CHECK(std::get<double>(result.frame().values[0].value) == 0xAE415652);
}

TEST_CASE("tcp transaction id wraps around")
{
    auto codec = make_tcp("255", {{"point.t", "holding 0 u16"}});
    // Unit 255 starts at 0xFF00; 256 requests later the id wraps to 0.
    std::uint16_t last = 0;
    for (int i = 0; i < 257; ++i)
        last = transaction_of(codec->encode_poll(0));
    CHECK(last == 0x0000);
}

TEST_CASE("tcp answer split at every byte")
{
    auto codec = m1_device();
    auto request = codec->encode_poll(0);
    auto reply = modbus::encode_tcp(transaction_of(request), 0x11, m1_reply_pdu);
    for (std::size_t cut = 0; cut < reply.size(); ++cut) {
        INFO("prefix length " << cut);
        CHECK(codec->decode_answer(0, std::span(reply).first(cut)).needs_more());
    }
    CHECK(codec->stats().frames_ok == 0);
    CHECK(codec->decode_answer(0, reply).has_frame());
    CHECK(codec->stats().frames_ok == 1);
}

TEST_CASE("tcp late reply is skipped, not a failure")
{
    auto codec = m1_device();
    auto timed_out = codec->encode_poll(0);
    auto current = codec->encode_poll(0);
    auto late = modbus::encode_tcp(transaction_of(timed_out), 0x11, m1_reply_pdu);
    auto reply = modbus::encode_tcp(transaction_of(current), 0x11, m1_reply_pdu);

    // The late reply alone: keep waiting.
    CHECK(codec->decode_answer(0, late).needs_more());

    // Late reply, then the current one split at every byte.
    auto both = concat(late, reply);
    for (std::size_t cut = late.size(); cut < both.size(); ++cut)
        CHECK(codec->decode_answer(0, std::span(both).first(cut)).needs_more());
    auto result = codec->decode_answer(0, both);
    REQUIRE(result.has_frame());
    CHECK(result.consumed() == both.size());
    CHECK(codec->stats().transaction_mismatch == 1);
    CHECK(codec->stats().frames_ok == 2);
}

TEST_CASE("tcp reply of another unit is skipped")
{
    auto codec = m1_device();
    auto request = codec->encode_poll(0);
    auto other_unit = modbus::encode_tcp(transaction_of(request), 0x12, m1_reply_pdu);
    auto reply = modbus::encode_tcp(transaction_of(request), 0x11, m1_reply_pdu);
    CHECK(codec->decode_answer(0, other_unit).needs_more());
    auto result = codec->decode_answer(0, concat(other_unit, reply));
    REQUIRE(result.has_frame());
    CHECK(codec->stats().unit_mismatch == 1);
}

TEST_CASE("tcp broken header fails the attempt")
{
    auto codec = m1_device();
    auto request = codec->encode_poll(0);
    auto reply = modbus::encode_tcp(transaction_of(request), 0x11, m1_reply_pdu);
    reply[3] = 0x01; // protocol id 0001
    auto result = codec->decode_answer(0, reply);
    REQUIRE(result.failed());
    CHECK(result.error() == modbus::error::bad_protocol_id);
    CHECK(codec->stats().bad_protocol_id == 1);

    // A broken header after a late reply fails too, consuming both.
    auto late = modbus::encode_tcp(static_cast<std::uint16_t>(transaction_of(request) - 1), 0x11, m1_reply_pdu);
    auto after_late = codec->decode_answer(0, concat(late, reply));
    REQUIRE(after_late.failed());
    CHECK(after_late.consumed() == late.size() + modbus::mbap_size);
}

TEST_CASE("tcp exception reply by name")
{
    auto codec = m1_device();
    auto request = codec->encode_poll(0);
    auto reply = modbus::encode_tcp(transaction_of(request), 0x11,
                                    modbus::encode_exception_pdu(0x03, modbus::exception_code::gateway_target_failed_to_respond));
    auto result = codec->decode_answer(0, reply);
    REQUIRE(result.failed());
    CHECK(result.error().message() == "Modbus exception 0B GATEWAY TARGET DEVICE FAILED TO RESPOND");
    CHECK(codec->stats().exceptions == 1);
}

TEST_CASE("tcp write encoded again takes a new transaction id")
{
    auto codec = make_tcp("17", {{"point.setpoint", "holding 1 u16"}});
    exchange reg;
    REQUIRE_FALSE(codec->encode_command("setpoint", "3", reg));
    REQUIRE(reg.encode_again);
    const auto first = reg.request;

    const auto retry = reg.encode_again();

    CHECK(transaction_of(retry) != transaction_of(first));
    CHECK(std::vector(retry.begin() + 2, retry.end()) == std::vector(first.begin() + 2, first.end()));
    // The echo of the first attempt is now late and skipped; the retry's own is taken.
    CHECK(reg.decode(first).needs_more());
    CHECK(reg.decode(concat(first, retry)).has_frame());
    CHECK(codec->stats().transaction_mismatch == 1);
}

TEST_CASE("tcp write register and coil")
{
    auto codec = make_tcp("17", {{"point.setpoint", "holding 1 u16"}, {"point.lamp", "coil 0xAC bool"}});

    exchange reg;
    REQUIRE_FALSE(codec->encode_command("setpoint", "3", reg));
    const std::vector<std::uint8_t> fc06{0x06, 0x00, 0x01, 0x00, 0x03};
    CHECK(reg.request == modbus::encode_tcp(transaction_of(reg.request), 0x11, fc06));

    exchange coil;
    REQUIRE_FALSE(codec->encode_command("lamp", "on", coil));
    const std::vector<std::uint8_t> fc05{0x05, 0x00, 0xAC, 0xFF, 0x00};
    CHECK(coil.request == modbus::encode_tcp(transaction_of(coil.request), 0x11, fc05));
    CHECK(transaction_of(coil.request) != transaction_of(reg.request));

    // Each exchange expects its own transaction id.
    CHECK(coil.decode(reg.request).needs_more());
    auto confirmed = coil.decode(concat(reg.request, coil.request));
    REQUIRE(confirmed.has_frame());
    CHECK(std::get<bool>(confirmed.frame().values[0].value));
    CHECK(reg.decode(reg.request).has_frame());
    CHECK(codec->stats().transaction_mismatch == 1);
}
