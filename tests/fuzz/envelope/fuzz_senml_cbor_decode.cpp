// libFuzzer target for senml::decode_cbor: any bytes either decode or give a
// reason, and never crash, throw or leak.

#include "gateway/senml/senml.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<citygate::senml::resolved_record> records;
    std::string error;
    const bool ok = citygate::senml::decode_cbor(std::span<const std::uint8_t>(data, size), records, error);
    if (ok != error.empty())
        std::abort(); // a failure must carry a reason, and a success none
    for (const auto& r : records) {
        if (r.name.empty() || (!r.has_value && !r.sum))
            std::abort();
    }
    return 0;
}
