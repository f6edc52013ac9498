#include "gateway/config/reader.hpp"

#include "gateway/config/values.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <numeric>

namespace citygate::config::detail {

namespace {

// Values longer than this are cut in messages so one bad line cannot flood the log.
constexpr std::size_t max_quoted_length = 60;

std::size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string join(const std::vector<std::string>& words)
{
    std::string out;
    for (const auto& word : words)
        out += (out.empty() ? "" : ", ") + word;
    return out;
}

std::string unit_name(std::chrono::milliseconds unit)
{
    if (unit == std::chrono::hours(1))
        return "hours";
    if (unit == std::chrono::seconds(1))
        return "seconds";
    return "milliseconds";
}

std::string duration_example(std::chrono::milliseconds unit)
{
    if (unit == std::chrono::hours(1))
        return "\"30d\"";
    if (unit == std::chrono::seconds(1))
        return "\"30s\"";
    return "\"500ms\"";
}

// Shortest text that reads back as the same value, as TOML writes it: 1.5, 5.0.
std::string format_float(double value)
{
    std::array<char, 32> buffer{};
    auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    std::string text(buffer.data(), ec == std::errc{} ? end : buffer.data());
    if (text.find_first_of(".eEna") == std::string::npos)
        text += ".0";
    return text;
}

} // namespace

issue_sink::issue_sink(std::filesystem::path file, std::vector<config_issue>& issues)
    : file_(std::move(file)), issues_(issues)
{
}

void issue_sink::error(int line, std::string key, std::string message)
{
    issues_.push_back({file_, line, 0, std::move(key), std::move(message), severity::error});
    ++errors_;
}

void issue_sink::warning(int line, std::string key, std::string message)
{
    issues_.push_back({file_, line, 0, std::move(key), std::move(message), severity::warning});
}

std::string quote_text(std::string_view text)
{
    if (text.size() > max_quoted_length)
        return "\"" + std::string(text.substr(0, max_quoted_length)) + "...\"";
    return "\"" + std::string(text) + "\"";
}

int line_of(const toml::node& node)
{
    return static_cast<int>(node.source().begin.line);
}

std::string describe(const toml::node& node)
{
    switch (node.type()) {
    case toml::node_type::string:
        return quote_text(node.as_string()->get());
    case toml::node_type::integer:
        return std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point:
        return "the floating-point number " + format_float(node.as_floating_point()->get());
    case toml::node_type::boolean:
        return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::table:
        return "a table";
    case toml::node_type::array:
        return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
        return "a date or time";
    case toml::node_type::none:
        break;
    }
    return "an unsupported value";
}

table_reader::table_reader(const toml::table& table, std::string key_path, issue_sink& sink)
    : table_(table), path_(std::move(key_path)), sink_(sink), line_(detail::line_of(table))
{
}

std::string table_reader::key_path(std::string_view key) const
{
    if (path_.empty())
        return std::string(key);
    return path_ + "." + std::string(key);
}

int table_reader::line_of(std::string_view key) const
{
    const auto* node = table_.get(key);
    return node ? detail::line_of(*node) : line_;
}

bool table_reader::contains(std::string_view key) const
{
    return table_.contains(key);
}

const toml::node* table_reader::find(std::string_view key)
{
    if (std::find(known_.begin(), known_.end(), key) == known_.end())
        known_.emplace_back(key);
    return table_.get(key);
}

void table_reader::report_type(std::string_view key, const toml::node& node, std::string_view expected)
{
    sink_.error(detail::line_of(node), key_path(key), "expected " + std::string(expected) + ", got " + describe(node));
}

void table_reader::report_missing(std::string_view key)
{
    sink_.error(line_, key_path(key), "missing required key");
}

bool table_reader::read_string(std::string_view key, std::string& out, presence p)
{
    const auto* node = find(key);
    if (!node) {
        if (p == presence::required)
            report_missing(key);
        return false;
    }
    if (!node->is_string()) {
        report_type(key, *node, "a string");
        return false;
    }
    if (p != presence::optional && node->as_string()->get().empty()) {
        sink_.error(detail::line_of(*node), key_path(key), "must not be empty");
        return false;
    }
    out = node->as_string()->get();
    return true;
}

bool table_reader::read_path(std::string_view key, std::filesystem::path& out, presence p)
{
    std::string text;
    if (!read_string(key, text, p))
        return false;
    out = text;
    return true;
}

bool table_reader::read_bool(std::string_view key, bool& out)
{
    const auto* node = find(key);
    if (!node)
        return false;
    if (!node->is_boolean()) {
        report_type(key, *node, "true or false");
        return false;
    }
    out = node->as_boolean()->get();
    return true;
}

std::optional<std::int64_t> table_reader::read_integer(std::string_view key, std::int64_t min, std::int64_t max)
{
    const auto* node = find(key);
    if (!node)
        return std::nullopt;

    const auto expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (!node->is_integer()) {
        report_type(key, *node, expected);
        return std::nullopt;
    }
    auto value = node->as_integer()->get();
    if (value < min || value > max) {
        report_type(key, *node, expected);
        return std::nullopt;
    }
    return value;
}

bool table_reader::read_choice(std::string_view key, std::string& out, std::initializer_list<std::string_view> choices)
{
    const auto* node = find(key);
    if (!node)
        return false;

    std::vector<std::string> names;
    for (auto choice : choices)
        names.push_back(quote_text(choice));
    const auto expected = "one of " + join(names);

    if (!node->is_string()) {
        report_type(key, *node, expected);
        return false;
    }
    const auto& text = node->as_string()->get();
    if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
        report_type(key, *node, expected);
        return false;
    }
    out = text;
    return true;
}

