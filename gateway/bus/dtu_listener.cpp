#include "gateway/bus/dtu_listener.hpp"

#include "gateway/bus/dtu_transport.hpp"
#include "gateway/bus/tcp_client_transport.hpp"
#include "gateway/config/values.hpp"
#include "protocols/common/hex.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <array>

namespace citygate::bus {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// A registration that could be a pattern's is decided once the DTU has
// sent nothing for this long, because a pattern cannot tell where the
// packet ends. DTUs send the registration as one packet right after
// connecting, so it arrives in one piece or in quick succession.
constexpr std::chrono::milliseconds settle_time{100};

// Rejection log lines per window, so an internet scanner cannot flood the log.
constexpr int reject_lines_per_window = 10;
constexpr std::chrono::minutes reject_window{1};

std::string format_peer(const tcp::socket& socket)
{
    boost::system::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec)
        return "unknown peer";
    return format_endpoint(endpoint.address().to_string(), endpoint.port());
}

} // namespace

// Allows a few log lines per window and counts the rest, which the first
// line of the next window reports.
class dtu_listener::rate_limit {
public:
    // Returns the suffix for the line to log, or std::nullopt to skip it.
    std::optional<std::string> allow()
    {
        const auto now = std::chrono::steady_clock::now();
        if (now - window_start_ >= reject_window) {
            window_start_ = now;
            lines_ = 0;
        }
        if (lines_ >= reject_lines_per_window) {
            ++suppressed_;
            return std::nullopt;
        }
        ++lines_;
        if (suppressed_ == 0)
            return std::string{};
        return " (" + std::to_string(std::exchange(suppressed_, 0)) + " similar lines suppressed)";
    }

private:
    std::chrono::steady_clock::time_point window_start_{};
    int lines_ = 0;
    std::uint64_t suppressed_ = 0;
};

// A connection whose registration is still being read. Timers cancel the
// read to decide, so the socket has no operation pending when it is handed over.
struct dtu_listener::pending_connection {
    explicit pending_connection(tcp::socket s)
        : socket(std::move(s)), peer(format_peer(socket)), deadline(socket.get_executor()),
          settle(socket.get_executor())
    {
    }

    tcp::socket socket;
    std::string peer;
    std::vector<std::uint8_t> received;
    std::array<std::uint8_t, config::max_dtu_packet_bytes> buffer{};
    asio::steady_timer deadline;
    asio::steady_timer settle;
    bool decide_now = false;
    bool timed_out = false;
};

dtu_listener::dtu_listener(asio::io_context& io, config::dtu_config config)
    : io_(io), config_(std::move(config)), reject_log_(std::make_unique<rate_limit>())
{
}

dtu_listener::~dtu_listener()
{
    stop();
}

std::size_t dtu_listener::start()
{
    for (const auto& text : config_.listen) {
        std::string error;
        const auto address = config::parse_listen_address(text, error);
        if (!address) {
            spdlog::error("dtu listener: invalid listen address {}: {}", text, error);
            continue;
        }

        const tcp::endpoint endpoint(asio::ip::make_address(address->host), address->port);
        auto acceptor = std::make_shared<tcp::acceptor>(io_);
        boost::system::error_code ec;
        acceptor->open(endpoint.protocol(), ec);
        if (!ec)
            acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec && endpoint.address().is_v6())
            acceptor->set_option(asio::ip::v6_only(true), ec);
        if (!ec)
            acceptor->bind(endpoint, ec);
        if (!ec)
            acceptor->listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            spdlog::error("dtu listener: cannot listen on {}: {}", text, ec.message());
            continue;
        }

        spdlog::info("dtu listener: listening on {}", text);
        counters_.listening.push_back(text);
        accept(acceptor);
        acceptors_.push_back(std::move(acceptor));
    }
    return acceptors_.size();
}

void dtu_listener::stop()
{
    boost::system::error_code ignored;
    for (auto& a : acceptors_)
        a->close(ignored);
    acceptors_.clear();
    counters_.listening.clear();

    for (auto& c : pending_) {
        c->deadline.cancel();
        c->settle.cancel();
        c->socket.close(ignored);
    }
    pending_.clear();
}

void dtu_listener::add_bus(dtu_transport& bus)
{
    // A restarted bus's old transport lives on until its last handler ran;
    // registrations go to the new one.
    std::erase_if(buses_, [&](const dtu_transport* b) { return b->bus_id() == bus.bus_id(); });
    buses_.push_back(&bus);
}

void dtu_listener::remove_bus(dtu_transport& bus)
{
    std::erase(buses_, &bus);
}

dtu_counters dtu_listener::counters() const
{
    auto out = counters_;
    out.pending = pending_.size();
    out.attached = static_cast<std::size_t>(
        std::count_if(buses_.begin(), buses_.end(), [](const dtu_transport* b) { return b->attached(); }));
    return out;
}

std::vector<tcp::endpoint> dtu_listener::local_endpoints() const
{
    std::vector<tcp::endpoint> out;
    for (const auto& a : acceptors_) {
        boost::system::error_code ec;
        auto endpoint = a->local_endpoint(ec);
        if (!ec)
            out.push_back(endpoint);
    }
    return out;
}

std::size_t dtu_listener::connection_count() const
{
    return counters().pending + counters().attached;
}

