// SenML CBOR packs (RFC 8428 section 6) read one CBOR item at a time with
// libcbor's streaming decoder. No item tree is built, and the nesting is
// fixed to an array of maps whose values are plain items.

#include "gateway/senml/record_reader.hpp"
#include "gateway/senml/senml.hpp"
#include "gateway/senml/utf8.hpp"

#include <cbor.h>

#include <algorithm>
#include <optional>

namespace citygate::senml {
namespace {

// One decoded CBOR item, as the streaming callbacks report it.
struct cbor_item {
    enum class kind { unsigned_int, negative_int, floating, boolean, null, text, bytes, array, indefinite_array,
                      map, indefinite_map, end, unsupported };
    kind type = kind::unsupported;
    std::uint64_t integer = 0; // argument of an integer, or an array's or map's size
    double number = 0;
    bool flag = false;
    std::string_view data; // text or byte string, inside the pack
};

cbor_item& item_of(void* context) { return *static_cast<cbor_item*>(context); }
void set_integer(void* context, cbor_item::kind type, std::uint64_t value) {
    item_of(context).type = type;
    item_of(context).integer = value;
}
void set_number(void* context, double value) {
    item_of(context).type = cbor_item::kind::floating;
    item_of(context).number = value;
}
void set_data(void* context, cbor_item::kind type, cbor_data data, std::size_t length) {
    item_of(context).type = type;
    item_of(context).data = std::string_view(reinterpret_cast<const char*>(data), length);
}
void set_kind(void* context, cbor_item::kind type) { item_of(context).type = type; }

cbor_callbacks make_callbacks() {
    using kind = cbor_item::kind;
    cbor_callbacks c = cbor_empty_callbacks;
    c.uint8 = [](void* x, std::uint8_t v) { set_integer(x, kind::unsigned_int, v); };
    c.uint16 = [](void* x, std::uint16_t v) { set_integer(x, kind::unsigned_int, v); };
    c.uint32 = [](void* x, std::uint32_t v) { set_integer(x, kind::unsigned_int, v); };
    c.uint64 = [](void* x, std::uint64_t v) { set_integer(x, kind::unsigned_int, v); };
    c.negint8 = [](void* x, std::uint8_t v) { set_integer(x, kind::negative_int, v); };
    c.negint16 = [](void* x, std::uint16_t v) { set_integer(x, kind::negative_int, v); };
    c.negint32 = [](void* x, std::uint32_t v) { set_integer(x, kind::negative_int, v); };
    c.negint64 = [](void* x, std::uint64_t v) { set_integer(x, kind::negative_int, v); };
    c.float2 = [](void* x, float v) { set_number(x, v); };
    c.float4 = [](void* x, float v) { set_number(x, v); };
    c.float8 = [](void* x, double v) { set_number(x, v); };
    c.boolean = [](void* x, bool v) {
        set_kind(x, kind::boolean);
        item_of(x).flag = v;
    };
    c.string = [](void* x, cbor_data d, std::size_t n) { set_data(x, kind::text, d, n); };
    c.byte_string = [](void* x, cbor_data d, std::size_t n) { set_data(x, kind::bytes, d, n); };
    c.array_start = [](void* x, std::size_t n) { set_integer(x, kind::array, n); };
    c.indef_array_start = [](void* x) { set_kind(x, kind::indefinite_array); };
    c.map_start = [](void* x, std::size_t n) { set_integer(x, kind::map, n); };
    c.indef_map_start = [](void* x) { set_kind(x, kind::indefinite_map); };
    c.indef_break = [](void* x) { set_kind(x, kind::end); };
    c.null = [](void* x) { set_kind(x, kind::null); };
    c.undefined = [](void* x) { set_kind(x, kind::null); };
    // A tag or the start of a chunked string keeps the kind "unsupported",
    // because the items that follow belong to it.
    return c;
}

const cbor_callbacks callbacks = make_callbacks();

// Records reserved up front for a definite-length pack.
constexpr std::uint64_t max_reserved_records = 1024;

// JSON labels of the integer labels in the SenML registry (RFC 8428
// section 12.2), indexed by label + 6. Other integer labels are ignored.
constexpr std::string_view integer_labels[] = {"bs", "bv", "bu", "bt", "bn", "bver", "n",  "u",
                                               "v",  "vs", "vb", "s",  "t",  "ut",   "vd"};

std::string_view label_of(const cbor_item& item) {
    // A negative integer item is -1 - item.integer, so its index is 5 - item.integer.
    if (item.type == cbor_item::kind::negative_int)
        return item.integer <= 5 ? integer_labels[5 - item.integer] : std::string_view{};
    return item.integer <= 8 ? integer_labels[6 + item.integer] : std::string_view{};
}

// Encodes bytes as base64url without padding (RFC 4648 section 5), the form
// "vd" takes in a JSON pack.
std::string to_base64url(std::string_view bytes) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t bits = 0;
    int pending = 0;
    for (const char c : bytes) {
        bits = (bits << 8) | static_cast<unsigned char>(c);
        pending += 8;
        while (pending >= 6) {
            pending -= 6;
            out.push_back(alphabet[(bits >> pending) & 0x3F]);
        }
    }
    if (pending > 0)
        out.push_back(alphabet[(bits << (6 - pending)) & 0x3F]);
    return out;
}

// Walks the items of one pack, the array and then per record a map of label
// and value pairs. Definite and indefinite lengths are both accepted.
class cbor_pack_reader {
public:
    cbor_pack_reader(std::vector<resolved_record>& records, std::string& error)
        : records_(records), error_(error), reader_(base_, error) {}

