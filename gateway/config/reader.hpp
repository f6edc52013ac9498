#pragma once
// Typed access to one TOML table that records every problem as a
// config_issue with file, line and key, and reports keys nobody read as
// unknown. Internal to the config loader.

#include "gateway/config/config.hpp"

#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace citygate::config::detail {

class issue_sink {
public:
    issue_sink(std::filesystem::path file, std::vector<config_issue>& issues);

    void error(int line, std::string key, std::string message);
    void warning(int line, std::string key, std::string message);

    const std::filesystem::path& file() const { return file_; }
    std::size_t error_count() const { return errors_; }

private:
    std::filesystem::path file_;
    std::vector<config_issue>& issues_;
    std::size_t errors_ = 0;
};

int line_of(const toml::node& node);

// Quotes text for a message and cuts it after 60 characters.
std::string quote_text(std::string_view text);

// Describes a value for "got ..." in messages: "fast" quoted, numbers as
// written, other types by name ("a table").
std::string describe(const toml::node& node);

enum class presence {
    optional,  // may be absent or empty
    non_empty, // may be absent, but an empty string is invalid
    required,  // must be present and not empty
};

class table_reader {
public:
    // `key_path` is the table's own dotted path ("" for the root, "device[2]").
    table_reader(const toml::table& table, std::string key_path, issue_sink& sink);

    int line() const { return line_; }
    issue_sink& sink() { return sink_; }

    // Dotted path of a key in this table, e.g. "device[2].poll_interval".
    std::string key_path(std::string_view key) const;

    // Line of the key's value, or of the table header when the key is absent.
    int line_of(std::string_view key) const;

    bool contains(std::string_view key) const;

    // Each reader below marks `key` as known, leaves `out` unchanged when the
    // key is absent or its value is invalid, and reports invalid values.
    bool read_string(std::string_view key, std::string& out, presence p = presence::optional);
    bool read_path(std::string_view key, std::filesystem::path& out, presence p = presence::optional);
    bool read_bool(std::string_view key, bool& out);
    std::optional<std::int64_t> read_integer(std::string_view key, std::int64_t min, std::int64_t max);
    bool read_choice(std::string_view key, std::string& out, std::initializer_list<std::string_view> choices);
    bool read_size(std::string_view key, std::uint64_t& out, std::uint64_t min,
                   std::uint64_t max = std::numeric_limits<std::uint64_t>::max());
    bool read_string_array(std::string_view key, std::vector<std::string>& out);

    template <class T>
    bool read_number(std::string_view key, T& out, std::int64_t min, std::int64_t max)
    {
        auto value = read_integer(key, min, max);
        if (value)
            out = static_cast<T>(*value);
        return value.has_value();
    }

    // Reads a duration given as text with a unit or as an integer in the
    // unit of `out` (seconds for std::chrono::seconds) and checks min..max.
    template <class Rep, class Period>
    bool read_duration(std::string_view key, std::chrono::duration<Rep, Period>& out,
                       std::chrono::milliseconds min, std::chrono::milliseconds max)
    {
        using unit = std::chrono::duration<Rep, Period>;
        const auto unit_ms = std::chrono::duration_cast<std::chrono::milliseconds>(unit(1));
        auto value = read_duration_ms(key, unit_ms, min, max);
        if (value)
            out = std::chrono::duration_cast<unit>(*value);
        return value.has_value();
    }

    // The raw value of `key`, marked as known, for readers of formats that
    // take more than one TOML type. nullptr when the key is absent.
    const toml::node* read_node(std::string_view key) { return find(key); }

    // Sub-tables and arrays of tables; report a value of another type.
    const toml::table* read_table(std::string_view key);
    const toml::array* read_table_array(std::string_view key);

    // Reports every key that no reader asked for, with the closest known
    // key as a suggestion. Call once after all reads.
    void report_unknown_keys();

private:
    const toml::node* find(std::string_view key);
    void report_type(std::string_view key, const toml::node& node, std::string_view expected);
    void report_missing(std::string_view key);
    std::optional<std::chrono::milliseconds> read_duration_ms(std::string_view key, std::chrono::milliseconds unit,
                                                              std::chrono::milliseconds min,
                                                              std::chrono::milliseconds max);

    const toml::table& table_;
    std::string path_;
    issue_sink& sink_;
    int line_;
    std::vector<std::string> known_;
};

} // namespace citygate::config::detail
