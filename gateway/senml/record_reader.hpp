#pragma once
// Resolution of SenML records (RFC 8428 section 4.6), shared by the JSON
// and CBOR decoders. Each decoder turns one record into labelled fields and
// the reader checks their types and applies the base fields.

#include "gateway/senml/senml.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace citygate::senml::detail {

// One field value as the decoder found it. `text` contains a string, or for
// "vd" the base64url form of the data.
struct field_value {
    enum class kind { number, boolean, text, other };
    kind type = kind::other;
    double number = 0;
    bool flag = false;
    std::string text;
};

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

// Reads the records of one pack in order. A failed call leaves the reason,
// prefixed with the record's index, in `error`.
class record_reader {
public:
    record_reader(base_fields& base, std::string& error) : base_(base), error_(error) {}

    // Starts record `index`, whose fields follow through read_field().
    void begin(std::size_t index) {
        index_ = index;
        fields_ = record_fields{};
    }

    // Checks one field by its JSON label and keeps its value. Unknown labels
    // are ignored unless they end in "_" (must understand, section 4.4).
    bool read_field(std::string_view label, field_value value);

    // Resolves the record begun last against the base fields.
    bool finish(resolved_record& out);

    bool fail(const std::string& reason);

private:
    bool read_value(std::string_view label, field_value& value);
    bool read_string(std::string_view label, field_value& value, std::string& out);
    bool read_number(std::string_view label, const field_value& value, double& out);

    base_fields& base_;
    std::string& error_;
    std::size_t index_ = 0;
    record_fields fields_;
};

} // namespace citygate::senml::detail
