// libFuzzer target for the bytes a 4G DTU sends after connecting. The
// registration goes through registration_matcher in the order and with the
// 256-byte limit of dtu_listener. The stream after it goes through
// packet_stripper, which removes heartbeats and repeated registrations, in
// chunks of varying size as TCP delivers them.
//
// Input layout:
//   byte 0      bits 0-1: the first bus's registration form (0 text, 1 hex,
//               2 one of the patterns below, 3 an invalid registration);
//               bits 2-7: seed of the chunk sizes
//   byte 1      length L - 1 of the first bus's registration (1 to 256 bytes;
//               the first of them selects the pattern)
//   L bytes     that registration
//   the rest    what the DTU sends
// Three more buses follow the first one: text:CL-0001, hex:FE 00 12 AB and
// pattern:CL-[0-9]{4}, each with heartbeat text:HB.

#include "gateway/bus/dtu_packets.hpp"
#include "gateway/config/values.hpp"
#include "protocols/common/hex.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace {

using citygate::bus::packet_stripper;
using citygate::bus::registration_matcher;
using citygate::config::max_dtu_packet_bytes;
using bytes_view = std::span<const std::uint8_t>;

// Example registration patterns: a numbered id, an 8-digit hex id, an IMEI
// with a firmware version, and a prefix with a number.
const char* const patterns[] = {"pattern:CL-[0-9]{4}", "pattern:[0-9A-F]{8}", "pattern:DTU,[0-9]{15},.*",
                                "pattern:(HB|REG)[0-9]+"};

// The size of dtu_transport's read buffer: no chunk after registration is longer.
constexpr std::size_t max_chunk_bytes = 512;

// Chunk sizes from a linear congruential generator, so one input byte
// selects a whole split of the stream.
class chunk_sizes {
public:
    explicit chunk_sizes(std::uint8_t seed) : state_(seed) {}

    std::size_t next(std::size_t max)
    {
        state_ = state_ * 1103515245u + 12345u;
        return 1 + (state_ >> 16) % max;
    }

private:
    std::uint32_t state_;
};

bool printable(bytes_view bytes)
{
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b >= 0x20 && b < 0x7f; });
}

std::string spec_of(std::uint8_t form, bytes_view registration)
{
    switch (form) {
    case 0:
        return "text:" + std::string(registration.begin(), registration.end());
    case 1:
        return "hex:" + citygate::proto::to_hex(registration);
    case 2:
        return patterns[registration.empty() ? 0 : registration[0] % std::size(patterns)];
    default:
        return "bogus:" + std::string(registration.begin(), registration.end());
    }
}

// Checks what one matcher reports about `received` against each other and
// against the limits, and returns the registration length it matches.
std::optional<std::size_t> check_prefix(const registration_matcher& m, bytes_view received)
{
    const auto length = m.match_prefix(received);
    if (length) {
        if (*length == 0 || *length > received.size() || *length > max_dtu_packet_bytes)
            std::abort();
        if (m.match_prefix(received.first(*length)) != length || !m.could_complete(received.first(*length - 1)))
            std::abort();
        if (m.is_pattern())
            std::abort();
    }
    if (m.could_complete(received) && (length || received.size() >= max_dtu_packet_bytes))
        std::abort();
    return length;
}

void check_complete(const registration_matcher& m, bytes_view received, bool matched)
{
    if (matched && (!m.is_pattern() || received.empty() || received.size() > max_dtu_packet_bytes ||
                    !printable(received)))
        std::abort();
}

// Feeds `stream` to a stripper with the bus's heartbeat and registration,
// as dtu_transport does after adopting the connection, and checks that only
// whole packets go and that held bytes stay shorter than a packet.
void check_stripping(bytes_view registration, bytes_view rest, bytes_view stream, chunk_sizes& sizes)
{
    const std::vector<std::uint8_t> heartbeat{'H', 'B'};
    packet_stripper stripper;
    stripper.add_packet(heartbeat);
    stripper.add_packet({registration.begin(), registration.end()});
    const auto shortest = std::min(heartbeat.size(), registration.size());
    const auto longest = std::max(heartbeat.size(), registration.size());

    std::size_t data_bytes = stripper.feed(rest).size();
    for (std::size_t pos = 0; pos < stream.size();) {
        const auto n = std::min(sizes.next(max_chunk_bytes), stream.size() - pos);
        data_bytes += stripper.feed(stream.subspan(pos, n)).size();
        pos += n;
    }
    const auto held = stripper.release();
    if (held.size() >= longest || stripper.holding())
        std::abort();
    data_bytes += held.size();

    const auto removed = rest.size() + stream.size() - data_bytes;
    if (data_bytes > rest.size() + stream.size() || removed < stripper.stripped() * shortest ||
        removed > stripper.stripped() * longest)
        std::abort();
}

