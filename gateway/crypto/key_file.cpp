#include "gateway/crypto/key_file.hpp"

#include "gateway/crypto/sm_primitives.hpp"

#include <toml++/toml.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>
#include <string_view>
#include <utility>

namespace citygate::crypto {
namespace {

// A real key file is a few hundred bytes; this bounds what a wrong path
// (a log file, a device) can make the loader read.
constexpr off_t max_key_file_size = 64 * 1024;

class key_file_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.key_file"; }

    std::string message(int value) const override {
        switch (static_cast<key_file_error>(value)) {
        case key_file_error::not_found: return "key file not found";
        case key_file_error::insecure_permissions: return "key file is accessible by group or others";
        case key_file_error::parse_error: return "key file is not valid TOML or lacks required fields";
        case key_file_error::invalid_key: return "key file has an invalid key";
        case key_file_error::duplicate_id: return "key file lists a key id twice";
        case key_file_error::no_current_key: return "key file's current id names no listed key";
        case key_file_error::read_failed: return "key file could not be read";
        case key_file_error::random_failed: return "random number generator failed while generating keys";
        }
        return "unknown key file error";
    }
};

// Closes a descriptor on every return path.
class fd_guard {
public:
    explicit fd_guard(int fd) : fd_(fd) {}
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    ~fd_guard() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

// Collects the failure of one load: the error code and a detail line that
// names the file and key id but never key material.
struct load_failure {
    const std::filesystem::path& path;
    std::error_code& error;
    std::string& detail;

