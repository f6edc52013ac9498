#include "gateway/senml/json_writer.hpp"
#include "gateway/senml/senml.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

namespace citygate::senml {
namespace {

using detail::append_json_number;
using detail::append_json_string;
using detail::append_raw;
using detail::append_seconds_from_ms;

// Writes the records of one pack. A run of consecutive readings from the
// same device shares one base name and base time; later readings in the run
// carry their offset in `t`.
class pack_writer {
public:
    pack_writer(std::string_view gateway_id, std::vector<std::uint8_t>& out) : gateway_id_(gateway_id), out_(out) {}

    void add(const reading& r) {
        for (const metric_value& m : r.values) {
            if (const double* number = std::get_if<double>(&m.value); number != nullptr && !std::isfinite(*number))
                continue; // JSON has no NaN or infinity, and SenML no way to mark one
            open_record(r, m.metric, m.unit);
            append_value(m.value);
        }
        if (!r.clock_trusted) {
            open_record(r, "clock_trusted", {});
            append_value(metric_data{false});
        }
    }

    void finish() { out_.push_back(']'); }

private:
    void open_record(const reading& r, std::string_view metric, std::string_view unit) {
        out_.push_back(first_record_ ? '[' : ',');
        first_record_ = false;
        out_.push_back('{');

        if (!has_base_ || r.device_id != base_device_) {
            append_base(r);
        } else if (r.ts_ms != base_ms_) {
            append_raw(out_, "\"t\":");
            append_seconds_from_ms(out_, r.ts_ms - base_ms_);
            out_.push_back(',');
        }

        append_raw(out_, "\"n\":");
        append_json_string(out_, metric);
        if (!unit.empty()) {
            append_raw(out_, ",\"u\":");
            append_json_string(out_, unit);
        }
    }

    void append_base(const reading& r) {
        has_base_ = true;
        base_device_ = r.device_id;
        base_ms_ = r.ts_ms;

        base_name_.assign("urn:citygate:");
        base_name_.append(gateway_id_).append(":").append(r.device_id).append(":");
        append_raw(out_, "\"bn\":");
        append_json_string(out_, base_name_);
        append_raw(out_, ",\"bt\":");
        append_seconds_from_ms(out_, r.ts_ms);
        out_.push_back(',');
    }

    void append_value(const metric_data& value) {
        std::visit(
            [this](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, double>) {
                    append_raw(out_, ",\"v\":");
                    append_json_number(out_, v);
                } else if constexpr (std::is_same_v<T, bool>) {
                    append_raw(out_, v ? ",\"vb\":true" : ",\"vb\":false");
                } else {
                    append_raw(out_, ",\"vs\":");
                    append_json_string(out_, v);
                }
            },
            value);
        out_.push_back('}');
    }

    std::string_view gateway_id_;
    std::vector<std::uint8_t>& out_;
    bool first_record_ = true;
    bool has_base_ = false;
    std::string base_device_;
    std::string base_name_;
    std::int64_t base_ms_ = 0;
};

} // namespace

std::vector<std::uint8_t> encode_json(std::string_view gateway_id, std::span<const reading> readings) {
    std::vector<std::uint8_t> out;
    encode_json_prefix(gateway_id, readings, std::numeric_limits<std::size_t>::max(), out);
    return out;
}

std::size_t encode_json_prefix(std::string_view gateway_id, std::span<const reading> readings, std::size_t max_bytes,
                               std::vector<std::uint8_t>& out) {
    out.clear();
    // About 40 bytes per record plus a base per reading is a close guess
    // for meter readings and saves most regrowth.
    std::size_t records = 0;
    for (const reading& r : readings)
        records += r.values.size() + 1;
    out.reserve(std::min(max_bytes, 2 + records * 48 + readings.size() * (gateway_id.size() + 48)));

    // A reading that would push the pack past max_bytes is cut off again
    // and ends the pack, so the writer's base state no longer matters.
    pack_writer writer{gateway_id, out};
    std::size_t encoded = 0;
    for (const reading& r : readings) {
        const std::size_t size_before = out.size();
        writer.add(r);
        if (encoded > 0 && out.size() + 1 > max_bytes) {
            out.resize(size_before);
            break;
        }
        ++encoded;
    }
    if (out.empty())
        out.push_back('[');
    writer.finish();
    return encoded;
}

} // namespace citygate::senml