// A heartbeat split anywhere inside must be removed as if it came whole.
void check_split_heartbeat(bytes_view data)
{
    std::vector<std::uint8_t> stream{'H', 'B'};
    stream.insert(stream.end(), data.begin(), data.end());

    packet_stripper whole;
    whole.add_packet({'H', 'B'});
    const auto expected = whole.feed(stream);

    for (std::size_t at = 0; at <= 2; ++at) {
        packet_stripper split;
        split.add_packet({'H', 'B'});
        auto out = split.feed(bytes_view(stream).first(at));
        const auto second = split.feed(bytes_view(stream).subspan(at));
        out.insert(out.end(), second.begin(), second.end());
        if (out != expected || split.stripped() != whole.stripped() || split.holding() != whole.holding())
            std::abort();
    }
}

// Reads the registration as dtu_listener does: exact text and hex matches
// as bytes arrive, a pattern once the DTU pauses or 256 bytes came. Returns
// the matcher's index and the registration length, or std::nullopt when
// the listener rejects the connection. `used` receives the number of
// stream bytes read.
std::optional<std::pair<std::size_t, std::size_t>> read_registration(const std::vector<registration_matcher>& buses,
                                                                     bytes_view stream, chunk_sizes& sizes,
                                                                     std::size_t& used)
{
    std::vector<std::uint8_t> received;
    used = 0;
    while (used < stream.size()) {
        const auto room = max_dtu_packet_bytes - received.size();
        const auto n = std::min(sizes.next(std::min<std::size_t>(room, 64)), stream.size() - used);
        received.insert(received.end(), stream.begin() + static_cast<std::ptrdiff_t>(used),
                        stream.begin() + static_cast<std::ptrdiff_t>(used + n));
        used += n;

        bool could_complete = false;
        for (std::size_t i = 0; i < buses.size(); ++i) {
            if (auto length = check_prefix(buses[i], received))
                return std::pair{i, *length};
            could_complete = could_complete || buses[i].could_complete(received);
        }
        if (!could_complete && received.size() >= max_dtu_packet_bytes)
            break;
    }
    if (received.size() > max_dtu_packet_bytes)
        std::abort();

    // The pause, the timeout or the 256-byte limit: decide.
    for (std::size_t i = 0; i < buses.size(); ++i) {
        const bool matched = buses[i].match_complete(received);
        check_complete(buses[i], received, matched);
        if (matched)
            return std::pair{i, received.size()};
    }
    return std::nullopt;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 2)
        return 0;
    const bytes_view input(data, size);
    const auto form = static_cast<std::uint8_t>(input[0] & 0x03);
    chunk_sizes sizes(static_cast<std::uint8_t>(input[0] >> 2));
    const auto length = std::min<std::size_t>(input[1] + std::size_t{1}, size - 2);
    const auto own = input.subspan(2, length);
    const auto stream = input.subspan(2 + length);

    std::vector<registration_matcher> buses;
    buses.emplace_back(spec_of(form, own));
    buses.emplace_back("text:CL-0001");
    buses.emplace_back("hex:FE 00 12 AB");
    buses.emplace_back("pattern:CL-[0-9]{4}");

    std::size_t used = 0;
    const auto match = read_registration(buses, stream, sizes, used);
    if (match) {
        const auto registration_bytes = match->second;
        const auto registration = stream.first(registration_bytes);
        const auto rest = stream.subspan(registration_bytes, used - registration_bytes);
        check_stripping(registration, rest, stream.subspan(used), sizes);
    }
    check_split_heartbeat(stream);
    return 0;
}