    std::nullopt_t operator()(key_file_error e, std::string_view reason) const {
        error = e;
        detail = "key file " + path.string() + ": " + std::string(reason);
        return std::nullopt;
    }
};

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool decode_hex(std::string_view text, std::span<std::uint8_t> out) {
    if (text.size() != out.size() * 2)
        return false;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int high = hex_digit(text[2 * i]);
        const int low = hex_digit(text[2 * i + 1]);
        if (high < 0 || low < 0)
            return false;
        out[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    return true;
}

bool all_zero(std::span<const std::uint8_t> bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

std::string describe_key(std::size_t index, std::optional<std::uint32_t> id) {
    if (id)
        return "key id " + std::to_string(*id);
    return "[[key]] entry " + std::to_string(index + 1);
}

// Reads the file through one descriptor, so the permission check and the
// read see the same inode.
std::optional<std::string> read_secret_file(const load_failure& fail) {
    fd_guard fd{::open(fail.path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.get() < 0) {
        const int err = errno;
        if (err == ENOENT)
            return fail(key_file_error::not_found, "does not exist");
        return fail(key_file_error::read_failed, std::string("cannot be opened: ") + std::strerror(err));
    }

    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return fail(key_file_error::read_failed, std::string("cannot be inspected: ") + std::strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(key_file_error::read_failed, "is not a regular file");
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return fail(key_file_error::insecure_permissions,
                    std::string("has mode ") + mode + ", but group and others must have no access (run chmod 600)");
    }
    if (st.st_size > max_key_file_size)
        return fail(key_file_error::read_failed, "is larger than 64 KiB, so it is not a key file");

    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            sm::cleanse(text.data(), text.size());
            return fail(key_file_error::read_failed, "was truncated while reading");
        }
        done += static_cast<std::size_t>(n);
    }
    return text;
}

bool is_hex_digit(char c) { return hex_digit(c) >= 0; }

// toml++ quotes the offending token in its parse errors, and for a key
// written without quotes ("enc_key = 0x0123...") that token is the key.
// Quoted tokens longer than one character and runs of 8 or more hex
// digits are replaced, so the message keeps its position and reason only.
std::string redact_parse_error(std::string_view description) {
    std::string out;
    std::size_t i = 0;
    while (i < description.size()) {
        if (description[i] == '\'') {
            const std::size_t close = description.find('\'', i + 1);
            if (close != std::string_view::npos && close - i > 2) {
                out += "'<redacted>'";
                i = close + 1;
                continue;
            }
        }
        std::size_t run = i;
        while (run < description.size() && is_hex_digit(description[run]))
            ++run;
        if (run - i >= 8) {
            out += "<redacted>";
            i = run;
            continue;
        }
        out.append(description.substr(i, std::max<std::size_t>(run - i, 1)));
        i += std::max<std::size_t>(run - i, 1);
    }
    return out;
}

std::nullopt_t fail_parse(const load_failure& fail, const toml::parse_error& error) {
    const auto& where = error.source().begin;
    return fail(key_file_error::parse_error, "line " + std::to_string(where.line) + ", column " +
                                                  std::to_string(where.column) + ": " +
                                                  redact_parse_error(error.description()));
}

std::optional<toml::table> parse_toml(std::string_view text, const load_failure& fail) {
#if TOML_EXCEPTIONS
    try {
        return toml::parse(text, fail.path.string());
    } catch (const toml::parse_error& e) {
        return fail_parse(fail, e);
    }
#else
    toml::parse_result result = toml::parse(text, fail.path.string());
    if (!result)
        return fail_parse(fail, result.error());
    return std::move(result).table();
#endif
}

// Overwrites the hex strings in the parsed document, which are copies of key
// material that would otherwise linger on the heap.
void cleanse_key_strings(toml::table& doc) {
    toml::array* entries = doc["key"].as_array();
    if (entries == nullptr)
        return;
    for (toml::node& entry : *entries) {
        toml::table* table = entry.as_table();
        if (table == nullptr)
            continue;
        for (const char* field : {"enc_key", "mac_key"}) {
            if (toml::value<std::string>* value = (*table)[field].as_string())
                sm::cleanse(value->get().data(), value->get().size());
        }
    }
}

template <std::size_t N>
bool read_key_bytes(const toml::table& entry, const char* field, std::array<std::uint8_t, N>& out,
                    const load_failure& fail, const std::string& who) {
    const std::optional<std::string_view> text = entry[field].value<std::string_view>();
    if (!text) {
        fail(key_file_error::invalid_key, who + ": " + field + " is missing or not a string");
        return false;
    }
    if (!decode_hex(*text, out)) {
        fail(key_file_error::invalid_key, who + ": " + field + " must be " + std::to_string(N * 2) +
                                              " hex digits (" + std::to_string(N) + " bytes)");
        return false;
    }
    if (all_zero(out)) {
        fail(key_file_error::invalid_key, who + ": " + field + " is all zeros, which is a placeholder, not a key");
        return false;
    }
    return true;
}

std::optional<key> read_key_entry(const toml::node& node, std::size_t index, const load_failure& fail) {
    const toml::table* entry = node.as_table();
    if (entry == nullptr)
        return fail(key_file_error::parse_error, describe_key(index, std::nullopt) + " is not a table");

    const std::optional<std::int64_t> id = (*entry)["id"].value<std::int64_t>();
    if (!id || *id < 0 || *id > static_cast<std::int64_t>(UINT32_MAX))
        return fail(key_file_error::invalid_key,
                    describe_key(index, std::nullopt) + ": id must be an integer from 0 to 4294967295");

    key k;
    k.id = static_cast<std::uint32_t>(*id);
    const std::string who = describe_key(index, k.id);
    if (!read_key_bytes(*entry, "enc_key", k.enc_key, fail, who) ||
        !read_key_bytes(*entry, "mac_key", k.mac_key, fail, who)) {
        sm::cleanse(&k, sizeof k);
        return std::nullopt;
    }
    return k;
}

std::optional<key_set> read_key_set(const toml::table& doc, const load_failure& fail) {
    const toml::array* entries = doc["key"].as_array();
    if (entries == nullptr || entries->empty())
        return fail(key_file_error::parse_error, "has no [[key]] entries");

    key_set keys;
    // Reserving up front keeps the vector from reallocating, which would
    // free copies of the keys without wiping them.
    keys.keys.reserve(entries->size());
    for (std::size_t i = 0; i < entries->size(); ++i) {
        std::optional<key> k = read_key_entry((*entries)[i], i, fail);
        if (!k)
            return std::nullopt;
        if (keys.find(k->id) != nullptr)
            return fail(key_file_error::duplicate_id, describe_key(i, k->id) + " is listed more than once");
        keys.keys.push_back(*k);
        sm::cleanse(&*k, sizeof *k);
    }

    const toml::node_view<const toml::node> current = doc["current"];
    if (!current)
        return fail(key_file_error::no_current_key, "has no 'current' key id");
    const std::optional<std::int64_t> current_id = current.value<std::int64_t>();
    if (!current_id || *current_id < 0 || *current_id > static_cast<std::int64_t>(UINT32_MAX))
        return fail(key_file_error::parse_error, "'current' must be an integer key id");
    keys.current = static_cast<std::uint32_t>(*current_id);
    if (keys.current_key() == nullptr)
        return fail(key_file_error::no_current_key,
                    "current = " + std::to_string(keys.current) + " names no [[key]] entry");
    return keys;
}

std::string format_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const std::uint8_t b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0f]);
    }
    return out;
}

