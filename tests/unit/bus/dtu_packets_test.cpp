// Registration matching and heartbeat stripping of DTU byte streams, with
// every chunk boundary a TCP connection could produce.

#include "gateway/bus/dtu_packets.hpp"
#include "tests/unit/bus/fake_bus.hpp"

#include <doctest/doctest.h>

namespace citygate::bus::test {

namespace {

std::vector<std::uint8_t> bytes(std::string_view s)
{
    return bytes_of(s);
}

// Feeds `stream` in two chunks split at `at`, then releases what is held.
std::string strip_split(packet_stripper& stripper, const std::string& stream, std::size_t at)
{
    const auto all = bytes(stream);
    auto out = stripper.feed(std::span(all).first(at));
    auto second = stripper.feed(std::span(all).subspan(at));
    out.insert(out.end(), second.begin(), second.end());
    auto held = stripper.release();
    out.insert(out.end(), held.begin(), held.end());
    return text_of(out);
}

} // namespace

TEST_CASE("registration_matcher text prefix")
{
    registration_matcher m("text:CL-0001");
    CHECK(m.match_prefix(bytes("CL-0001")) == 7u);
    CHECK(m.match_prefix(bytes("CL-0001HB")) == 7u);
    CHECK_FALSE(m.match_prefix(bytes("CL-000")));
    CHECK_FALSE(m.match_prefix(bytes("CL-0002")));
    CHECK(m.could_complete(bytes("CL-0")));
    CHECK_FALSE(m.could_complete(bytes("CX")));
    CHECK_FALSE(m.could_complete(bytes("CL-0001")));
    CHECK_FALSE(m.match_complete(bytes("CL-0001")));
    CHECK(m.describe() == "\"CL-0001\"");
}

TEST_CASE("registration_matcher hex")
{
    registration_matcher m("hex:FE 00 12 AB");
    CHECK(m.match_prefix(std::vector<std::uint8_t>{0xfe, 0x00, 0x12, 0xab}) == 4u);
    CHECK(m.could_complete(std::vector<std::uint8_t>{0xfe, 0x00}));
    CHECK_FALSE(m.match_prefix(std::vector<std::uint8_t>{0xfe, 0x00, 0x12, 0xac}));
    CHECK(m.describe() == "hex FE 00 12 AB");
}

TEST_CASE("registration_matcher pattern over the whole packet")
{
    registration_matcher m("pattern:CL-[0-9]{4}");
    CHECK(m.is_pattern());
    CHECK(m.match_complete(bytes("CL-0042")));
    CHECK_FALSE(m.match_complete(bytes("CL-00421")));
    CHECK_FALSE(m.match_complete(bytes("xCL-0042")));
    CHECK_FALSE(m.match_complete(std::vector<std::uint8_t>{'C', 'L', '-', '0', '0', '4', 0x00}));
    CHECK_FALSE(m.match_prefix(bytes("CL-0042")));
    CHECK_FALSE(m.could_complete(bytes("CL-")));
    CHECK(m.describe() == "pattern CL-[0-9]{4}");
}

TEST_CASE("registration_matcher pattern rejects long packets")
{
    registration_matcher m("pattern:.*");
    CHECK(m.match_complete(bytes(std::string(256, 'x'))));
    CHECK_FALSE(m.match_complete(bytes(std::string(257, 'x'))));
}

TEST_CASE("packet_stripper removes a heartbeat split at every byte")
{
    const std::string stream = "HB\r\nA12:7\n";
    for (std::size_t at = 0; at <= stream.size(); ++at) {
        CAPTURE(at);
        packet_stripper stripper;
        stripper.add_packet(bytes("HB\r\n"));
        CHECK(strip_split(stripper, stream, at) == "A12:7\n");
        CHECK(stripper.stripped() == 1);
    }
}

TEST_CASE("packet_stripper removes repeated packets at a chunk start")
{
    packet_stripper stripper;
    stripper.add_packet(bytes("HB"));
    stripper.add_packet(bytes("CL-0001"));
    CHECK(text_of(stripper.feed(bytes("HBCL-0001HBA1:2\n"))) == "A1:2\n");
    CHECK(stripper.stripped() == 3);
    CHECK(text_of(stripper.feed(bytes("HB"))).empty());
    CHECK_FALSE(stripper.holding());
}

TEST_CASE("packet_stripper keeps a heartbeat inside a chunk")
{
    packet_stripper stripper;
    stripper.add_packet(bytes("HB"));
    CHECK(text_of(stripper.feed(bytes("A1:HB\n"))) == "A1:HB\n");
    CHECK(stripper.stripped() == 0);
}

TEST_CASE("packet_stripper holds a possible heartbeat start")
{
    packet_stripper stripper;
    stripper.add_packet(bytes("HBX"));
    CHECK(stripper.feed(bytes("H")).empty());
    CHECK(stripper.holding());
    CHECK(stripper.feed(bytes("B")).empty());
    // The rest differs: the held bytes were data after all.
    CHECK(text_of(stripper.feed(bytes("Y\n"))) == "HBY\n");
    CHECK_FALSE(stripper.holding());

    CHECK(stripper.feed(bytes("HB")).empty());
    CHECK(text_of(stripper.release()) == "HB");
}

TEST_CASE("describe_packet prints text or hex")
{
    CHECK(describe_packet(bytes("CL-1")) == "\"CL-1\"");
    CHECK(describe_packet(std::vector<std::uint8_t>{0x01, 0xab}) == "hex 01 AB");
}

} // namespace citygate::bus::test
