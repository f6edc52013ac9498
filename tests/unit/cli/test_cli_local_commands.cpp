// keygen, envelope open and config check of the real citygate binary.

#include "cli_runner.hpp"

#include "gateway/crypto/envelope.hpp"
#include "gateway/crypto/key_file.hpp"
#include "gateway/crypto/sm_primitives.hpp"
#include "gateway/senml/senml.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

using citygate::cli::test::run_cli;
using citygate::cli::test::slurp;
namespace crypto = citygate::crypto;
using nlohmann::json;

namespace {

class temp_dir {
public:
    temp_dir() {
        char pattern[] = "/tmp/cg-cli-test-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        path_ = pattern;
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    std::filesystem::path operator/(const std::string& leaf) const { return path_ / leaf; }

private:
    std::filesystem::path path_;
};

crypto::key_set make_keys(const std::filesystem::path& file, const std::string& id = "1") {
    REQUIRE(run_cli({"keygen", "--key-file", file.string(), "--key-id", id}).exit_code == 0);
    std::error_code error;
    std::string detail;
    auto keys = crypto::load_key_file(file, error, detail);
    REQUIRE_MESSAGE(keys, detail);
    return *keys;
}

std::string seal_sample(const crypto::key_set& keys, std::int64_t ts_ms = 1700000000000,
                        std::int64_t sealed_at_ms = 1700000000500,
                        crypto::content_type content = crypto::content_type::senml_json) {
    std::vector<citygate::reading> readings(1);
    readings[0].device_id = "wm-01";
    readings[0].lane = citygate::lane::event;
    readings[0].ts_ms = ts_ms;
    readings[0].values = {{"volume", "m3", 12.5}, {"valve_open", "", true}};
    const auto pack = content == crypto::content_type::senml_cbor ? citygate::senml::encode_cbor("gw-1", readings)
                                                                 : citygate::senml::encode_json("gw-1", readings);

    crypto::envelope_header header;
    header.content = content;
    header.flags = 0x01;
    header.sequence = 42;
    header.sealed_at_ms = sealed_at_ms;
    std::error_code error;
    const auto sealed = crypto::seal(keys, header, pack, error);
    REQUIRE_FALSE(error);
    return {sealed.begin(), sealed.end()};
}

std::string hex_of(const std::string& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 0x0f];
    }
    return out;
}

} // namespace