std::string format_key_file(const key& k) {
    std::string enc = format_hex(k.enc_key);
    std::string mac = format_hex(k.mac_key);
    std::string id = std::to_string(k.id);
    std::string text = "# citygate uplink keys: SM4 enc_key and HMAC-SM3 mac_key per key id.\n"
                       "# Keep this file at mode 0600 and never paste it into logs or tickets.\n"
                       "current = " + id + "\n\n[[key]]\nid = " + id + "\nenc_key = \"" + enc +
                       "\"\nmac_key = \"" + mac + "\"\n";
    sm::cleanse(enc.data(), enc.size());
    sm::cleanse(mac.data(), mac.size());
    return text;
}

std::error_code write_all(int fd, std::string_view text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return {errno, std::generic_category()};
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0)
        return {errno, std::generic_category()};
    return {};
}

} // namespace

const key* key_set::find(std::uint32_t id) const {
    const auto it = std::find_if(keys.begin(), keys.end(), [id](const key& k) { return k.id == id; });
    return it == keys.end() ? nullptr : &*it;
}

key_set::~key_set() {
    for (key& k : keys)
        sm::cleanse(&k, sizeof k);
}

const std::error_category& key_file_category() noexcept {
    static const key_file_category_impl category;
    return category;
}

std::error_code make_error_code(key_file_error e) noexcept { return {static_cast<int>(e), key_file_category()}; }

std::optional<key_set> load_key_file(const std::filesystem::path& path, std::error_code& error, std::string& detail) {
    const load_failure fail{path, error, detail};
    std::optional<std::string> text = read_secret_file(fail);
    if (!text)
        return std::nullopt;

    std::optional<toml::table> doc = parse_toml(*text, fail);
    sm::cleanse(text->data(), text->size());
    if (!doc)
        return std::nullopt;

    std::optional<key_set> keys = read_key_set(*doc, fail);
    cleanse_key_strings(*doc);
    if (keys) {
        error.clear();
        detail.clear();
    }
    return keys;
}

std::error_code generate_key_file(const std::filesystem::path& path, std::uint32_t id) {
    key k;
    k.id = id;
    if (!sm::random_bytes(k.enc_key) || !sm::random_bytes(k.mac_key))
        return key_file_error::random_failed;

    std::string text = format_key_file(k);
    sm::cleanse(&k, sizeof k);

    fd_guard fd{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR)};
    if (fd.get() < 0) {
        const int err = errno;
        sm::cleanse(text.data(), text.size());
        return {err, std::generic_category()};
    }

    std::error_code error = write_all(fd.get(), text);
    sm::cleanse(text.data(), text.size());
    if (::close(fd.release()) != 0 && !error)
        error = {errno, std::generic_category()};
    if (error)
        ::unlink(path.c_str());
    return error;
}

} // namespace citygate::crypto
