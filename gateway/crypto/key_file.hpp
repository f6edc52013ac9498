#pragma once
// SM4 and HMAC-SM3 keys, read from a TOML key file that must not be
// readable by group or others:
//
//   current = 1
//   [[key]]
//   id = 1
//   enc_key = "<32 hex digits>"   # SM4, 16 bytes
//   mac_key = "<64 hex digits>"   # HMAC-SM3, 32 bytes

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace citygate::crypto {

struct key {
    std::uint32_t id = 0;
    std::array<std::uint8_t, 16> enc_key{};
    std::array<std::uint8_t, 32> mac_key{};
};

// Wipes its keys on destruction (OPENSSL_cleanse). Copies made elsewhere
// are not tracked, so pass a key_set by reference.
struct key_set {
    std::uint32_t current = 0; // id used for sealing
    std::vector<key> keys;

    key_set() = default;
    key_set(const key_set&) = default;
    key_set(key_set&&) noexcept = default;
    key_set& operator=(const key_set&) = default;
    key_set& operator=(key_set&&) noexcept = default;
    ~key_set();

    const key* find(std::uint32_t id) const;
    const key* current_key() const { return find(current); }
};

enum class key_file_error {
    not_found = 1,
    insecure_permissions, // group- or world-readable
    parse_error,
    invalid_key,          // wrong length or not hex
    duplicate_id,
    no_current_key,       // `current` is missing or names no listed key
    read_failed,          // exists but cannot be opened or read, or is not a regular file
    random_failed,        // the CSPRNG failed while generating a key
};

const std::error_category& key_file_category() noexcept;
std::error_code make_error_code(key_file_error e) noexcept;

// Loads and checks a key file. `detail` receives a human-readable reason
// naming the file and the key id, never key material.
std::optional<key_set> load_key_file(const std::filesystem::path& path, std::error_code& error, std::string& detail);

// Writes a new key file with one fresh random key (mode 0600, refuses to
// overwrite an existing file). Returns std::errc::file_exists when the file
// exists, another errno value on an I/O failure, or key_file_error::random_failed.
std::error_code generate_key_file(const std::filesystem::path& path, std::uint32_t id);

} // namespace citygate::crypto

template <>
struct std::is_error_code_enum<citygate::crypto::key_file_error> : std::true_type {};