bool table_reader::read_size(std::string_view key, std::uint64_t& out, std::uint64_t min, std::uint64_t max)
{
    const auto* node = find(key);
    if (!node)
        return false;

    const auto expected = "a size such as \"256MiB\" or an integer number of bytes";
    std::optional<std::uint64_t> value;
    if (node->is_integer() && node->as_integer()->get() >= 0)
        value = static_cast<std::uint64_t>(node->as_integer()->get());
    else if (node->is_string())
        value = parse_size(node->as_string()->get());

    if (!value) {
        report_type(key, *node, expected);
        return false;
    }
    if (*value < min || *value > max) {
        const auto range = max == std::numeric_limits<std::uint64_t>::max()
                               ? "a size of at least " + std::to_string(min) + " bytes"
                               : "a size from " + std::to_string(min) + " to " + std::to_string(max) + " bytes";
        report_type(key, *node, range);
        return false;
    }
    out = *value;
    return true;
}

bool table_reader::read_string_array(std::string_view key, std::vector<std::string>& out)
{
    const auto* node = find(key);
    if (!node)
        return false;
    if (!node->is_array()) {
        report_type(key, *node, "an array of strings");
        return false;
    }

    bool valid = true;
    std::vector<std::string> values;
    const auto& array = *node->as_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
        if (!array[i].is_string()) {
            report_type(std::string(key) + "[" + std::to_string(i) + "]", array[i], "a string");
            valid = false;
            continue;
        }
        values.push_back(array[i].as_string()->get());
    }
    if (valid)
        out = std::move(values);
    return valid;
}

std::optional<std::chrono::milliseconds> table_reader::read_duration_ms(std::string_view key,
                                                                        std::chrono::milliseconds unit,
                                                                        std::chrono::milliseconds min,
                                                                        std::chrono::milliseconds max)
{
    const auto* node = find(key);
    if (!node)
        return std::nullopt;

    const auto expected = "a duration such as " + duration_example(unit) + " or an integer number of " + unit_name(unit);
    const auto range = "a duration from " + format_duration(min) + " to " + format_duration(max);

    std::optional<std::chrono::milliseconds> value;
    if (node->is_integer()) {
        auto count = node->as_integer()->get();
        if (count < 0 || count > max.count() / unit.count()) {
            report_type(key, *node, range);
            return std::nullopt;
        }
        value = unit * count;
    } else if (node->is_string()) {
        value = parse_duration(node->as_string()->get());
    }

    if (!value) {
        report_type(key, *node, expected);
        return std::nullopt;
    }
    if (value->count() % unit.count() != 0) {
        report_type(key, *node, "a whole number of " + unit_name(unit));
        return std::nullopt;
    }
    if (*value < min || *value > max) {
        report_type(key, *node, range);
        return std::nullopt;
    }
    return value;
}

const toml::table* table_reader::read_table(std::string_view key)
{
    const auto* node = find(key);
    if (!node)
        return nullptr;
    if (!node->is_table()) {
        report_type(key, *node, "a table ([" + key_path(key) + "])");
        return nullptr;
    }
    return node->as_table();
}

const toml::array* table_reader::read_table_array(std::string_view key)
{
    const auto* node = find(key);
    if (!node)
        return nullptr;
    if (!node->is_array_of_tables()) {
        report_type(key, *node, "an array of tables ([[" + key_path(key) + "]])");
        return nullptr;
    }
    return node->as_array();
}

void table_reader::report_unknown_keys()
{
    for (const auto& [key, value] : table_) {
        const auto name = key.str();
        if (std::find(known_.begin(), known_.end(), name) != known_.end())
            continue;

        std::string message = "unknown key";
        auto closest = std::min_element(known_.begin(), known_.end(), [&](const auto& a, const auto& b) {
            return edit_distance(name, a) < edit_distance(name, b);
        });
        if (closest != known_.end() && edit_distance(name, *closest) <= 2)
            message += "; did you mean \"" + *closest + "\"?";
        else if (!known_.empty())
            message += "; expected one of: " + join(known_);

        sink_.error(static_cast<int>(key.source().begin.line), key_path(name), message);
    }
}

} // namespace citygate::config::detail
