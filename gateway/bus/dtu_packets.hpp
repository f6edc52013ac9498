#pragma once
// The packets a 4G DTU sends besides the data of its serial port: the
// registration that names it after connecting, and heartbeats. Both are
// recognised here, independent of sockets, so they can be tested byte by byte.

#include "gateway/config/values.hpp"

#include <cstdint>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <vector>

namespace citygate::bus {

// Matches the start of a connection against one bus's registration.
class registration_matcher {
public:
    // `spec` is the bus's registration as written ("text:...", "hex:...",
    // "pattern:..."); the config loader has validated it.
    explicit registration_matcher(const std::string& spec);

    // Bytes of a text or hex registration at the start of `received`, or
    // std::nullopt. A pattern never matches here (see match_complete).
    std::optional<std::size_t> match_prefix(std::span<const std::uint8_t> received) const;

    // True when `received` is shorter than a text or hex registration and
    // could still become it.
    bool could_complete(std::span<const std::uint8_t> received) const;

    // True when the whole packet matches the pattern (ECMAScript regex over
    // printable ASCII; a packet with other bytes never matches). Used once
    // the DTU paused after sending, because a pattern cannot tell where the
    // packet ends.
    bool match_complete(std::span<const std::uint8_t> packet) const;

    bool is_pattern() const { return pattern_.has_value(); }

    // The registration for logs: text as written, hex as hex, or the pattern.
    const std::string& describe() const { return description_; }

private:
    std::vector<std::uint8_t> bytes_;
    std::optional<std::regex> pattern_;
    std::string description_;
};

// Removes heartbeats and repeated registrations from the byte stream of a
// DTU before the poller sees it. They are removed where a received chunk
// starts, because a DTU sends them as packets of their own; a chunk that
// could be the first part of one is held until the next chunk shows
// whether it is. A packet in the middle of a chunk is left as data, so an
// answer that happens to contain the heartbeat's bytes is not cut.
class packet_stripper {
public:
    void add_packet(std::vector<std::uint8_t> packet);

    // Returns the data in `chunk` (after bytes held from before) with
    // leading packets removed; may hold the tail of a short chunk.
    std::vector<std::uint8_t> feed(std::span<const std::uint8_t> chunk);

    // Returns the held bytes as data: no more bytes came, so they were not a packet.
    std::vector<std::uint8_t> release();

    bool holding() const { return !held_.empty(); }
    std::uint64_t stripped() const { return stripped_; }

    void clear() { held_.clear(); }

private:
    std::vector<std::vector<std::uint8_t>> packets_;
    std::vector<std::uint8_t> held_;
    std::uint64_t stripped_ = 0;
};

// "text:" packets are logged as text, others as hex.
std::string describe_packet(std::span<const std::uint8_t> bytes);

} // namespace citygate::bus
