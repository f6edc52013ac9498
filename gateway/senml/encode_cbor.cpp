// SenML CBOR packs (RFC 8428 section 6): the JSON pack's records with the
// integer labels of the SenML registry and binary numbers. A pack takes one
// half to two thirds of the bytes of its JSON form, and the SM4 and
// HMAC-SM3 work and the mobile data shrink with it.

#include "gateway/senml/senml.hpp"
#include "gateway/senml/utf8.hpp"

#include <cbor.h>

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

namespace citygate::senml {
namespace {

// Map labels from the SenML labels registry (RFC 8428 section 12.2).
enum class label : int { base_name = -2, base_time = -3, name = 0, unit = 1, value = 2, string_value = 3, bool_value = 4,
                         time = 6 };

// The array header is written last, when the record count is known. This
// many bytes are kept free for it, enough for 0x9a and a 32-bit count.
constexpr std::size_t array_header_reserve = 5;

// Integers up to 2^53 are exact in a double, so such values go out as CBOR
// integers, which decoders read back as the same number.
constexpr double max_exact_integer = 9007199254740992.0;

class cbor_pack_writer {
public:
    cbor_pack_writer(std::string_view gateway_id, std::vector<std::uint8_t>& out) : gateway_id_(gateway_id), out_(out) {
        out_.assign(array_header_reserve, 0);
    }

    void add(const reading& r) {
        for (const metric_value& m : r.values) {
            // Left out as in the JSON pack, so both content types carry the same records.
            if (const double* number = std::get_if<double>(&m.value); number != nullptr && !std::isfinite(*number))
                continue;
            open_record(r, m.metric, m.unit);
            append_value(m.value);
        }
        if (!r.clock_trusted) {
            open_record(r, "clock_trusted", {});
            append_value(metric_data{false});
        }
    }

    std::size_t records() const { return records_; }
    void set_records(std::size_t count) { records_ = count; }

    // Writes the array header in front of the records and drops the unused
    // part of the reserve.
    void finish() {
        std::array<unsigned char, array_header_reserve> header{};
        const std::size_t length = cbor_encode_array_start(records_, header.data(), header.size());
        const std::size_t unused = array_header_reserve - length;
        std::copy_n(header.begin(), length, out_.begin() + static_cast<std::ptrdiff_t>(unused));
        out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(unused));
    }

private:
    void open_record(const reading& r, std::string_view metric, std::string_view unit_text) {
        ++records_;
        const bool new_base = !has_base_ || r.device_id != base_device_;
        const bool offset = !new_base && r.ts_ms != base_ms_;
        const std::size_t fields = 2 + (new_base ? 2 : 0) + (offset ? 1 : 0) + (unit_text.empty() ? 0 : 1);
        put(cbor_encode_map_start, fields);

        if (new_base) {
            append_base(r);
        } else if (offset) {
            append_label(label::time);
            append_seconds(r.ts_ms - base_ms_);
        }

        append_label(label::name);
        append_text(metric);
        if (!unit_text.empty()) {
            append_label(label::unit);
            append_text(unit_text);
        }
    }

    void append_base(const reading& r) {
        has_base_ = true;
        base_device_ = r.device_id;
        base_ms_ = r.ts_ms;

        base_name_.assign("urn:citygate:");
        base_name_.append(gateway_id_).append(":").append(r.device_id).append(":");
        append_label(label::base_name);
        append_text(base_name_);
        append_label(label::base_time);
        append_seconds(r.ts_ms);
    }

    void append_value(const metric_data& data) {
        std::visit(
            [this](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, double>) {
                    append_label(label::value);
                    append_number(v);
                } else if constexpr (std::is_same_v<T, bool>) {
                    append_label(label::bool_value);
                    put(cbor_encode_bool, v);
                } else {
                    append_label(label::string_value);
                    append_text(v.str());
                }
            },
            data);
    }

    void append_label(label l) { append_integer(static_cast<std::int64_t>(l)); }

