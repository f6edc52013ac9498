#include "drivers/modbus/template.hpp"

#include "drivers/modbus/point_syntax.hpp"

#include <toml++/toml.h>

namespace citygate::drivers {

namespace {

// Shipped template names become file names, so only [a-z0-9_-] are
// accepted there: no paths.
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

// A site's own template is named by its absolute path, e.g. under
// /etc/citygate/templates/, because the shipped directory belongs to the
// package.
bool valid_path(std::string_view name)
{
    const std::filesystem::path path(name);
    return name.size() <= 4096 && path.is_absolute() && path.extension() == ".toml" &&
           path.lexically_normal() == path;
}

} // namespace

std::error_code load_template(const std::filesystem::path& dir, std::string_view name,
                              std::map<std::string, std::string>& options)
{
    std::filesystem::path file;
    if (valid_name(name))
        file = dir / (std::string(name) + ".toml");
    else if (valid_path(name))
        file = name;
    else
        return modbus_config_error::invalid_template;

    toml::table doc;
    try {
        doc = toml::parse_file(file.string());
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
