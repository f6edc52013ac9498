// citygate init of the real citygate binary: flags, values on standard
// input, rejected existing files, file modes, and that citygated's loader
// accepts the config it writes.

#include "cli_runner.hpp"

#include "gateway/config/config.hpp"
#include "gateway/crypto/key_file.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

using citygate::cli::test::run_cli;
using citygate::cli::test::slurp;
namespace crypto = citygate::crypto;
namespace fs = std::filesystem;

namespace {

class temp_dir {
public:
    temp_dir() {
        char pattern[] = "/tmp/cg-cli-init-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        path_ = pattern;
    }
    ~temp_dir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    fs::path operator/(const std::string& leaf) const { return path_ / leaf; }

private:
    fs::path path_;
};

unsigned mode_of(const fs::path& file) {
    struct stat info {};
    REQUIRE(::stat(file.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

crypto::key_set load_keys(const fs::path& file) {
    std::error_code error;
    std::string detail;
    auto keys = crypto::load_key_file(file, error, detail);
    REQUIRE_MESSAGE(keys, detail);
    return *keys;
}

citygate::config::config load_config(const fs::path& file) {
    std::vector<citygate::config::config_issue> issues;
    auto loaded = citygate::config::load(file, issues);
    for (const auto& issue : issues) {
        MESSAGE(citygate::config::to_string(issue));
    }
    REQUIRE(loaded);
    return *loaded;
}

std::string hex_of(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const auto byte : bytes) {
        out += digits[byte >> 4];
        out += digits[byte & 0x0f];
    }
    return out;
}

std::vector<std::string> init_args(const temp_dir& dir, std::vector<std::string> extra) {
    std::vector<std::string> args{"init", "--config", (dir / "citygate.toml").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

} // namespace

TEST_CASE("init with all flags prompts for nothing") {
    temp_dir dir;
    const auto result = run_cli(init_args(dir, {"--gateway-id", "changle-gw-0042", "--broker", "ssl://mqtt.example.org:8883",
                                                "--broker", "ssl://[2001:db8::10]:8883", "--location",
                                                "Wuhang Road 3, \"cabinet\" 2"}));

    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    CHECK(result.out.find("Gateway id,") == std::string::npos);
    CHECK(mode_of(dir / "citygate.toml") == 0640);
    CHECK(mode_of(dir / "keys.toml") == 0600);

    const auto config = load_config(dir / "citygate.toml");
    CHECK(config.gateway.id == "changle-gw-0042");
    CHECK(config.gateway.location == "Wuhang Road 3, \"cabinet\" 2");
    CHECK(config.gateway.key_file == dir / "keys.toml");
    REQUIRE(config.uplink.brokers.size() == 2);
    CHECK(config.uplink.brokers[0] == "ssl://mqtt.example.org:8883");
    CHECK(config.uplink.brokers[1] == "ssl://[2001:db8::10]:8883");
}

TEST_CASE("init prints the new keys once") {
    temp_dir dir;
    const auto result = run_cli(init_args(dir, {"--gateway-id", "gw-1", "--broker", "tcp://127.0.0.1:1883", "--location", ""}));

    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    const auto keys = load_keys(dir / "keys.toml");
    CHECK(keys.current == 1);
    CHECK(result.out.find("enc_key: " + hex_of(keys.current_key()->enc_key)) != std::string::npos);
    CHECK(result.out.find("mac_key: " + hex_of(keys.current_key()->mac_key)) != std::string::npos);
    CHECK(result.err.find(hex_of(keys.current_key()->enc_key)) == std::string::npos);
}

TEST_CASE("init config passes config check") {
    temp_dir dir;
    REQUIRE(run_cli(init_args(dir, {"--gateway-id", "gw-1", "--broker", "tcp://127.0.0.1:1883", "--location", "lab"}))
                .exit_code == 0);

    const auto check = run_cli({"config", "check", (dir / "citygate.toml").string()});

    CHECK_MESSAGE(check.exit_code == 0, check.err);
    CHECK(check.out.find("OK (warnings: 0)") != std::string::npos);
}

TEST_CASE("init prompts for missing values") {
    temp_dir dir;
    const auto result = run_cli(init_args(dir, {}), "gw-from-stdin\ntcp://127.0.0.1:1883 tcp://[::1]:1884\r\nPump room 1\n");

    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    CHECK(result.out.find("Gateway id, as registered on the platform") != std::string::npos);
    CHECK(result.out.find("MQTT broker URI") != std::string::npos);
    CHECK(result.out.find("Location of the box") != std::string::npos);

    const auto config = load_config(dir / "citygate.toml");
    CHECK(config.gateway.id == "gw-from-stdin");
    CHECK(config.gateway.location == "Pump room 1");
    REQUIRE(config.uplink.brokers.size() == 2);
    CHECK(config.uplink.brokers[1] == "tcp://[::1]:1884");
}

TEST_CASE("init repeats a prompt after an empty line") {
    temp_dir dir;
    const auto result = run_cli(init_args(dir, {"--location", "x"}), "\ngw-2\n\ntcp://127.0.0.1:1883\n");

    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    CHECK(load_config(dir / "citygate.toml").gateway.id == "gw-2");
}

TEST_CASE("init asks again after an invalid answer") {
    temp_dir dir;
    const auto result =
        run_cli(init_args(dir, {}), "gw 1/a\ngw-3\nhttp://example.org\ntcp://127.0.0.1:1883\nPump room 2\n");

    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    CHECK(result.err.find("gateway.id: ") != std::string::npos);
    CHECK(result.err.find("uplink.brokers") != std::string::npos);
    const auto config = load_config(dir / "citygate.toml");
    CHECK(config.gateway.id == "gw-3");
    CHECK(config.uplink.brokers == std::vector<std::string>{"tcp://127.0.0.1:1883"});
    CHECK(config.gateway.location == "Pump room 2");
}

TEST_CASE("init gives up after three invalid answers") {
    temp_dir dir;
    const auto result = run_cli(init_args(dir, {"--location", "x"}), "a b\n\nc/d\ngw-4\n");

    CHECK(result.exit_code == 1);
    CHECK(result.err.find("no valid answer after 3 attempts; pass --gateway-id") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "citygate.toml"));
    CHECK_FALSE(fs::exists(dir / "keys.toml"));
}

TEST_CASE("init prompts end their line when stdin is a pipe") {
    temp_dir dir;
    const auto result = run_cli(init_args(dir, {}), "gw-5\ntcp://127.0.0.1:1883\nx\n");

    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    CHECK(result.out.find("(e.g. changle-gw-0001): \nMQTT broker URI") != std::string::npos);
    CHECK(result.out.find("separate with spaces): \nLocation of the box") != std::string::npos);
}

TEST_CASE("init without input writes nothing") {
    temp_dir dir;
    const auto result = run_cli(init_args(dir, {"--gateway-id", "gw-1"}), "");

    CHECK(result.exit_code == 1);
    CHECK(result.err.find("--broker") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "citygate.toml"));
    CHECK_FALSE(fs::exists(dir / "keys.toml"));
}

TEST_CASE("init rejects invalid gateway id and broker") {
    temp_dir dir;
    const auto result =
        run_cli(init_args(dir, {"--gateway-id", "gw 1/a", "--broker", "http://example.org", "--location", ""}));

    CHECK(result.exit_code == 1);
    CHECK(result.err.find("gateway.id") != std::string::npos);
    CHECK(result.err.find("uplink.brokers") != std::string::npos);
    CHECK(result.err.find("nothing was written") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "citygate.toml"));
    CHECK_FALSE(fs::exists(dir / "keys.toml"));
}

TEST_CASE("init rejects an existing key file") {
    temp_dir dir;
    REQUIRE(run_cli({"keygen", "--key-file", (dir / "keys.toml").string()}).exit_code == 0);
    const auto before = slurp(dir / "keys.toml");

    const auto result = run_cli(init_args(dir, {"--gateway-id", "gw-1", "--broker", "tcp://127.0.0.1:1883", "--location", ""}));

    CHECK(result.exit_code == 1);
    CHECK(result.err.find("already exists") != std::string::npos);
    CHECK(result.err.find("--force") != std::string::npos);
    CHECK(slurp(dir / "keys.toml") == before);
    CHECK_FALSE(fs::exists(dir / "citygate.toml"));
}

TEST_CASE("init rejects an existing config") {
    temp_dir dir;
    const auto key_file = dir / "other-keys.toml";
    { std::ofstream(dir / "citygate.toml") << "# a technician's config\n"; }

    const auto result = run_cli(init_args(dir, {"--key-file", key_file.string(), "--gateway-id", "gw-1", "--broker",
                                                "tcp://127.0.0.1:1883", "--location", ""}));

    CHECK(result.exit_code == 1);
    CHECK(slurp(dir / "citygate.toml") == "# a technician's config\n");
    CHECK_FALSE(fs::exists(key_file));
}

TEST_CASE("init --force replaces both files") {
    temp_dir dir;
    const std::vector<std::string> values{"--gateway-id", "gw-1", "--broker", "tcp://127.0.0.1:1883", "--location", ""};
    REQUIRE(run_cli(init_args(dir, values)).exit_code == 0);
    const auto old_keys = load_keys(dir / "keys.toml");

    auto forced = values;
    forced[1] = "gw-renamed";
    forced.push_back("--force");
    const auto result = run_cli(init_args(dir, forced));

    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    const auto new_keys = load_keys(dir / "keys.toml");
    CHECK(new_keys.current == old_keys.current + 1);
    CHECK(new_keys.current_key()->enc_key != old_keys.current_key()->enc_key);
    CHECK(mode_of(dir / "keys.toml") == 0600);
    CHECK(mode_of(dir / "citygate.toml") == 0640);
    CHECK(load_config(dir / "citygate.toml").gateway.id == "gw-renamed");
    CHECK_FALSE(fs::exists(dir / ".keys.toml.init-tmp"));
    CHECK_FALSE(fs::exists(dir / ".citygate.toml.init-tmp"));
}

TEST_CASE("init --key-file sets gateway.key_file") {
    temp_dir dir;
    const auto key_file = dir / "secret" / "uplink-keys.toml";

    const auto result = run_cli(init_args(dir, {"--key-file", key_file.string(), "--gateway-id", "gw-1", "--broker",
                                                "tcp://127.0.0.1:1883", "--location", ""}));

    REQUIRE_MESSAGE(result.exit_code == 0, result.err);
    CHECK(mode_of(dir / "secret") == 0750);
    CHECK(mode_of(key_file) == 0600);
    CHECK(load_config(dir / "citygate.toml").gateway.key_file == key_file);
    CHECK(load_keys(key_file).current == 1);
}

TEST_CASE("init prompts in Chinese under zh_CN") {
    temp_dir dir;
    const auto result = run_cli(init_args(dir, {}), "", {"LANG=zh_CN.UTF-8", "LANGUAGE=zh_CN", "PATH=/usr/bin:/bin"});

    CHECK(result.exit_code == 1);
    CHECK(result.out.find("网关") != std::string::npos);
}