    void append_integer(std::int64_t v) {
        if (v >= 0)
            put(cbor_encode_uint, static_cast<std::uint64_t>(v));
        else
            put(cbor_encode_negint, static_cast<std::uint64_t>(-(v + 1)));
    }

    // Whole numbers as integers, then the narrowest float that keeps the
    // value exact. Negative zero stays a float so its sign survives.
    void append_number(double v) {
        const bool whole = std::trunc(v) == v && std::fabs(v) <= max_exact_integer && !(v == 0 && std::signbit(v));
        if (whole)
            append_integer(static_cast<std::int64_t>(v));
        else if (static_cast<double>(static_cast<float>(v)) == v)
            put(cbor_encode_single, static_cast<float>(v));
        else
            put(cbor_encode_double, v);
    }

    // Whole seconds as an integer, otherwise the double nearest to ms / 1000,
    // which a receiver rounds back to the same millisecond.
    void append_seconds(std::int64_t ms) {
        if (ms % 1000 == 0)
            append_integer(ms / 1000);
        else
            put(cbor_encode_double, static_cast<double>(ms) / 1000.0);
    }

    // CBOR text must be valid UTF-8, so an invalid byte becomes U+FFFD as in
    // the JSON pack. Device text is nearly always ASCII and is copied as it is.
    void append_text(std::string_view text) {
        if (!detail::is_valid_utf8(text)) {
            append_text(replace_invalid_utf8(text));
            return;
        }
        put(cbor_encode_string_start, text.size());
        out_.insert(out_.end(), text.begin(), text.end());
    }

    static std::string replace_invalid_utf8(std::string_view text) {
        std::string valid;
        for (std::size_t i = 0; i < text.size();) {
            const std::size_t length =
                static_cast<unsigned char>(text[i]) < 0x80 ? 1 : detail::utf8_sequence_length(text, i);
            if (length == 0) {
                valid.append(detail::replacement_character);
                ++i;
            } else {
                valid.append(text.substr(i, length));
                i += length;
            }
        }
        return valid;
    }

    // Appends one CBOR item written by a libcbor encoder. Nine bytes hold
    // the largest head (0x1b and a 64-bit argument) and a double.
    template <typename Encoder, typename Value>
    void put(Encoder encode, Value v) {
        std::array<unsigned char, 9> item{};
        const std::size_t length = encode(v, item.data(), item.size());
        out_.insert(out_.end(), item.begin(), item.begin() + static_cast<std::ptrdiff_t>(length));
    }

    std::string_view gateway_id_;
    std::vector<std::uint8_t>& out_;
    std::size_t records_ = 0;
    bool has_base_ = false;
    std::string base_device_;
    std::string base_name_;
    std::int64_t base_ms_ = 0;
};

} // namespace

std::vector<std::uint8_t> encode_cbor(std::string_view gateway_id, std::span<const reading> readings) {
    std::vector<std::uint8_t> out;
    encode_cbor_prefix(gateway_id, readings, std::numeric_limits<std::size_t>::max(), out);
    return out;
}

std::size_t encode_cbor_prefix(std::string_view gateway_id, std::span<const reading> readings, std::size_t max_bytes,
                               std::vector<std::uint8_t>& out) {
    // About 12 bytes per record plus a base per reading is a close guess
    // for meter readings and saves most regrowth.
    std::size_t records = 0;
    for (const reading& r : readings)
        records += r.values.size() + 1;
    out.clear();
    out.reserve(std::min(max_bytes, array_header_reserve + records * 14 + readings.size() * (gateway_id.size() + 40)));

    // The size check counts the whole reserve, so a pack may end up to four
    // bytes below max_bytes but never above it.
    cbor_pack_writer writer{gateway_id, out};
    std::size_t encoded = 0;
    for (const reading& r : readings) {
        const std::size_t size_before = out.size();
        const std::size_t records_before = writer.records();
        writer.add(r);
        if (encoded > 0 && out.size() > max_bytes) {
            out.resize(size_before);
            writer.set_records(records_before);
            break;
        }
        ++encoded;
    }
    writer.finish();
    return encoded;
}

} // namespace citygate::senml
