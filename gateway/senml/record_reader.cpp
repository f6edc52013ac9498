#include "gateway/senml/record_reader.hpp"

namespace citygate::senml::detail {
namespace {

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

} // namespace

bool record_reader::read_field(std::string_view label, field_value value) {
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
        return read_string(label, value, fields_.name.emplace());
    if (label == "t")
        return read_number(label, value, fields_.time);
    if (label == "u")
        return read_string(label, value, fields_.unit.emplace());
    if (label == "s")
        return read_number(label, value, fields_.sum.emplace());
    if (label == "v" || label == "vb" || label == "vs" || label == "vd")
        return read_value(label, value);
    if (!label.empty() && label.back() == '_')
        return fail("has the must-understand field \"" + std::string(label) +
                    "\", which this decoder does not support");
    return true;
}

bool record_reader::read_value(std::string_view label, field_value& value) {
    if (fields_.value)
        return fail("has more than one value field");
    if (label == "v") {
        double number = 0;
        if (!read_number(label, value, number))
            return false;
        fields_.value = number;
    } else if (label == "vb") {
        if (value.type != field_value::kind::boolean)
            return fail("field \"vb\" is not a boolean");
        fields_.value = value.flag;
    } else {
        std::string text;
        if (!read_string(label, value, text))
            return false;
        fields_.value = std::move(text);
        fields_.data_value = label == "vd";
    }
    return true;
}

bool record_reader::finish(resolved_record& out) {
    out.name = base_.name + fields_.name.value_or("");
    if (!valid_name(out.name))
        return fail("has the invalid resolved name \"" + out.name + "\"");
    if (!fields_.value && !fields_.sum)
        return fail("has neither a value nor a sum");

    // The base value is added here, after every field of the record is
    // read, because a record may set bv and v together in any order.
    if (double* number = fields_.value ? std::get_if<double>(&*fields_.value) : nullptr)
        *number = add_base(*number, base_.value);

    out.unit = fields_.unit ? std::move(*fields_.unit) : base_.unit;
    out.time_s = base_.time + fields_.time;
    out.data_value = fields_.data_value;
    out.sum.reset();
    if (fields_.sum)
        out.sum = add_base(*fields_.sum, base_.sum);
    out.value = fields_.value ? std::move(*fields_.value) : metric_data{};
    out.has_value = fields_.value.has_value();
    return true;
}

bool record_reader::read_string(std::string_view label, field_value& value, std::string& out) {
    if (value.type != field_value::kind::text)
        return fail("field \"" + std::string(label) + "\" is not a string");
    out = std::move(value.text);
    return true;
}

bool record_reader::read_number(std::string_view label, const field_value& value, double& out) {
    if (value.type != field_value::kind::number)
        return fail("field \"" + std::string(label) + "\" is not a number");
    out = value.number;
    return true;
}

bool record_reader::fail(const std::string& reason) {
    error_ = "record " + std::to_string(index_) + " " + reason;
    return false;
}

} // namespace citygate::senml::detail
