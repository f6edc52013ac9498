#include "gateway/bus/dtu_transport.hpp"

#include "gateway/bus/dtu_listener.hpp"
#include "gateway/bus/tcp_client_transport.hpp"
#include "protocols/common/hex.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <utility>

namespace citygate::bus {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// How long the first bytes of a possible heartbeat wait for the rest.
constexpr std::chrono::milliseconds hold_time{50};

// A link silent for this many heartbeat intervals is dropped as stale.
constexpr int stale_intervals = 3;

} // namespace

// One connection of the DTU. Handlers hold it by shared_ptr and reach the
// transport through `owner`, which the destructor clears.
struct dtu_transport::link {
    link(tcp::socket accepted, std::string peer_address)
        : socket(std::move(accepted)), peer(std::move(peer_address)), stale_timer(socket.get_executor())
    {
    }

    tcp::socket socket;
    std::string peer; // "10.20.30.40:51234"
    std::array<std::uint8_t, 512> buffer{};
    std::chrono::steady_clock::time_point last_received = std::chrono::steady_clock::now();
    asio::steady_timer stale_timer;
    dtu_transport* owner = nullptr;
};

dtu_transport::dtu_transport(asio::io_context& io, config::bus_config bus, dtu_listener& listener)
    : io_(io), bus_(std::move(bus)), listener_(listener), matcher_(bus_.registration), hold_timer_(io)
{
    std::string error;
    if (auto heartbeat = config::parse_dtu_packet(bus_.heartbeat, false, error))
        heartbeat_ = std::move(heartbeat->bytes);
    stripper_.add_packet(heartbeat_);
    listener_.add_bus(*this);
}

dtu_transport::~dtu_transport()
{
    listener_.remove_bus(*this);
    if (link_) {
        link_->owner = nullptr;
        boost::system::error_code ignored;
        link_->socket.close(ignored);
        link_->stale_timer.cancel();
    }
}

void dtu_transport::adopt(tcp::socket socket, std::string peer, std::vector<std::uint8_t> registration,
                          std::span<const std::uint8_t> rest)
{
    auto previous = std::exchange(link_, std::make_shared<link>(std::move(socket), std::move(peer)));
    link_->owner = this;
    enable_keepalive(link_->socket);

    if (previous) {
        spdlog::info("bus {}: DTU registered again from {}; closing its previous connection from {}", bus_.id,
                     link_->peer, previous->peer);
        previous->owner = nullptr;
        boost::system::error_code ignored;
        previous->socket.close(ignored);
        previous->stale_timer.cancel();
        listener_.count_replaced();
    } else {
        spdlog::info("bus {}: DTU registered from {} with {}", bus_.id, link_->peer, describe_packet(registration));
    }

    // Some DTUs repeat their registration now and then, and it is never data.
    stripped_before_ += stripper_.stripped();
    stripper_ = packet_stripper{};
    stripper_.add_packet(heartbeat_);
    stripper_.add_packet(std::move(registration));
    data_.clear();
    append_data(stripper_.feed(rest));

    start_read(link_);
    arm_stale_check(link_);
    complete_open({});
}

void dtu_transport::start_read(const std::shared_ptr<link>& connection)
{
    connection->socket.async_read_some(asio::buffer(connection->buffer), [connection](const boost::system::error_code& ec, std::size_t n) {
        auto* self = connection->owner;
        if (self == nullptr)
            return;
        if (ec) {
            spdlog::info("bus {}: DTU {} disconnected: {}", self->bus_.id, connection->peer, ec.message());
            self->drop_link(ec);
            return;
        }
        self->on_received(connection, n);
        if (connection->owner != nullptr)
            self->start_read(connection);
    });
}

void dtu_transport::on_received(const std::shared_ptr<link>& connection, std::size_t bytes)
{
    connection->last_received = std::chrono::steady_clock::now();
    const std::span<const std::uint8_t> chunk(connection->buffer.data(), bytes);
    spdlog::debug("bus {}: DTU {} sent {}", bus_.id, connection->peer, proto::to_hex(chunk));

    append_data(stripper_.feed(chunk));
    if (stripper_.holding())
        arm_hold_timer();
    else
        hold_timer_.cancel();
}

void dtu_transport::append_data(std::vector<std::uint8_t> data)
{
    data_.insert(data_.end(), data.begin(), data.end());
    if (data_.size() > max_unread_bytes) {
        const auto excess = data_.size() - max_unread_bytes;
        spdlog::debug("bus {}: dropping {} unread bytes from the DTU", bus_.id, excess);
        bytes_dropped_ += excess;
        data_.erase(data_.begin(), data_.end() - static_cast<std::ptrdiff_t>(max_unread_bytes));
    }
    deliver();
}