void dtu_listener::accept(const std::shared_ptr<tcp::acceptor>& acceptor)
{
    // A completed accept may still be queued when stop() or the destructor
    // ran: the handler checks the acceptor it holds and the listener's token.
    acceptor->async_accept([this, acceptor, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec,
                                                                                tcp::socket socket) {
        if (alive.expired() || !acceptor->is_open() || ec == asio::error::operation_aborted)
            return;
        if (ec)
            spdlog::warn("dtu listener: accept failed: {}", ec.message());
        else
            on_accepted(std::move(socket));
        accept(acceptor);
    });
}

void dtu_listener::on_accepted(tcp::socket socket)
{
    ++counters_.accepted;
    if (connection_count() >= config_.max_connections) {
        ++counters_.over_limit;
        if (auto suffix = reject_log_->allow())
            spdlog::warn("dtu listener: closing the connection from {}: max_connections ({}) reached{}",
                         format_peer(socket), config_.max_connections, *suffix);
        boost::system::error_code ignored;
        socket.close(ignored);
        return;
    }

    auto c = std::make_shared<pending_connection>(std::move(socket));
    pending_.push_back(c);
    spdlog::debug("dtu listener: connection from {}", c->peer);

    c->deadline.expires_after(config_.registration_timeout);
    c->deadline.async_wait([c](const boost::system::error_code& ec) {
        if (ec)
            return;
        c->timed_out = true;
        c->decide_now = true;
        boost::system::error_code ignored;
        c->socket.cancel(ignored);
    });
    read_registration(c);
}

void dtu_listener::read_registration(const std::shared_ptr<pending_connection>& c)
{
    const auto room = c->buffer.size() - c->received.size();
    c->socket.async_read_some(asio::buffer(c->buffer.data(), room),
                              [this, c](const boost::system::error_code& ec, std::size_t n) {
                                  if (!c->socket.is_open())
                                      return; // stop() closed it
                                  if (c->decide_now) {
                                      if (!ec)
                                          c->received.insert(c->received.end(), c->buffer.begin(),
                                                             c->buffer.begin() + static_cast<std::ptrdiff_t>(n));
                                      decide(c);
                                      return;
                                  }
                                  if (ec) {
                                      spdlog::debug("dtu listener: {} closed before registering: {}", c->peer,
                                                    ec.message());
                                      finish(c);
                                      return;
                                  }
                                  c->received.insert(c->received.end(), c->buffer.begin(),
                                                     c->buffer.begin() + static_cast<std::ptrdiff_t>(n));
                                  on_registration_bytes(c);
                              });
}

void dtu_listener::on_registration_bytes(const std::shared_ptr<pending_connection>& c)
{
    if (adopt_exact(c))
        return;

    const bool could_complete = std::any_of(buses_.begin(), buses_.end(), [&](const dtu_transport* b) {
        return b->matcher().could_complete(c->received);
    });
    if (!could_complete && c->received.size() >= config::max_dtu_packet_bytes) {
        decide(c);
        return;
    }

    // Wait for the rest of a text or hex registration, or for the pause
    // that ends a pattern one.
    if (!could_complete) {
        c->settle.expires_after(settle_time);
        c->settle.async_wait([c](const boost::system::error_code& ec) {
            if (ec)
                return;
            c->decide_now = true;
            boost::system::error_code ignored;
            c->socket.cancel(ignored);
        });
    }
    read_registration(c);
}

bool dtu_listener::adopt_exact(const std::shared_ptr<pending_connection>& c)
{
    for (auto* bus : buses_) {
        if (auto length = bus->matcher().match_prefix(c->received)) {
            adopt(c, *bus, *length);
            return true;
        }
    }
    return false;
}

void dtu_listener::decide(const std::shared_ptr<pending_connection>& c)
{
    if (adopt_exact(c))
        return;
    for (auto* bus : buses_) {
        if (bus->matcher().match_complete(c->received)) {
            adopt(c, *bus, c->received.size());
            return;
        }
    }
    reject(c);
}

void dtu_listener::adopt(const std::shared_ptr<pending_connection>& c, dtu_transport& bus,
                         std::size_t registration_bytes)
{
    ++counters_.registered;
    const auto split = c->received.begin() + static_cast<std::ptrdiff_t>(registration_bytes);
    std::vector<std::uint8_t> registration(c->received.begin(), split);
    const std::vector<std::uint8_t> rest(split, c->received.end());

    finish(c);
    bus.adopt(std::move(c->socket), c->peer, std::move(registration), rest);
}

void dtu_listener::reject(const std::shared_ptr<pending_connection>& c)
{
    if (c->received.empty()) {
        ++counters_.timed_out;
        if (auto suffix = reject_log_->allow())
            spdlog::info("dtu listener: closing the connection from {}: no registration within {} ms{}", c->peer,
                         config_.registration_timeout.count(), *suffix);
    } else {
        ++counters_.rejected;
        if (auto suffix = reject_log_->allow())
            spdlog::info("dtu listener: closing the connection from {}: unknown registration {}{}", c->peer,
                         proto::to_hex(c->received), *suffix);
    }
    boost::system::error_code ignored;
    c->socket.close(ignored);
    finish(c);
}

void dtu_listener::finish(const std::shared_ptr<pending_connection>& c)
{
    c->deadline.cancel();
    c->settle.cancel();
    pending_.remove(c);
}

} // namespace citygate::bus
