#pragma once
// Metric names and units repeat in every reading, so a reading refers to
// one shared copy of each text through an 8-byte handle instead of
// carrying two 32-byte std::string objects per value.

#include <boost/flyweight.hpp>

#include <string>
#include <string_view>

namespace citygate {

// Immutable text kept once per distinct value by Boost.Flyweight. Equal
// texts share one entry, which is freed when its last handle goes away.
// Constructing one from text takes a lock and a hash lookup, and copying
// one updates an atomic reference count.
class interned_string {
public:
    interned_string() = default;
    interned_string(std::string_view text) : text_(std::string(text)) {}
    interned_string(const std::string& text) : text_(text) {}
    interned_string(const char* text) : text_(std::string(text)) {}

    const std::string& str() const noexcept { return text_.get(); }
    operator const std::string&() const noexcept { return text_.get(); }
    operator std::string_view() const noexcept { return text_.get(); }

    bool empty() const noexcept { return str().empty(); }
    std::size_t size() const noexcept { return str().size(); }

    friend bool operator==(const interned_string& a, std::string_view b) noexcept { return a.str() == b; }

private:
    boost::flyweight<std::string> text_;
};

} // namespace citygate
