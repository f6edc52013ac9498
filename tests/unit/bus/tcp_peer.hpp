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