    bool read(std::span<const std::uint8_t> pack) {
        std::size_t offset = 0;
        while (state_ != state::done) {
            if (offset == pack.size())
                return fail("pack is truncated");
            cbor_item item;
            const auto result = cbor_stream_decode(pack.data() + offset, pack.size() - offset, &callbacks, &item);
            if (result.status == CBOR_DECODER_NEDATA)
                return fail("pack is truncated");
            if (result.status != CBOR_DECODER_FINISHED)
                return fail("pack is not valid CBOR");
            offset += result.read;
            if (!take(item, pack.size() - offset))
                return false;
        }
        if (offset != pack.size())
            return fail("pack ends after " + std::to_string(offset) + " of " + std::to_string(pack.size()) + " bytes");
        return true;
    }

private:
    enum class state { pack, record, label, value, done };

    bool take(const cbor_item& item, std::size_t bytes_left) {
        if (item.type == cbor_item::kind::unsupported)
            return fail("pack has a CBOR tag or a chunked string, which SenML packs do not use");
        switch (state_) {
        case state::pack: return take_pack(item, bytes_left);
        case state::record: return take_record(item);
        case state::label: return take_label(item);
        case state::value: return take_value(item);
        case state::done: break;
        }
        return false;
    }

    // Each record takes at least one byte, so a count beyond the bytes left
    // is rejected before anything is reserved for it.
    bool take_pack(const cbor_item& item, std::size_t bytes_left) {
        if (item.type == cbor_item::kind::indefinite_array) {
            records_left_.reset();
        } else if (item.type == cbor_item::kind::array) {
            if (item.integer > bytes_left)
                return fail("pack is truncated");
            records_left_ = item.integer;
            // A record is at least 3 bytes but resolves to far more, so a
            // forged count reserves a bounded amount and the rest grows.
            records_.reserve(std::min<std::uint64_t>(item.integer, max_reserved_records));
        } else {
            return fail("pack is not a CBOR array");
        }
        state_ = records_left_ == 0 ? state::done : state::record;
        return true;
    }

    bool take_record(const cbor_item& item) {
        if (item.type == cbor_item::kind::end && !records_left_) {
            state_ = state::done;
            return true;
        }
        reader_.begin(records_.size());
        if (item.type == cbor_item::kind::indefinite_map)
            fields_left_.reset();
        else if (item.type == cbor_item::kind::map)
            fields_left_ = item.integer;
        else
            return reader_.fail("is not a CBOR map");
        state_ = state::label;
        return fields_left_ == 0 ? finish_record() : true;
    }

    bool take_label(const cbor_item& item) {
        if (item.type == cbor_item::kind::end && !fields_left_)
            return finish_record();
        if (item.type == cbor_item::kind::unsigned_int || item.type == cbor_item::kind::negative_int) {
            label_ = label_of(item);
        } else if (item.type == cbor_item::kind::text && detail::is_valid_utf8(item.data)) {
            label_ = item.data;
        } else {
            return reader_.fail("has a label that is neither an integer nor a text string");
        }
        state_ = state::value;
        return true;
    }

    bool take_value(const cbor_item& item) {
        detail::field_value value;
        if (!to_field_value(item, value))
            return false;
        if (!reader_.read_field(label_, std::move(value)))
            return false;

        state_ = state::label;
        if (fields_left_ && --*fields_left_ == 0)
            return finish_record();
        return true;
    }

    bool to_field_value(const cbor_item& item, detail::field_value& out) {
        using kind = cbor_item::kind;
        using value_kind = detail::field_value::kind;
        switch (item.type) {
        case kind::unsigned_int:
            out.type = value_kind::number;
            out.number = static_cast<double>(item.integer);
            return true;
        case kind::negative_int:
            out.type = value_kind::number;
            out.number = -1.0 - static_cast<double>(item.integer);
            return true;
        case kind::floating:
            out.type = value_kind::number;
            out.number = item.number;
            return true;
        case kind::boolean:
            out.type = value_kind::boolean;
            out.flag = item.flag;
            return true;
        case kind::text:
            if (!detail::is_valid_utf8(item.data))
                return reader_.fail("field \"" + std::string(label_) + "\" is not valid UTF-8");
            out.type = value_kind::text;
            out.text = item.data;
            return true;
        case kind::bytes:
            // "vd" is a byte string in CBOR and base64url text in JSON.
            if (label_ == "vd") {
                out.type = value_kind::text;
                out.text = to_base64url(item.data);
            }
            return true;
        case kind::null:
            return true;
        case kind::end:
            return fail("pack is not valid CBOR");
        default:
            return reader_.fail("field \"" + std::string(label_) + "\" is an array or map, which SenML does not use");
        }
    }

    bool finish_record() {
        if (!reader_.finish(records_.emplace_back()))
            return false;
        state_ = state::record;
        if (records_left_ && --*records_left_ == 0)
            state_ = state::done;
        return true;
    }

    bool fail(const std::string& reason) {
        error_ = reason;
        return false;
    }

    std::vector<resolved_record>& records_;
    std::string& error_;
    detail::base_fields base_;
    detail::record_reader reader_;
    state state_ = state::pack;
    std::optional<std::uint64_t> records_left_; // unset for an indefinite-length array
    std::optional<std::uint64_t> fields_left_;  // unset for an indefinite-length map
    std::string_view label_;
};

} // namespace

bool decode_cbor(std::span<const std::uint8_t> pack, std::vector<resolved_record>& out, std::string& error) {
    if (pack.size() > max_pack_size) {
        error = "pack is larger than " + std::to_string(max_pack_size) + " bytes";
        return false;
    }

    std::vector<resolved_record> records;
    cbor_pack_reader reader{records, error};
    if (!reader.read(pack))
        return false;

    out = std::move(records);
    error.clear();
    return true;
}

} // namespace citygate::senml