void dtu_transport::arm_hold_timer()
{
    hold_timer_.expires_after(hold_time);
    hold_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec)
            return; // cancelled, possibly by the destructor: `this` may be gone
        append_data(stripper_.release());
    });
}

void dtu_transport::deliver()
{
    if (!read_handler_ || data_.empty())
        return;
    const auto n = std::min(read_buffer_.size(), data_.size());
    std::copy_n(data_.begin(), n, read_buffer_.begin());
    data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(n));
    asio::post(io_, [handler = std::exchange(read_handler_, nullptr), n] { handler({}, n); });
}

void dtu_transport::arm_stale_check(const std::shared_ptr<link>& connection)
{
    if (bus_.heartbeat_interval.count() <= 0)
        return;
    connection->stale_timer.expires_after(bus_.heartbeat_interval);
    connection->stale_timer.async_wait([connection](const boost::system::error_code& ec) {
        auto* self = connection->owner;
        if (ec || self == nullptr)
            return;
        const auto limit = self->bus_.heartbeat_interval * stale_intervals;
        if (std::chrono::steady_clock::now() - connection->last_received < limit) {
            self->arm_stale_check(connection);
            return;
        }
        spdlog::warn("bus {}: nothing received from DTU {} for {} ({} heartbeat intervals); closing the stale "
                     "connection",
                     self->bus_.id, connection->peer, config::format_duration(limit), stale_intervals);
        self->drop_link(std::make_error_code(std::errc::timed_out));
    });
}

void dtu_transport::drop_link(std::error_code reason)
{
    if (!link_)
        return;
    link_->owner = nullptr;
    boost::system::error_code ignored;
    link_->socket.close(ignored);
    link_->stale_timer.cancel();
    link_.reset();

    hold_timer_.cancel();
    stripper_.clear();
    data_.clear();
    fail_read(reason);
}

void dtu_transport::fail_read(std::error_code error)
{
    if (!read_handler_)
        return;
    asio::post(io_, [handler = std::exchange(read_handler_, nullptr), error] { handler(error, 0); });
}

void dtu_transport::complete_open(std::error_code error)
{
    if (!open_handler_)
        return;
    asio::post(io_, [handler = std::exchange(open_handler_, nullptr), error] { handler(error); });
}

void dtu_transport::async_open(open_handler handler)
{
    // A second open replaces the first, which completes as aborted.
    complete_open(std::make_error_code(std::errc::operation_canceled));
    open_handler_ = std::move(handler);
    if (link_)
        complete_open({});
}

void dtu_transport::close()
{
    if (link_)
        spdlog::debug("bus {}: closing the connection of DTU {}", bus_.id, link_->peer);
    drop_link(std::make_error_code(std::errc::operation_canceled));
    complete_open(std::make_error_code(std::errc::operation_canceled));
}

void dtu_transport::async_write(std::span<const std::uint8_t> bytes, write_handler handler)
{
    if (!link_) {
        asio::post(io_, [handler = std::move(handler)] { handler(std::make_error_code(std::errc::not_connected)); });
        return;
    }

    auto connection = link_;
    asio::async_write(connection->socket, asio::buffer(bytes.data(), bytes.size()),
                      [connection, handler = std::move(handler)](const boost::system::error_code& ec, std::size_t) {
                          // A write cut short because this connection was replaced or
                          // dropped is not reported: the poller would close the new
                          // connection. The answer times out and the retry goes to the
                          // new connection, or a dropped one fails the read.
                          const bool superseded = ec && connection->owner == nullptr;
                          handler(superseded ? std::error_code{} : std::error_code(ec));
                      });
}

void dtu_transport::async_read_some(std::span<std::uint8_t> buffer, read_handler handler)
{
    read_buffer_ = buffer;
    read_handler_ = std::move(handler);
    if (!link_ && data_.empty()) {
        fail_read(std::make_error_code(std::errc::not_connected));
        return;
    }
    deliver();
}

void dtu_transport::cancel()
{
    fail_read(std::make_error_code(std::errc::operation_canceled));
}

void dtu_transport::discard_input()
{
    data_.clear();
    stripper_.clear();
    hold_timer_.cancel();
}

std::string dtu_transport::describe() const
{
    return "dtu " + matcher_.describe() + (link_ ? " from " + link_->peer : std::string(" (not registered)"));
}

std::chrono::microseconds dtu_transport::transmit_time(std::size_t) const
{
    return std::chrono::microseconds{0};
}

} // namespace citygate::bus
