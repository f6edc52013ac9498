#pragma once
// Accepts the connections of 4G DTUs on the [dtu] listen addresses, reads
// each one's registration packet and hands the connection to the
// dtu_transport of the bus whose registration matches. Unknown
// registrations are rejected and counted.

#include "gateway/config/config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace citygate::bus {

class dtu_transport;

// Counters of the listener, for `citygate status` and the health topic.
struct dtu_counters {
    std::vector<std::string> listening; // addresses bound, e.g. "0.0.0.0:9000"
    std::uint64_t accepted = 0;         // connections accepted
    std::uint64_t registered = 0;       // registrations matched to a bus
    std::uint64_t replaced = 0;         // registrations that replaced a bus's previous connection
    std::uint64_t rejected = 0;         // unknown registrations
    std::uint64_t timed_out = 0;        // no registration within registration_timeout
    std::uint64_t over_limit = 0;       // connections closed because max_connections was reached
    std::size_t pending = 0;            // connections waiting for their registration now
    std::size_t attached = 0;           // DTUs registered now
};

class dtu_listener {
public:
    dtu_listener(boost::asio::io_context& io, config::dtu_config config);
    ~dtu_listener();

    dtu_listener(const dtu_listener&) = delete;
    dtu_listener& operator=(const dtu_listener&) = delete;

    // Binds every listen address (IPv6 ones IPv6-only, so "0.0.0.0:9000" and
    // "[::]:9000" can both be bound) and starts accepting. An address that
    // cannot be bound is logged at ERROR and skipped. Returns the number bound.
    std::size_t start();

    // Closes the listening sockets and the connections not yet registered.
    void stop();

    // Called by dtu_transport on construction and destruction. A bus added
    // again replaces its earlier transport. Registrations are tried against
    // the buses in the order they were added.
    void add_bus(dtu_transport& bus);
    void remove_bus(dtu_transport& bus);
    void count_replaced() { ++counters_.replaced; }

    dtu_counters counters() const;

    // Addresses actually bound, with the port the kernel chose for port 0.
    std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;

    const config::dtu_config& config() const { return config_; }

private:
    struct pending_connection;
    class rate_limit;

    void accept(const std::shared_ptr<boost::asio::ip::tcp::acceptor>& acceptor);
    void on_accepted(boost::asio::ip::tcp::socket socket);
    void read_registration(const std::shared_ptr<pending_connection>& c);
    void on_registration_bytes(const std::shared_ptr<pending_connection>& c);
    void decide(const std::shared_ptr<pending_connection>& c);
    bool adopt_exact(const std::shared_ptr<pending_connection>& c);
    void adopt(const std::shared_ptr<pending_connection>& c, dtu_transport& bus, std::size_t registration_bytes);
    void reject(const std::shared_ptr<pending_connection>& c);
    void finish(const std::shared_ptr<pending_connection>& c);
    std::size_t connection_count() const;

    boost::asio::io_context& io_;
    config::dtu_config config_;
    std::vector<std::shared_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
    std::vector<dtu_transport*> buses_;
    std::list<std::shared_ptr<pending_connection>> pending_;
    std::unique_ptr<rate_limit> reject_log_;
    dtu_counters counters_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0); // expires with the listener
};

} // namespace citygate::bus
