#pragma once
// Loopback TCP peers for transport tests: a server that answers the fake
// codec's requests (a serial server with meters behind it), on any address
// the test picks, IPv4 or IPv6.

#include "tests/unit/bus/fake_bus.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <list>
#include <memory>
#include <string>

namespace citygate::bus::test {

namespace tcp_net = boost::asio::ip;

// Accepts connections and answers each chunk it reads with `respond(chunk)`;
// fake codec requests are small enough to arrive in one chunk on loopback.
class meter_server {
public:
    // Port 0 picks a free port; pass the port of a closed server to reopen it.
    meter_server(boost::asio::io_context& io, const std::string& address, unsigned short port = 0)
        : acceptor_(io, tcp_net::tcp::endpoint(tcp_net::make_address(address), port))
    {
        accept();
    }

    ~meter_server() { close(); }

    unsigned short port() const { return port_; }

    // Closes the listener and every connection (the serial server restarts).
    void close()
    {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        for (auto& s : sessions_)
            s->close(ignored);
        sessions_.clear();
    }

    // Sends bytes unasked on every open connection.
    void push(const std::string& bytes)
    {
        for (auto& s : sessions_)
            boost::asio::write(*s, boost::asio::buffer(bytes));
    }

    int accepts = 0;
    std::vector<std::string> requests;
    std::function<std::string(const std::string&)> respond = [](const std::string& q) {
        return "A" + q.substr(1) + ":7\n";
    };

private:
    using session = tcp_net::tcp::socket;

    void accept()
    {
        acceptor_.async_accept([this](const boost::system::error_code& ec, session socket) {
            if (ec)
                return;
            ++accepts;
            auto s = std::make_shared<session>(std::move(socket));
            sessions_.push_back(s);
            read(s);
            accept();
        });
    }

    void read(const std::shared_ptr<session>& s)
    {
        auto buffer = std::make_shared<std::array<char, 512>>();
        s->async_read_some(boost::asio::buffer(*buffer),
                           [this, s, buffer](const boost::system::error_code& ec, std::size_t n) {
                               if (ec)
                                   return;
                               const std::string request(buffer->data(), n);
                               requests.push_back(request);
                               const auto reply = respond(request);
                               if (!reply.empty())
                                   boost::asio::write(*s, boost::asio::buffer(reply));
                               read(s);
                           });
    }

    tcp_net::tcp::acceptor acceptor_;
    unsigned short port_ = acceptor_.local_endpoint().port();
    std::list<std::shared_ptr<session>> sessions_;
};

} // namespace citygate::bus::test

namespace citygate::bus::test {

// A port that was free a moment ago on `address`, for a listener whose
// config needs a fixed port.
inline unsigned short free_port(const std::string& address)
{
    boost::asio::io_context io;
    tcp_net::tcp::acceptor probe(io, tcp_net::tcp::endpoint(tcp_net::make_address(address), 0));
    return probe.local_endpoint().port();
}

// A 4G DTU with a meter behind its serial port: connects, sends its
// registration, and answers fake codec requests like meter_server does.
class fake_dtu {
public:
    fake_dtu(boost::asio::io_context& io, const tcp_net::tcp::endpoint& gateway, std::string registration)
        : io_(io), socket_(io)
    {
        // Handlers return on "operation aborted" before touching `this`: the
        // destructor's close() aborts them.
        socket_.async_connect(gateway, [this, registration](const boost::system::error_code& ec) {
            if (ec == boost::asio::error::operation_aborted)
                return;
            if (ec) {
                closed = true;
                return;
            }
            connected = true;
            if (!registration.empty())
                send(registration);
            read();
        });
    }

    ~fake_dtu()
    {
        for (auto& t : timers_)
            t->cancel();
        close();
    }

    void send(const std::string& bytes)
    {
        auto copy = std::make_shared<std::string>(bytes);
        boost::asio::async_write(socket_, boost::asio::buffer(*copy), [copy](const boost::system::error_code&, std::size_t) {});
    }

    // Sends `bytes` after `delay`, so they arrive in a read of their own.
    void send_later(milliseconds delay, const std::string& bytes)
    {
        auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
        timer->async_wait([this, bytes](const boost::system::error_code& ec) {
            if (!ec)
                send(bytes);
        });
        timers_.push_back(timer);
    }

    void close()
    {
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

    bool connected = false;
    bool closed = false; // the gateway closed the connection
    std::vector<std::string> requests;
    // Called for each request; the default answers like a meter with 7.
    std::function<void(fake_dtu&, const std::string&)> on_request = [](fake_dtu& dtu, const std::string& q) {
        dtu.send("A" + q.substr(1) + ":7\n");
    };

private:
    void read()
    {
        socket_.async_read_some(boost::asio::buffer(buffer_), [this](const boost::system::error_code& ec, std::size_t n) {
            if (ec == boost::asio::error::operation_aborted)
                return;
            if (ec) {
                closed = true;
                return;
            }
            const std::string request(buffer_.data(), n);
            requests.push_back(request);
            if (on_request)
                on_request(*this, request);
            read();
        });
    }

    boost::asio::io_context& io_;
    tcp_net::tcp::socket socket_;
    std::array<char, 512> buffer_{};
    std::vector<std::shared_ptr<boost::asio::steady_timer>> timers_;
};

} // namespace citygate::bus::test
