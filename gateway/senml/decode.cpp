#include "gateway/senml/senml.hpp"

#include <nlohmann/json.hpp>

#include <optional>

namespace citygate::senml {
namespace {

using json = nlohmann::json;

// Base fields stay in force from the record that sets them until a later
// record sets them again (RFC 8428 section 4.6). bv and bs stay unset rather
// than 0 until a record sets them, because -0.0 + 0.0 would turn a negative
// zero positive.
struct base_fields {
    std::string name;
    double time = 0;
    std::string unit;
    std::optional<double> value;
    std::optional<double> sum;
};

struct record_fields {
    std::optional<std::string> name;
    double time = 0;
    std::optional<std::string> unit;
    std::optional<metric_data> value;
    bool data_value = false;
    std::optional<double> sum;
};

// Adds a base value or base sum when the pack set one (RFC 8428 section 4.1).
double add_base(double value, const std::optional<double>& base) { return base ? value + *base : value; }

// RFC 8428 section 4.5.1: a resolved name starts with a letter or digit and
// contains only letters, digits and "-:./_".
bool valid_name(std::string_view name) {
    const auto alnum = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    };
    if (name.empty() || !alnum(name.front()))
        return false;
    for (const char c : name) {
        if (!alnum(c) && c != '-' && c != ':' && c != '.' && c != '/' && c != '_')
            return false;
    }
    return true;
}

class record_reader {
public:
    record_reader(base_fields& base, std::string& error) : base_(base), error_(error) {}

    bool read(const json& object, std::size_t index, resolved_record& out) {
        index_ = index;
        if (!object.is_object())
            return fail("is not a JSON object");

        record_fields fields;
        for (const auto& [label, value] : object.items()) {
            if (!read_field(label, value, fields))
                return false;
        }
        return resolve(fields, out);
    }

private:
    bool read_field(const std::string& label, const json& value, record_fields& fields) {
        if (label == "bn")
            return read_string(label, value, base_.name);
        if (label == "bt")
            return read_number(label, value, base_.time);
        if (label == "bu")
            return read_string(label, value, base_.unit);
        if (label == "bv")
            return read_number(label, value, base_.value.emplace());
        if (label == "bs")
            return read_number(label, value, base_.sum.emplace());
        if (label == "bver" || label == "ut") {
            double ignored = 0;
            return read_number(label, value, ignored);
        }
        if (label == "n")
            return read_string(label, value, fields.name.emplace());
        if (label == "t")
            return read_number(label, value, fields.time);
        if (label == "u")
            return read_string(label, value, fields.unit.emplace());
        if (label == "s")
            return read_number(label, value, fields.sum.emplace());
        if (label == "v" || label == "vb" || label == "vs" || label == "vd")
            return read_value(label, value, fields);
        // Labels ending in "_" must be understood (RFC 8428 section 4.4).
        if (!label.empty() && label.back() == '_')
            return fail("has the must-understand field \"" + label + "\", which this decoder does not support");
        return true;
    }

    bool read_value(const std::string& label, const json& value, record_fields& fields) {
        if (fields.value)
            return fail("has more than one value field");
        if (label == "v") {
            double number = 0;
            if (!read_number(label, value, number))
                return false;
            fields.value = number;
        } else if (label == "vb") {
            if (!value.is_boolean())
                return fail("field \"vb\" is not a boolean");
            fields.value = value.get<bool>();
        } else {
            std::string text;
            if (!read_string(label, value, text))
                return false;
            fields.value = std::move(text);
            fields.data_value = label == "vd";
        }
        return true;
    }

    bool resolve(record_fields& fields, resolved_record& out) {
        out.name = base_.name + fields.name.value_or("");
        if (!valid_name(out.name))
            return fail("has the invalid resolved name \"" + out.name + "\"");
        if (!fields.value && !fields.sum)
            return fail("has neither a value nor a sum");

        // The base value is added here, after every field of the record is
        // read, because a record may set bv and v together in any order.
        if (double* number = fields.value ? std::get_if<double>(&*fields.value) : nullptr)
            *number = add_base(*number, base_.value);

        out.unit = fields.unit ? std::move(*fields.unit) : base_.unit;
        out.time_s = base_.time + fields.time;
        out.data_value = fields.data_value;
        out.sum.reset();
        if (fields.sum)
            out.sum = add_base(*fields.sum, base_.sum);
        out.value = fields.value ? std::move(*fields.value) : metric_data{};
        out.has_value = fields.value.has_value();
        return true;
    }

    bool read_string(const std::string& label, const json& value, std::string& out) {
        if (!value.is_string())
            return fail("field \"" + label + "\" is not a string");
        out = value.get<std::string>();
        return true;
    }

    bool read_number(const std::string& label, const json& value, double& out) {
        if (!value.is_number())
            return fail("field \"" + label + "\" is not a number");
        out = value.get<double>();
        return true;
    }

    bool fail(const std::string& reason) {
        error_ = "record " + std::to_string(index_) + " " + reason;
        return false;
    }

    base_fields& base_;
    std::string& error_;
    std::size_t index_ = 0;
};

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
    base_fields base;
    record_reader reader{base, error};
    for (std::size_t i = 0; i < document.size(); ++i) {
        if (!reader.read(document[i], i, records.emplace_back()))
            return false;
    }

    out = std::move(records);
    error.clear();
    return true;
}

} // namespace citygate::senml