TEST_CASE("keygen writes a loadable key file with mode 0600") {
    temp_dir dir;
    const auto file = dir / "keys.toml";
    const auto result = run_cli({"keygen", "--key-file", file.string(), "--key-id", "7"});

    CHECK(result.exit_code == 0);
    struct stat info {};
    REQUIRE(::stat(file.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    std::error_code error;
    std::string detail;
    const auto keys = crypto::load_key_file(file, error, detail);
    REQUIRE(keys);
    CHECK(keys->current == 7);
}

TEST_CASE("keygen refuses to overwrite an existing key file") {
    temp_dir dir;
    const auto file = dir / "keys.toml";
    REQUIRE(run_cli({"keygen", "--key-file", file.string()}).exit_code == 0);
    const auto before = slurp(file);

    const auto again = run_cli({"keygen", "--key-file", file.string()});

    CHECK(again.exit_code == 1);
    CHECK(again.err.find("already exists") != std::string::npos);
    CHECK(slurp(file) == before);
}

TEST_CASE("envelope open shows a CBOR envelope") {
    temp_dir dir;
    const auto keys = make_keys(dir / "keys.toml");
    const auto sealed = seal_sample(keys, 1700000000000, 1700000000500, crypto::content_type::senml_cbor);

    const auto json_result =
        run_cli({"envelope", "open", "--key-file", (dir / "keys.toml").string(), "--json"}, sealed);
    REQUIRE(json_result.exit_code == 0);
    const auto out = json::parse(json_result.out);
    CHECK(out["content_type"] == "senml-cbor");
    REQUIRE(out["records"].size() == 2);
    CHECK(out["records"][0]["n"] == "urn:citygate:gw-1:wm-01:volume");
    CHECK(out["records"][0]["v"] == 12.5);
    CHECK(out["records"][1]["vb"] == true);

    const auto text_result = run_cli({"envelope", "open", "--key-file", (dir / "keys.toml").string()}, sealed);
    REQUIRE(text_result.exit_code == 0);
    CHECK(text_result.out.find(", senml-cbor\n") != std::string::npos);
}

TEST_CASE("envelope open shows a sealed envelope as JSON with its SM3") {
    temp_dir dir;
    const auto keys = make_keys(dir / "keys.toml");
    const auto sealed = seal_sample(keys);

    const auto result = run_cli({"envelope", "open", "--key-file", (dir / "keys.toml").string(), "--json"}, sealed);

    REQUIRE(result.exit_code == 0);
    const auto out = json::parse(result.out);
    crypto::sm::sm3_digest digest{};
    REQUIRE(crypto::sm::sm3({reinterpret_cast<const std::uint8_t*>(sealed.data()), sealed.size()}, digest));
    CHECK(out["envelope_sm3"] == hex_of({reinterpret_cast<const char*>(digest.data()), digest.size()}));
    CHECK(out["lane"] == "event");
    CHECK(out["key_id"] == 1);
    CHECK(out["sequence"] == 42);
    CHECK(out["sealed_at_ms"] == 1700000000500);
    CHECK(out["content_type"] == "senml-json");
    REQUIRE(out["records"].size() == 2);
    CHECK(out["records"][0]["n"] == "urn:citygate:gw-1:wm-01:volume");
    CHECK(out["records"][0]["u"] == "m3");
    CHECK(out["records"][0]["v"] == 12.5);
    CHECK(out["records"][0]["t"] == 1700000000.0);
    CHECK(out["records"][1]["vb"] == true);
    CHECK_FALSE(out.contains("topic"));
}

TEST_CASE("envelope open --hex reads hex text and prints one line per record") {
    temp_dir dir;
    const auto keys = make_keys(dir / "keys.toml");
    const auto hex = hex_of(seal_sample(keys));

    const auto result =
        run_cli({"envelope", "open", "--key-file", (dir / "keys.toml").string(), "--hex"}, hex.substr(0, 40) + "\n" + hex.substr(40) + "\n");

    REQUIRE(result.exit_code == 0);
    CHECK(result.out.find("lane event, key id 1, sequence 42") != std::string::npos);
    CHECK(result.out.find("2023-11-14 22:13:20  [event #42]  wm-01  volume = 12.5 m3") != std::string::npos);
    CHECK(result.out.find("wm-01  valve_open = true") != std::string::npos);
}

TEST_CASE("envelope open shows local times past 2038") {
    // Reading at 2040-01-01, sealed at 2100-01-01 00:00:00 UTC, shown in
    // UTC+8 without going through a 32-bit time_t on armhf.
    temp_dir dir;
    const auto keys = make_keys(dir / "keys.toml");
    const auto sealed = seal_sample(keys, 2208988800000, 4102444800000);
    const std::vector<std::string> env = {"LANG=C", "LC_ALL=", "LANGUAGE=", "TZ=CST-8", "PATH=/usr/bin:/bin"};

    const auto result = run_cli({"envelope", "open", "--key-file", (dir / "keys.toml").string()}, sealed, env);

    REQUIRE(result.exit_code == 0);
    CHECK(result.out.find("sealed at 2100-01-01 08:00:00") != std::string::npos);
    CHECK(result.out.find("2040-01-01 08:00:00  [event #42]  wm-01  volume = 12.5 m3") != std::string::npos);
}

TEST_CASE("envelope open rejects a tampered envelope with bad_tag") {
    temp_dir dir;
    const auto keys = make_keys(dir / "keys.toml");
    auto sealed = seal_sample(keys);
    sealed[50] = static_cast<char>(sealed[50] ^ 0x01); // a ciphertext byte

    const auto result = run_cli({"envelope", "open", "--key-file", (dir / "keys.toml").string(), "--json"}, sealed);

    CHECK(result.exit_code == 1);
    CHECK(json::parse(result.out)["error"]["code"] == "bad_tag");
    CHECK(result.err.find("HMAC-SM3 tag does not match") != std::string::npos);
}

TEST_CASE("envelope open with wrong key file") {
    temp_dir dir;
    const auto keys = make_keys(dir / "keys.toml");
    make_keys(dir / "other.toml");
    make_keys(dir / "id2.toml", "2");
    const auto sealed = seal_sample(keys);

    const auto same_id = run_cli({"envelope", "open", "--key-file", (dir / "other.toml").string()}, sealed);
    const auto other_id = run_cli({"envelope", "open", "--key-file", (dir / "id2.toml").string(), "--json"}, sealed);

    CHECK(same_id.exit_code == 1);
    CHECK(same_id.err.find("HMAC-SM3 tag does not match") != std::string::npos);
    CHECK(other_id.exit_code == 1);
    CHECK(json::parse(other_id.out)["error"]["code"] == "unknown_key_id");
    CHECK(other_id.err.find("key id 1 is not in the key file") != std::string::npos);
}

TEST_CASE("envelope open rejects bad hex and a short input") {
    temp_dir dir;
    make_keys(dir / "keys.toml");
    const auto key_file = (dir / "keys.toml").string();

    CHECK(run_cli({"envelope", "open", "--key-file", key_file, "--hex"}, "4347zz").exit_code == 1);
    const auto short_input = run_cli({"envelope", "open", "--key-file", key_file, "--json"}, "CG");
    CHECK(short_input.exit_code == 1);
    CHECK(json::parse(short_input.out)["error"]["code"] == "too_short");
}

TEST_CASE("config check accepts a good file") {
    temp_dir dir;
    std::ofstream(dir / "good.toml") << R"([gateway]
id = "gw-1"
[uplink]
brokers = ["tcp://127.0.0.1:1883"]
[[bus]]
id = "rs485-1"
device = "/dev/ttyS1"
[[device]]
id = "wm-1"
driver = "cjt188"
bus = "rs485-1"
address = "00000000000001"
)";
    const auto text = run_cli({"config", "check", (dir / "good.toml").string()});
    const auto as_json = run_cli({"config", "check", (dir / "good.toml").string(), "--json"});

    CHECK_MESSAGE(text.exit_code == 0, text.err);
    CHECK(text.out.find("good.toml: OK") != std::string::npos);
    CHECK(as_json.exit_code == 0);
    CHECK(json::parse(as_json.out)["ok"] == true);
}

TEST_CASE("config check lists each problem of a bad file with its line") {
    temp_dir dir;
    std::ofstream(dir / "bad.toml") << R"([gateway]
id = "gw-1"
[uplink]
brokers = ["tcp://127.0.0.1:1883"]
keepalive = "forever"
[[device]]
id = "x-1"
driver = "no-such-driver"
address = "1"
)";
    const auto text = run_cli({"config", "check", (dir / "bad.toml").string()});
    const auto as_json = run_cli({"config", "check", (dir / "bad.toml").string(), "--json"});

    CHECK(text.exit_code == 1);
    CHECK(text.err.find("bad.toml:5:") != std::string::npos);
    CHECK(text.err.find("rejected") != std::string::npos);
    CHECK(as_json.exit_code == 1);
    const auto out = json::parse(as_json.out);
    CHECK(out["ok"] == false);
    CHECK(out["errors"].get<int>() >= 1);
    CHECK(out["issues"][0]["line"] == 5);
}

TEST_CASE("config check of a missing file exits 1") {
    CHECK(run_cli({"config", "check", "/tmp/cg-no-such-dir/citygate.toml"}).exit_code == 1);
}
