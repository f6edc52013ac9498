#include "gateway/store/reading_codec.hpp"

#include <bit>
#include <string>

namespace citygate::store {

namespace {

constexpr std::uint8_t body_format = 1;
constexpr std::uint8_t flag_clock_trusted = 0x01;

enum class value_kind : std::uint8_t { number = 0, boolean = 1, text = 2 };

void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v)
{
    while (v >= 0x80) {
        out.push_back(static_cast<std::uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(v));
}

void put_string(std::vector<std::uint8_t>& out, std::string_view s)
{
    put_varint(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
}

void put_double(std::vector<std::uint8_t>& out, double d)
{
    auto bits = std::bit_cast<std::uint64_t>(d);
    for (int i = 0; i < 8; ++i) {
        out.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
    }
}

// Bounds-checked reader over a body; every getter fails instead of reading past the end.
class cursor {
public:
    explicit cursor(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    bool at_end() const { return pos_ == bytes_.size(); }

    bool get_byte(std::uint8_t& b)
    {
        if (pos_ >= bytes_.size()) {
            return false;
        }
        b = bytes_[pos_++];
        return true;
    }

    bool get_varint(std::uint64_t& v)
    {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            std::uint8_t b = 0;
            if (!get_byte(b)) {
                return false;
            }
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return true;
            }
        }
        return false;
    }

    // Reads a length-prefixed text of at most `limit` bytes as a view into
    // the input.
    bool get_text(std::string_view& s, std::size_t limit)
    {
        std::uint64_t size = 0;
        if (!get_varint(size) || size > limit || size > bytes_.size() - pos_) {
            return false;
        }
        s = std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<std::size_t>(size));
        pos_ += static_cast<std::size_t>(size);
        return true;
    }

    bool get_string(std::string& s, std::size_t limit)
    {
        std::string_view text;
        if (!get_text(text, limit)) {
            return false;
        }
        s.assign(text);
        return true;
    }

    // Interns the text, so a decoded batch shares names like a polled one.
    bool get_string(interned_string& s, std::size_t limit)
    {
        std::string_view text;
        if (!get_text(text, limit)) {
            return false;
        }
        s = text;
        return true;
    }

    bool get_double(double& d)
    {
        if (bytes_.size() - pos_ < 8) {
            return false;
        }
        std::uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) {
            bits |= static_cast<std::uint64_t>(bytes_[pos_ + i]) << (8 * i);
        }
        pos_ += 8;
        d = std::bit_cast<double>(bits);
        return true;
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
};

bool decode_value(cursor& in, metric_value& out)
{
    std::uint8_t kind = 0;
    if (!in.get_string(out.metric, max_name_size) || !in.get_string(out.unit, max_name_size) || !in.get_byte(kind)) {
        return false;
    }

    switch (static_cast<value_kind>(kind)) {
    case value_kind::number: {
        double d = 0;
        if (!in.get_double(d)) {
            return false;
        }
        out.value = d;
        return true;
    }
    case value_kind::boolean: {
        std::uint8_t b = 0;
        if (!in.get_byte(b) || b > 1) {
            return false;
        }
        out.value = b == 1;
        return true;
    }
    case value_kind::text: {
        interned_string text;
        if (!in.get_string(text, max_string_value_size)) {
            return false;
        }
        out.value = std::move(text);
        return true;
    }
    }
    return false;
}

} // namespace

bool encode_reading_body(const reading& r, std::vector<std::uint8_t>& out)
{
    out.clear();
    if (r.device_id.size() > max_device_id_size || r.values.size() > max_values_per_reading) {
        return false;
    }

    out.push_back(body_format);
    out.push_back(r.clock_trusted ? flag_clock_trusted : 0);
    put_varint(out, r.values.size());
    for (const metric_value& v : r.values) {
        if (v.metric.size() > max_name_size || v.unit.size() > max_name_size) {
            return false;
        }
        put_string(out, v.metric);
        put_string(out, v.unit);

        if (const auto* d = std::get_if<double>(&v.value)) {
            out.push_back(static_cast<std::uint8_t>(value_kind::number));
            put_double(out, *d);
        } else if (const auto* b = std::get_if<bool>(&v.value)) {
            out.push_back(static_cast<std::uint8_t>(value_kind::boolean));
            out.push_back(*b ? 1 : 0);
        } else {
            const std::string& s = std::get<interned_string>(v.value);
            if (s.size() > max_string_value_size) {
                return false;
            }
            out.push_back(static_cast<std::uint8_t>(value_kind::text));
            put_string(out, s);
        }
    }
    return true;
}

bool decode_reading_body(std::span<const std::uint8_t> body, reading& out)
{
    cursor in(body);
    std::uint8_t format = 0;
    std::uint8_t flags = 0;
    std::uint64_t count = 0;
    if (!in.get_byte(format) || format != body_format || !in.get_byte(flags) || (flags & ~flag_clock_trusted) != 0) {
        return false;
    }
    if (!in.get_varint(count) || count > max_values_per_reading) {
        return false;
    }

    out.clock_trusted = (flags & flag_clock_trusted) != 0;
    out.values.resize(static_cast<std::size_t>(count));
    for (metric_value& v : out.values) {
        if (!decode_value(in, v)) {
            return false;
        }
    }
    return in.at_end();
}

} // namespace citygate::store
