#include "drivers/modbus/template.hpp"

#include "drivers/modbus/point_syntax.hpp"

#include <toml++/toml.h>

namespace citygate::drivers {

namespace {

// Names become file names, so only [a-z0-9_-] are accepted: no paths.
bool valid_name(std::string_view name)
{
    if (name.empty() || name.size() > 64)
        return false;
    for (char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool copy_limit(const toml::table& doc, const char* key, std::map<std::string, std::string>& options)
{
    const auto* node = doc.get(key);
    if (node == nullptr)
        return true;
    const auto value = node->value<std::int64_t>();
    if (!value)
        return false;
    options.emplace(key, std::to_string(*value));
    return true;
}

} // namespace

std::error_code load_template(const std::filesystem::path& dir, std::string_view name,
                              std::map<std::string, std::string>& options)
{
    if (!valid_name(name))
        return modbus_config_error::invalid_template;

    toml::table doc;
    try {
        doc = toml::parse_file((dir / (std::string(name) + ".toml")).string());
    } catch (const toml::parse_error&) {
        // toml++ reports a missing file as a parse error too.
        return modbus_config_error::invalid_template;
    }

    if (!copy_limit(doc, "max_block", options) || !copy_limit(doc, "max_gap", options))
        return modbus_config_error::invalid_template;
    const auto* points = doc["points"].as_table();
    if (points == nullptr)
        return modbus_config_error::invalid_template;
    for (const auto& [metric, node] : *points) {
        const auto spec = node.value<std::string>();
        if (!spec)
            return modbus_config_error::invalid_template;
        options.emplace("point." + std::string(metric.str()), *spec);
    }
    return {};
}

} // namespace citygate::drivers
