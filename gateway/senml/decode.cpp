#include "gateway/senml/record_reader.hpp"
#include "gateway/senml/senml.hpp"

#include <nlohmann/json.hpp>

namespace citygate::senml {
namespace {

using json = nlohmann::json;

detail::field_value to_field_value(const json& value) {
    detail::field_value out;
    if (value.is_number()) {
        out.type = detail::field_value::kind::number;
        out.number = value.get<double>();
    } else if (value.is_boolean()) {
        out.type = detail::field_value::kind::boolean;
        out.flag = value.get<bool>();
    } else if (value.is_string()) {
        out.type = detail::field_value::kind::text;
        out.text = value.get<std::string>();
    }
    return out;
}

bool read_record(detail::record_reader& reader, const json& object, std::size_t index, resolved_record& out) {
    reader.begin(index);
    if (!object.is_object())
        return reader.fail("is not a JSON object");
    for (const auto& [label, value] : object.items()) {
        if (!reader.read_field(label, to_field_value(value)))
            return false;
    }
    return reader.finish(out);
}

} // namespace

bool decode_json(std::span<const std::uint8_t> pack, std::vector<resolved_record>& out, std::string& error) {
    if (pack.size() > max_pack_size) {
        error = "pack is larger than " + std::to_string(max_pack_size) + " bytes";
        return false;
    }
    const json document = json::parse(pack.begin(), pack.end(), nullptr, false);
    if (document.is_discarded()) {
        error = "pack is not valid JSON";
        return false;
    }
    if (!document.is_array()) {
        error = "pack is not a JSON array";
        return false;
    }

    std::vector<resolved_record> records;
    records.reserve(document.size());
    detail::base_fields base;
    detail::record_reader reader{base, error};
    for (std::size_t i = 0; i < document.size(); ++i) {
        if (!read_record(reader, document[i], i, records.emplace_back()))
            return false;
    }

    out = std::move(records);
    error.clear();
    return true;
}

} // namespace citygate::senml
