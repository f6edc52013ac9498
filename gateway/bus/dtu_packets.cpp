#include "gateway/bus/dtu_packets.hpp"

#include "protocols/common/hex.hpp"

#include <algorithm>
#include <utility>

namespace citygate::bus {

namespace {

bool printable(std::span<const std::uint8_t> bytes)
{
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b >= 0x20 && b < 0x7f; });
}

bool starts_with(std::span<const std::uint8_t> bytes, std::span<const std::uint8_t> prefix)
{
    return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

} // namespace

std::string describe_packet(std::span<const std::uint8_t> bytes)
{
    if (!bytes.empty() && printable(bytes))
        return "\"" + std::string(bytes.begin(), bytes.end()) + "\"";
    return "hex " + proto::to_hex(bytes);
}

registration_matcher::registration_matcher(const std::string& spec)
{
    std::string error;
    auto packet = config::parse_dtu_packet(spec, true, error);
    if (!packet) {
        // Only reachable with a config that skipped validation; such a
        // registration matches nothing.
        description_ = "invalid registration " + spec;
        return;
    }
    if (packet->is_pattern()) {
        pattern_.emplace(packet->pattern, std::regex::ECMAScript);
        description_ = "pattern " + packet->pattern;
        return;
    }
    bytes_ = std::move(packet->bytes);
    description_ = describe_packet(bytes_);
}

std::optional<std::size_t> registration_matcher::match_prefix(std::span<const std::uint8_t> received) const
{
    if (bytes_.empty() || !starts_with(received, bytes_))
        return std::nullopt;
    return bytes_.size();
}

bool registration_matcher::could_complete(std::span<const std::uint8_t> received) const
{
    return !bytes_.empty() && received.size() < bytes_.size() &&
           std::equal(received.begin(), received.end(), bytes_.begin());
}

bool registration_matcher::match_complete(std::span<const std::uint8_t> packet) const
{
    if (!pattern_ || packet.empty() || packet.size() > config::max_dtu_packet_bytes || !printable(packet))
        return false;
    const std::string text(packet.begin(), packet.end());
    try {
        return std::regex_match(text, *pattern_);
    } catch (const std::regex_error&) {
        // libstdc++ throws error_complexity or error_stack when backtracking
        // gets too deep; wire input must not throw, so that is no match.
        return false;
    }
}

void packet_stripper::add_packet(std::vector<std::uint8_t> packet)
{
    if (packet.empty() || std::find(packets_.begin(), packets_.end(), packet) != packets_.end())
        return;
    packets_.push_back(std::move(packet));
}

std::vector<std::uint8_t> packet_stripper::feed(std::span<const std::uint8_t> chunk)
{
    auto data = std::exchange(held_, {});
    data.insert(data.end(), chunk.begin(), chunk.end());

    while (!data.empty()) {
        auto whole = std::find_if(packets_.begin(), packets_.end(),
                                  [&](const std::vector<std::uint8_t>& packet) { return starts_with(data, packet); });
        if (whole != packets_.end()) {
            data.erase(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(whole->size()));
            ++stripped_;
            continue;
        }

        const bool partial = std::any_of(packets_.begin(), packets_.end(), [&](const std::vector<std::uint8_t>& packet) {
            return data.size() < packet.size() && std::equal(data.begin(), data.end(), packet.begin());
        });
        if (partial) {
            held_ = std::move(data);
            return {};
        }
        break;
    }
    return data;
}

std::vector<std::uint8_t> packet_stripper::release()
{
    return std::exchange(held_, {});
}

} // namespace citygate::bus
