// Key file loading: permissions, generation and each malformed input.

#include "gateway/crypto/key_file.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace citygate;
using crypto::key_file_error;
namespace fs = std::filesystem;

namespace {

constexpr const char* enc_hex = "00112233445566778899aabbccddeeff";
constexpr const char* mac_hex = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";

// A directory removed with its contents when the test case ends.
class temp_dir {
public:
    temp_dir() {
        std::string pattern = (fs::temp_directory_path() / "citygate-keys-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    fs::path file(const char* name) const { return path_ / name; }

private:
    fs::path path_;
};

fs::path write_key_file(const temp_dir& dir, const std::string& text, mode_t mode = 0600) {
    const fs::path path = dir.file("keys.toml");
    fs::remove(path);
    std::ofstream(path) << text;
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    return path;
}

std::string one_key(const std::string& id, const std::string& enc, const std::string& mac) {
    return "[[key]]\nid = " + id + "\nenc_key = \"" + enc + "\"\nmac_key = \"" + mac + "\"\n";
}

struct load_outcome {
    std::optional<crypto::key_set> keys;
    std::error_code error;
    std::string detail;
};

load_outcome load(const fs::path& path) {
    load_outcome out;
    out.keys = crypto::load_key_file(path, out.error, out.detail);
    CHECK(out.keys.has_value() == !out.error);
    return out;
}

} // namespace

TEST_CASE("key file with mode 0600 loads") {
    temp_dir dir;
    const auto path = write_key_file(dir, "current = 3\n" + one_key("3", enc_hex, mac_hex));
    const auto outcome = load(path);
    REQUIRE(outcome.keys);
    CHECK(outcome.detail.empty());
    CHECK(outcome.keys->current == 3);
    REQUIRE(outcome.keys->keys.size() == 1);
    const crypto::key* k = outcome.keys->current_key();
    REQUIRE(k != nullptr);
    CHECK(k->id == 3);
    CHECK(k->enc_key[0] == 0x00);
    CHECK(k->enc_key[15] == 0xff);
    CHECK(k->mac_key[0] == 0xa0);
    CHECK(k->mac_key[31] == 0xbf);
}

TEST_CASE("key file with several keys finds each id") {
    temp_dir dir;
    const auto path = write_key_file(dir, "current = 2\n" + one_key("1", enc_hex, mac_hex) +
                                              one_key("2", "ffeeddccbbaa99887766554433221100", mac_hex));
    const auto outcome = load(path);
    REQUIRE(outcome.keys);
    CHECK(outcome.keys->find(1) != nullptr);
    REQUIRE(outcome.keys->current_key() != nullptr);
    CHECK(outcome.keys->current_key()->enc_key[0] == 0xff);
    CHECK(outcome.keys->find(3) == nullptr);
}

TEST_CASE("key file readable by group or others is rejected") {
    temp_dir dir;
    for (const mode_t mode : {0644, 0640, 0604, 0660, 0610, 0601, 0620, 0602}) {
        CAPTURE(mode);
        const auto path = write_key_file(dir, "current = 1\n" + one_key("1", enc_hex, mac_hex), mode);
        const auto outcome = load(path);
        CHECK(outcome.error == key_file_error::insecure_permissions);
        CHECK(outcome.detail.find(path.string()) != std::string::npos);
        CHECK(outcome.detail.find("chmod 600") != std::string::npos);
    }
}

TEST_CASE("key file with mode 0400 loads") {
    temp_dir dir;
    const auto path = write_key_file(dir, "current = 1\n" + one_key("1", enc_hex, mac_hex), 0400);
    CHECK(load(path).keys.has_value());
}

TEST_CASE("key file missing") {
    temp_dir dir;
    const auto outcome = load(dir.file("absent.toml"));
    CHECK(outcome.error == key_file_error::not_found);
    CHECK(outcome.detail.find("absent.toml") != std::string::npos);
}

TEST_CASE("key file path that is a directory") {
    temp_dir dir;
    fs::create_directory(dir.file("sub"));
    CHECK(load(dir.file("sub")).error == key_file_error::read_failed);
}

TEST_CASE("key file that is not TOML names the line") {
    temp_dir dir;
    const auto path = write_key_file(dir, "current = 1\n[[key]\n");
    const auto outcome = load(path);
    CHECK(outcome.error == key_file_error::parse_error);
    CHECK(outcome.detail.find("line 2") != std::string::npos);
}

TEST_CASE("key file parse error hides unquoted keys") {
    // toml++ quotes the token it failed on, which here is the key itself.
    struct malformed {
        std::string value; // right side of "enc_key = "
        std::string secret;
    };
    const malformed cases[] = {
        {std::string("0x") + enc_hex, "445566778899"},
        {enc_hex, "445566778899"},
        {"9112233445566778899112233", "445566778899"},
        {std::string("\"") + enc_hex + "\"\" x", "445566778899"},
    };
    temp_dir dir;
    for (const malformed& c : cases) {
        CAPTURE(c.value);
        const auto outcome = load(write_key_file(dir, "current = 1\n[[key]]\nid = 1\nenc_key = " + c.value + "\n"));
        CHECK(outcome.error == key_file_error::parse_error);
        CHECK(outcome.detail.find("line 4") != std::string::npos);
        CHECK(outcome.detail.find(c.secret) == std::string::npos);
    }
}

TEST_CASE("key file malformed keys are named") {
    struct malformed {
        const char* name;
        std::string text;
        key_file_error expected;
        const char* detail_part;
    };
    const std::string short_enc = "00112233445566778899aabbccddee";
    const std::string bad_mac = std::string(mac_hex).replace(10, 1, "g");
    const malformed cases[] = {
        {"enc_key too short", "current = 4\n" + one_key("4", short_enc, mac_hex), key_file_error::invalid_key,
         "key id 4: enc_key must be 32 hex digits"},
        {"mac_key not hex", "current = 4\n" + one_key("4", enc_hex, bad_mac), key_file_error::invalid_key,
         "key id 4: mac_key must be 64 hex digits"},
        {"mac_key too long", "current = 4\n" + one_key("4", enc_hex, std::string(mac_hex) + "00"),
         key_file_error::invalid_key, "mac_key must be 64 hex digits"},
        {"enc_key all zeros", "current = 4\n" + one_key("4", std::string(32, '0'), mac_hex),
         key_file_error::invalid_key, "key id 4: enc_key is all zeros"},
        {"enc_key missing", "current = 4\n[[key]]\nid = 4\nmac_key = \"" + std::string(mac_hex) + "\"\n",
         key_file_error::invalid_key, "enc_key is missing"},
        {"enc_key a number", "current = 4\n[[key]]\nid = 4\nenc_key = 12\nmac_key = \"" + std::string(mac_hex) + "\"\n",
         key_file_error::invalid_key, "enc_key is missing or not a string"},
        {"id negative", "current = 1\n" + one_key("-1", enc_hex, mac_hex), key_file_error::invalid_key,
         "[[key]] entry 1: id must be an integer"},
        {"id too large", "current = 1\n" + one_key("4294967296", enc_hex, mac_hex), key_file_error::invalid_key,
         "id must be an integer from 0 to 4294967295"},
        {"id a string", "current = 1\n" + one_key("\"1\"", enc_hex, mac_hex), key_file_error::invalid_key,
         "id must be an integer"},
        {"duplicate id", "current = 1\n" + one_key("1", enc_hex, mac_hex) + one_key("1", enc_hex, mac_hex),
         key_file_error::duplicate_id, "key id 1 is listed more than once"},
        {"current missing", one_key("1", enc_hex, mac_hex), key_file_error::no_current_key, "no 'current'"},
        {"current unknown", "current = 9\n" + one_key("1", enc_hex, mac_hex), key_file_error::no_current_key,
         "current = 9 names no [[key]] entry"},
        {"current a string", "current = \"1\"\n" + one_key("1", enc_hex, mac_hex), key_file_error::parse_error,
         "'current' must be an integer"},
        {"no keys", "current = 1\n", key_file_error::parse_error, "no [[key]] entries"},
        {"key not a table", "current = 1\nkey = [1]\n", key_file_error::parse_error, "is not a table"},
    };

    temp_dir dir;
    for (const malformed& m : cases) {
        CAPTURE(m.name);
        const auto path = write_key_file(dir, m.text);
        const auto outcome = load(path);
        CHECK(outcome.error == m.expected);
        CHECK(outcome.detail.find(path.string()) != std::string::npos);
        CHECK_MESSAGE(outcome.detail.find(m.detail_part) != std::string::npos, outcome.detail);
        CHECK(outcome.detail.find(enc_hex) == std::string::npos);
        CHECK(outcome.detail.find(mac_hex) == std::string::npos);
    }
}

TEST_CASE("key file detail never contains key material") {
    // The bad key is the second one, so the first key's valid hex is in the
    // file while the error is reported.
    temp_dir dir;
    const auto path = write_key_file(dir, "current = 1\n" + one_key("1", enc_hex, mac_hex) +
                                              one_key("2", "00112233", mac_hex));
    const auto outcome = load(path);
    CHECK(outcome.error == key_file_error::invalid_key);
    CHECK(outcome.detail.find("key id 2") != std::string::npos);
    CHECK(outcome.detail.find("00112233") == std::string::npos);
    CHECK(outcome.detail.find("a0a1a2") == std::string::npos);
}

TEST_CASE("key file generation writes mode 0600 and loads") {
    temp_dir dir;
    const fs::path path = dir.file("new.toml");
    REQUIRE_FALSE(crypto::generate_key_file(path, 42));

    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    const auto outcome = load(path);
    REQUIRE(outcome.keys);
    CHECK(outcome.keys->current == 42);
    REQUIRE(outcome.keys->keys.size() == 1);
    CHECK(outcome.keys->keys[0].enc_key != std::array<std::uint8_t, 16>{});
}

TEST_CASE("key file generation gives different keys each time") {
    temp_dir dir;
    REQUIRE_FALSE(crypto::generate_key_file(dir.file("a.toml"), 1));
    REQUIRE_FALSE(crypto::generate_key_file(dir.file("b.toml"), 1));
    const auto a = load(dir.file("a.toml"));
    const auto b = load(dir.file("b.toml"));
    REQUIRE(a.keys);
    REQUIRE(b.keys);
    CHECK(a.keys->keys[0].enc_key != b.keys->keys[0].enc_key);
    CHECK(a.keys->keys[0].mac_key != b.keys->keys[0].mac_key);
}

TEST_CASE("key file generation never overwrites") {
    temp_dir dir;
    const auto path = write_key_file(dir, "keep me\n");
    const std::error_code error = crypto::generate_key_file(path, 1);
    CHECK(error == std::errc::file_exists);
    std::ifstream in(path);
    std::string content;
    std::getline(in, content);
    CHECK(content == "keep me");
}

TEST_CASE("key file generation into a missing directory") {
    temp_dir dir;
    const std::error_code error = crypto::generate_key_file(dir.file("missing") / "keys.toml", 1);
    CHECK(error == std::errc::no_such_file_or_directory);
}
