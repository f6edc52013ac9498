// modbus-rtu driver: point syntax, configuration checks, block polling and
// answer mapping. Vectors and their sources are in vectors.hpp.

#include "drivers/modbus/modbus_driver.hpp"
#include "protocols/common/refusal.hpp"
#include "protocols/modbus/rtu.hpp"
#include "tests/unit/modbus/vectors.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace citygate;
using namespace citygate::drivers;
using namespace modbus_vectors;

namespace {

device_params params(std::string address, std::map<std::string, std::string> options)
{
    return {"sensor-1", std::move(address), std::move(options)};
}

std::unique_ptr<modbus_device_codec> make(const device_params& p)
{
    std::error_code error;
    auto codec = modbus_rtu_driver().make_codec(p, error);
    REQUIRE_FALSE(error);
    REQUIRE(codec);
    return std::unique_ptr<modbus_device_codec>(static_cast<modbus_device_codec*>(codec.release()));
}

std::error_code config_error(const device_params& p)
{
    std::error_code error;
    auto codec = modbus_rtu_driver().make_codec(p, error);
    CHECK_FALSE(codec);
    return error;
}

const metric_value& find(const poll_answer& a, std::string_view name)
{
    for (const auto& v : a.values) {
        if (v.metric == name)
            return v;
    }
    FAIL("metric not found: " << name);
    throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("point syntax full form")
{
    modbus::point p;
    REQUIRE_FALSE(parse_point("level", "input 0x10 u32 order=CDAB scale=0.001 offset=-1.5 unit=m group=slow", p));
    CHECK(p.metric == "level");
    CHECK(p.table == modbus::table::input_register);
    CHECK(p.address == 16);
    CHECK(p.type == modbus::value_type::u32);
    CHECK(p.words == modbus::word_order::low_first);
    CHECK(p.bytes == modbus::byte_order::high_first);
    CHECK(p.scale == 0.001);
    CHECK(p.offset == -1.5);
    CHECK(p.unit == "m");
    CHECK(p.poll_group == "slow");
}

TEST_CASE("point syntax bits and bool")
{
    modbus::point p;
    REQUIRE_FALSE(parse_point("mode", "holding 7 bits bit=4 bits=3", p));
    CHECK(p.type == modbus::value_type::bit_field);
    CHECK(p.bit == 4);
    CHECK(p.bit_count == 3);

    REQUIRE_FALSE(parse_point("door", "  coil   5   bool  ", p));
    CHECK(p.table == modbus::table::coil);
    CHECK(p.address == 5);
}

TEST_CASE("point syntax errors")
{
    modbus::point p;
    CHECK(parse_point("x", "holding 0", p) == modbus_config_error::invalid_point);
    CHECK(parse_point("x", "register 0 u16", p) == modbus_config_error::invalid_table);
    CHECK(parse_point("x", "holding 65536 u16", p) == modbus_config_error::invalid_address);
    CHECK(parse_point("x", "holding -1 u16", p) == modbus_config_error::invalid_address);
    CHECK(parse_point("x", "holding 0 u8", p) == modbus_config_error::invalid_type);
    CHECK(parse_point("x", "holding 0 u32 order=ACBD", p) == modbus_config_error::invalid_order);
    CHECK(parse_point("x", "holding 0 u16 scale=abc", p) == modbus_config_error::invalid_number);
    CHECK(parse_point("x", "holding 0 u16 scale=inf", p) == modbus_config_error::invalid_number);
    CHECK(parse_point("x", "holding 0 bool bit=16", p) == modbus_config_error::invalid_number);
    CHECK(parse_point("x", "holding 0 u16 colour=red", p) == modbus_config_error::unknown_point_key);
    CHECK(parse_point("x", "holding 0 bits bit=12 bits=8", p) == modbus::map_error::bit_out_of_range);
    CHECK(parse_point("x", "coil 0 u16", p) == modbus::map_error::type_not_allowed);
    CHECK(parse_point("", "holding 0 u16", p) == modbus_config_error::invalid_metric);
    CHECK(parse_point("a b", "holding 0 u16", p) == modbus_config_error::invalid_metric);
}

TEST_CASE("driver configuration errors")
{
    const std::map<std::string, std::string> one_point{{"point.t", "holding 0 u16"}};
    CHECK(config_error(params("0", one_point)) == modbus_config_error::invalid_unit_id);
    CHECK(config_error(params("248", one_point)) == modbus_config_error::invalid_unit_id);
    CHECK(config_error(params("x", one_point)) == modbus_config_error::invalid_unit_id);
    CHECK(config_error(params("1", {})) == modbus_config_error::no_points);
    CHECK(config_error(params("1", {{"point.t", "holding 0 u16"}, {"baud", "9600"}})) ==
          modbus_config_error::unknown_option);
    CHECK(config_error(params("1", {{"point.t", "holding 0 u16"}, {"max_block", "126"}})) ==
          modbus_config_error::invalid_max_block);
    CHECK(config_error(params("1", {{"point.t", "holding 0 u16"}, {"max_gap", "x"}})) ==
          modbus_config_error::invalid_max_gap);
    CHECK(config_error(params("1", {{"point.t", "holding 0 u64"}, {"max_block", "2"}})) ==
          modbus::map_error::point_exceeds_block);
}

TEST_CASE("driver polls the M2 temperature")
{
    // HCP TC038D: registers 0000-0001 as one u32 scaled by 0.1.
    auto codec = make(params("1", {{"point.temperature", "holding 0 u32 scale=0.1 unit=Cel"}}));
    CHECK(codec->encode_poll(0) == bytes(m2_read_temperature_request));

    auto in = bytes(m2_read_temperature_response);
    auto result = codec->decode_answer(0, in);
    REQUIRE(result.has_frame());
    CHECK(result.consumed() == in.size());
    const auto& value = find(result.frame(), "temperature");
    CHECK(std::get<double>(value.value) == doctest::Approx(100.0));
    CHECK(value.unit == "Cel");
    CHECK(codec->stats().frames_ok == 1);
}

TEST_CASE("driver answer split at every byte")
{
    auto codec = make(params("1", {{"point.temperature", "holding 0 u32 scale=0.1 unit=Cel"}}));
    codec->encode_poll(0);
    auto in = bytes(m2_read_temperature_response);
    for (std::size_t cut = 0; cut < in.size(); ++cut) {
        INFO("prefix length " << cut);
        CHECK(codec->decode_answer(0, std::span(in).first(cut)).needs_more());
    }
    CHECK(codec->stats().frames_ok == 0);
    CHECK(codec->decode_answer(0, in).has_frame());
}

TEST_CASE("driver rejects bad crc and exceptions by name")
{
    auto codec = make(params("1", {{"point.temperature", "holding 0 u32 scale=0.1"}}));
    codec->encode_poll(0);

    auto bad_crc = codec->decode_answer(0, bytes(m2_n1_bad_crc));
    REQUIRE(bad_crc.failed());
    CHECK(bad_crc.error() == modbus::error::bad_crc);

    auto exception = modbus::encode_rtu(1, modbus::encode_exception_pdu(0x03, modbus::exception_code::illegal_data_address));
    auto rejected = codec->decode_answer(0, exception);
    REQUIRE(rejected.failed());
    CHECK(rejected.error().message() == "Modbus exception 02 ILLEGAL DATA ADDRESS");
    CHECK(codec->stats().bad_crc == 1);
    CHECK(codec->stats().exceptions == 1);

    // The core repeats a garbled frame but not the device's refusal.
    CHECK(proto::is_refusal(rejected.error()));
    CHECK_FALSE(proto::is_refusal(bad_crc.error()));
}

TEST_CASE("driver rejects a reply from another unit")
{
    auto codec = make(params("2", {{"point.temperature", "holding 0 u32"}}));
    codec->encode_poll(0);
    auto result = codec->decode_answer(0, bytes(m2_read_temperature_response));
    REQUIRE(result.failed());
    CHECK(result.error() == modbus::error::unit_mismatch);
    CHECK(codec->stats().unit_mismatch == 1);
}

TEST_CASE("driver reads one block per poll step")
{
    // M1 slave 0x11: holding 0x006B-0x006D merge into one block, coils 0x0013 form another.
    auto codec = make(params("17", {{"point.a", "holding 0x6B u32"},
                                    {"point.b", "holding 0x6D i16 scale=2"},
                                    {"point.lamp", "coil 0x13 bool"},
                                    {"point.pump", "coil 0x14 bool"}}));
    REQUIRE(codec->blocks().size() == 2);
    CHECK(codec->poll_steps() == 2);

    // Blocks are ordered by table: coils before holding registers.
    auto coils_request = codec->encode_poll(0);
    CHECK(coils_request == modbus::encode_rtu(0x11, std::vector<std::uint8_t>{0x01, 0x00, 0x13, 0x00, 0x02}));
    auto coils = codec->decode_answer(0, modbus::encode_rtu(0x11, std::vector<std::uint8_t>{0x01, 0x01, 0x01}));
    REQUIRE(coils.has_frame());
    CHECK(std::get<bool>(find(coils.frame(), "lamp").value));
    CHECK_FALSE(std::get<bool>(find(coils.frame(), "pump").value));

    CHECK(codec->encode_poll(1) == bytes(m1_read_holding_request));
    auto registers = codec->decode_answer(1, bytes(m1_read_holding_response));
    REQUIRE(registers.has_frame());
    CHECK(std::get<double>(find(registers.frame(), "a").value) == 0xAE415652);
    CHECK(std::get<double>(find(registers.frame(), "b").value) == 2.0 * 0x4340);

    // The reply to one block is no reply to the other.
    CHECK(codec->decode_answer(0, bytes(m1_read_holding_response)).failed());
    CHECK(codec->encode_poll(0) == coils_request);
}

namespace {

std::unique_ptr<modbus_device_codec> make_from_templates(std::map<std::string, std::string> options)
{
    std::error_code error;
    auto codec = modbus_rtu_driver(CITYGATE_TEMPLATE_DIR).make_codec(params("1", std::move(options)), error);
    REQUIRE_MESSAGE(!error, error.message());
    REQUIRE(codec);
    return std::unique_ptr<modbus_device_codec>(static_cast<modbus_device_codec*>(codec.release()));
}

std::error_code template_error(const std::filesystem::path& dir, const std::string& name)
{
    std::error_code error;
    auto codec = modbus_rtu_driver(dir).make_codec(params("1", {{"template", name}}), error);
    CHECK_FALSE(codec);
    return error;
}

} // namespace

TEST_CASE("shipped templates load")
{
    CHECK(make_from_templates({{"template", "streetlight-cabinet"}})->blocks().size() == 4);
    CHECK(make_from_templates({{"template", "radar-water-level"}})->blocks().size() == 3);
    CHECK(make_from_templates({{"template", "temperature-humidity"}})->blocks().size() == 1);
}

TEST_CASE("temperature-humidity template poll")
{
    auto codec = make_from_templates({{"template", "temperature-humidity"}});
    CHECK(codec->encode_poll(0) == modbus::encode_rtu(1, std::vector<std::uint8_t>{0x03, 0x00, 0x00, 0x00, 0x04}));

    const std::uint16_t registers[] = {0x00FA, 0x0258, 0xFFF6, 0x0002};
    auto reply = modbus::encode_rtu(1, modbus::encode_registers_pdu(modbus::function_code::read_holding_registers, registers));
    auto result = codec->decode_answer(0, reply);
    REQUIRE(result.has_frame());
    CHECK(std::get<double>(find(result.frame(), "temperature").value) == doctest::Approx(25.0));
    CHECK(find(result.frame(), "humidity").unit == "%RH");
    CHECK(std::get<double>(find(result.frame(), "humidity").value) == doctest::Approx(60.0));
    CHECK(std::get<double>(find(result.frame(), "dew_point").value) == doctest::Approx(-1.0));
    CHECK_FALSE(std::get<bool>(find(result.frame(), "sensor_fault").value));
    CHECK(std::get<bool>(find(result.frame(), "condensation").value));
}

TEST_CASE("device option overrides template point")
{
    auto codec = make_from_templates(
        {{"template", "temperature-humidity"}, {"point.temperature", "holding 0 i16 scale=0.01 unit=Cel"}});
    codec->encode_poll(0);
    const std::uint16_t registers[] = {0x00FA, 0x0258, 0xFFF6, 0x0002};
    auto reply = modbus::encode_rtu(1, modbus::encode_registers_pdu(modbus::function_code::read_holding_registers, registers));
    auto result = codec->decode_answer(0, reply);
    REQUIRE(result.has_frame());
    CHECK(std::get<double>(find(result.frame(), "temperature").value) == doctest::Approx(2.5));
}

TEST_CASE("template errors")
{
    const std::filesystem::path shipped = CITYGATE_TEMPLATE_DIR;
    CHECK(template_error(shipped, "../templates/temperature-humidity") == modbus_config_error::invalid_template);
    CHECK(template_error(shipped, "no-such-device") == modbus_config_error::invalid_template);
    CHECK(template_error(shipped, "") == modbus_config_error::invalid_template);

    const auto dir = std::filesystem::temp_directory_path() / ("citygate-modbus-templates-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "numbers.toml") << "[points]\nlevel = 5\n";
    std::ofstream(dir / "broken.toml") << "[points\n";
    std::ofstream(dir / "empty.toml") << "max_block = 10\n";
    std::ofstream(dir / "bad-point.toml") << "[points]\nlevel = \"input 0 u8\"\n";
    CHECK(template_error(dir, "numbers") == modbus_config_error::invalid_template);
    CHECK(template_error(dir, "broken") == modbus_config_error::invalid_template);
    CHECK(template_error(dir, "empty") == modbus_config_error::invalid_template);
    CHECK(template_error(dir, "bad-point") == modbus_config_error::invalid_type);
    CHECK(template_error(shipped, (dir / "numbers.toml").string()) == modbus_config_error::invalid_template);
    CHECK(template_error(shipped, (dir / "missing.toml").string()) == modbus_config_error::invalid_template);
    std::filesystem::remove_all(dir);
}

TEST_CASE("template: absolute path")
{
    const auto dir = std::filesystem::temp_directory_path() / ("citygate-site-templates-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "plc.toml") << "max_block = 2\n[points]\nlevel = \"holding 0 u16\"\nflow = \"holding 1 u16\"\n"
                                       "temp = \"holding 2 u16\"\n";
    const auto path = (dir / "plc.toml").string();

    auto codec = make_from_templates({{"template", path}});
    CHECK(codec->blocks().size() == 2);

    const std::filesystem::path shipped = CITYGATE_TEMPLATE_DIR;
    CHECK(template_error(shipped, "plc.toml") == modbus_config_error::invalid_template);
    CHECK(template_error(shipped, "relative/plc.toml") == modbus_config_error::invalid_template);
    CHECK(template_error(shipped, (dir / "plc").string()) == modbus_config_error::invalid_template);
    CHECK(template_error(shipped, (dir / ".." / dir.filename() / "plc.toml").string()) ==
          modbus_config_error::invalid_template);
    std::filesystem::remove_all(dir);
}

TEST_CASE("template: devices share one plan")
{
    modbus_rtu_driver driver(CITYGATE_TEMPLATE_DIR);
    std::error_code error;
    auto first = driver.make_codec(params("1", {{"template", "temperature-humidity"}}), error);
    auto second = driver.make_codec(params("2", {{"template", "temperature-humidity"}}), error);
    auto other = driver.make_codec(
        params("3", {{"template", "temperature-humidity"}, {"point.temperature", "holding 0 i16 scale=0.01"}}), error);
    REQUIRE(first);
    REQUIRE(second);
    REQUIRE(other);
    const auto& first_blocks = static_cast<modbus_device_codec&>(*first).blocks();
    const auto& second_blocks = static_cast<modbus_device_codec&>(*second).blocks();
    const auto& other_blocks = static_cast<modbus_device_codec&>(*other).blocks();
    CHECK(&first_blocks == &second_blocks);
    CHECK(&first_blocks != &other_blocks);

    // Each device still frames its own unit id.
    CHECK(first->encode_poll(0)[0] == 1);
    CHECK(second->encode_poll(0)[0] == 2);
}
