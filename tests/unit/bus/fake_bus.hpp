#pragma once
// In-memory bus for bus layer tests: a transport whose peer is a scripted
// responder, and a tiny text protocol standing in for a real meter codec.
//
// Request:  'Q' <address>
// Answer:   'A' <address> ':' <number> ['!'] '\n'   ('!' raises an alarm)
// Refusal:  'R' <address> '\n'   (a valid reply rejecting the request)

#include "drivers/driver.hpp"
#include "protocols/common/refusal.hpp"
#include "gateway/bus/transport.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace citygate::bus::test {

using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

inline std::vector<std::uint8_t> bytes_of(std::string_view s)
{
    return {s.begin(), s.end()};
}

inline std::string text_of(std::span<const std::uint8_t> b)
{
    return {b.begin(), b.end()};
}

enum class fake_codec_error { bad_start = 1, bad_number, wrong_address, refused };

inline const std::error_category& fake_codec_category()
{
    struct category : std::error_category {
        const char* name() const noexcept override { return "fake_codec"; }
        std::string message(int v) const override
        {
            switch (static_cast<fake_codec_error>(v)) {
            case fake_codec_error::bad_start:
                return "answer does not start with 'A'";
            case fake_codec_error::bad_number:
                return "value is not a number";
            case fake_codec_error::wrong_address:
                return "answer is from another address";
            case fake_codec_error::refused:
                return "device refused the request";
            }
            return "fake codec error";
        }

        std::error_condition default_error_condition(int v) const noexcept override
        {
            if (static_cast<fake_codec_error>(v) == fake_codec_error::refused)
                return proto::answer_condition::request_refused;
            return std::error_category::default_error_condition(v);
        }
    };
    static const category c;
    return c;
}

inline std::error_code make_fake_error(fake_codec_error e)
{
    return {static_cast<int>(e), fake_codec_category()};
}

// A poll of `steps` steps asks "Q<address>" first and "Q<address>.<step>"
// after; the answer to a step names the same address and step. The command
// "valve" takes "open" or "close", is sent as "W<address>:valve=<value>" and
// answered like step 0.
class fake_codec final : public drivers::device_codec {
public:
    explicit fake_codec(std::string address, std::size_t steps = 1) : address_(std::move(address)), steps_(steps) {}

    std::size_t poll_steps() const override { return steps_; }

    std::vector<std::uint8_t> encode_poll(std::size_t step) const override { return bytes_of("Q" + id_of(step)); }

    proto::decode_result<drivers::poll_answer> decode_answer(std::size_t step,
                                                            std::span<const std::uint8_t> bytes) const override
    {
        return decode_for(id_of(step), step == 0 ? "volume" : "volume" + std::to_string(step), bytes);
    }

    std::error_code encode_command(std::string_view name, std::string_view value,
                                   drivers::exchange& out) const override
    {
        if (name != "valve")
            return drivers::driver_error::command_not_supported;
        if (value != "open" && value != "close")
            return drivers::driver_error::invalid_command_value;
        out.request = bytes_of("W" + address_ + ":valve=" + std::string(value));
        out.decode = [id = address_](std::span<const std::uint8_t> bytes) { return decode_for(id, "volume", bytes); };
        return {};
    }

    std::vector<std::string> commands() const override { return {"valve=open|close"}; }

private:
    std::string id_of(std::size_t step) const { return step == 0 ? address_ : address_ + "." + std::to_string(step); }

    static proto::decode_result<drivers::poll_answer> decode_for(const std::string& id, const std::string& metric,
                                                                 std::span<const std::uint8_t> bytes)
    {
        using result = proto::decode_result<drivers::poll_answer>;
        if (bytes.empty())
            return result::need_more();
        if (bytes[0] != 'A' && bytes[0] != 'R')
            return result::fail(make_fake_error(fake_codec_error::bad_start), 1);

        const auto text = text_of(bytes);
        const auto end = text.find('\n');
        if (end == std::string::npos)
            return result::need_more();
        if (bytes[0] == 'R')
            return result::fail(make_fake_error(text.substr(1, end - 1) == id ? fake_codec_error::refused
                                                                               : fake_codec_error::wrong_address),
                                end + 1);

        const auto colon = text.find(':');
        if (colon == std::string::npos || colon > end || text.substr(1, colon - 1) != id)
            return result::fail(make_fake_error(fake_codec_error::wrong_address), end + 1);

        auto number = text.substr(colon + 1, end - colon - 1);
        const bool alarm = !number.empty() && number.back() == '!';
        if (alarm)
            number.pop_back();
        if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos)
            return result::fail(make_fake_error(fake_codec_error::bad_number), end + 1);

        drivers::poll_answer answer;
        answer.values.push_back({metric, "m3", std::stod(number)});
        if (alarm)
            answer.alarms.push_back({"leak", "", true});
        return result::ok(std::move(answer), end + 1);
    }

    std::string address_;
    std::size_t steps_;
};

class fake_driver final : public drivers::driver {
public:
    std::string_view name() const override { return "fake"; }
    drivers::driver_kind kind() const override { return drivers::driver_kind::polled; }

    std::unique_ptr<drivers::device_codec> make_codec(const drivers::device_params& params,
                                                      std::error_code& error) const override
    {
        if (params.address.empty() || params.address.find_first_not_of("0123456789") != std::string::npos) {
            error = std::make_error_code(std::errc::invalid_argument);
            return nullptr;
        }
        // Option "steps" sets the steps per poll (1 by default).
        const auto steps = params.options.contains("steps") ? std::stoul(params.options.at("steps")) : 1;
        return std::make_unique<fake_codec>(params.address, steps);
    }

    // "T<seconds since the epoch>", so a test can see which time was sent.
    std::optional<std::vector<std::uint8_t>> encode_time_sync(std::int64_t unix_ms) const override
    {
        return bytes_of("T" + std::to_string(unix_ms / 1000));
    }
};

// Part of an answer, sent `delay` after the request (or the previous chunk).
struct chunk {
    milliseconds delay{0};
    std::vector<std::uint8_t> bytes;
};

// What the test can see of the wire after the transport moved into a poller.
struct wire_log {
    struct write_record {
        steady::time_point at;
        std::string request;
    };

    std::vector<write_record> writes;
    // Last moment the client saw bus activity: a read completed with data,
    // or it cancelled its operations. The next request must follow the
    // inter-frame gap after it.
    std::optional<steady::time_point> last_activity;
    std::vector<milliseconds> gaps_before_writes; // write time minus last_activity

    int overlapping_requests = 0; // a write while a read or write was still pending
    int opens = 0;
    int closes = 0;
    int discards = 0;
    bool fail_open = false;
    // When set, async_open completes only when the test calls finish_open(),
    // as a DTU transport waits for its DTU to register.
    bool defer_open = false;
    std::function<void()> finish_open;
    bool drop_link = false; // set to make the port close on its own, as a DTU that disconnects
    std::error_code fail_next_read; // injected once, as from an unplugged adapter
    std::chrono::microseconds transmit_per_byte{0}; // as a serial line's character time

    // Answer chunks for a request; empty means silence.
    std::function<std::vector<chunk>(const std::string& request)> responder;

    std::size_t count_writes(std::string_view request) const
    {
        std::size_t n = 0;
        for (const auto& w : writes)
            n += w.request == request ? 1 : 0;
        return n;
    }
};

class fake_transport final : public transport {
public:
    fake_transport(boost::asio::io_context& io, std::shared_ptr<wire_log> log) : io_(io), log_(std::move(log)) {}

    // Answer timers still pending must not reach a destroyed transport.
    ~fake_transport() override
    {
        for (auto& t : timers_)
            t->cancel();
    }

    void async_open(open_handler handler) override
    {
        ++log_->opens;
        if (log_->defer_open) {
            log_->finish_open = [this, handler = std::move(handler)] {
                open_ = true;
                boost::asio::post(io_, [handler] { handler({}); });
            };
            return;
        }
        std::error_code error;
        if (log_->fail_open)
            error = std::make_error_code(std::errc::no_such_device);
        else
            open_ = true;
        boost::asio::post(io_, [handler = std::move(handler), error] { handler(error); });
    }

    void close() override
    {
        ++log_->closes;
        cancel();
        open_ = false;
    }

    bool is_open() const override { return open_ && !log_->drop_link; }

    void async_write(std::span<const std::uint8_t> bytes, write_handler handler) override
    {
        const auto now = steady::now();
        if (write_pending_ || read_handler_)
            ++log_->overlapping_requests;
        if (log_->last_activity)
            log_->gaps_before_writes.push_back(
                std::chrono::duration_cast<milliseconds>(now - *log_->last_activity));

        const auto request = text_of(bytes);
        log_->writes.push_back({now, request});
        write_pending_ = true;
        boost::asio::post(io_, [this, handler = std::move(handler)] {
            write_pending_ = false;
            handler(open_ ? std::error_code{} : std::make_error_code(std::errc::bad_file_descriptor));
        });

        if (log_->responder)
            schedule_answer(log_->responder(request));
    }

    void async_read_some(std::span<std::uint8_t> buffer, read_handler handler) override
    {
        if (!open_) {
            boost::asio::post(io_, [handler = std::move(handler)] {
                handler(std::make_error_code(std::errc::bad_file_descriptor), 0);
            });
            return;
        }
        if (log_->fail_next_read) {
            auto error = std::exchange(log_->fail_next_read, {});
            boost::asio::post(io_, [handler = std::move(handler), error] { handler(error, 0); });
            return;
        }
        read_buffer_ = buffer;
        read_handler_ = std::move(handler);
        deliver();
    }

    void cancel() override
    {
        log_->last_activity = steady::now();
        if (!read_handler_)
            return;
        auto handler = std::move(read_handler_);
        read_handler_ = nullptr;
        boost::asio::post(io_, [handler = std::move(handler)] {
            handler(std::make_error_code(std::errc::operation_canceled), 0);
        });
    }

    void discard_input() override
    {
        ++log_->discards;
        rx_.clear();
    }

    std::string describe() const override { return "fake bus"; }
    std::chrono::microseconds transmit_time(std::size_t bytes) const override
    {
        return log_->transmit_per_byte * static_cast<long>(bytes);
    }

private:
    void schedule_answer(std::vector<chunk> chunks)
    {
        auto total = milliseconds{0};
        for (auto& c : chunks) {
            total += c.delay;
            auto timer = std::make_shared<boost::asio::steady_timer>(io_, total);
            timer->async_wait([this, timer, bytes = std::move(c.bytes)](const boost::system::error_code& ec) {
                if (ec)
                    return;
                rx_.insert(rx_.end(), bytes.begin(), bytes.end());
                deliver();
            });
            timers_.push_back(timer);
        }
    }

    void deliver()
    {
        if (!read_handler_ || rx_.empty())
            return;
        const auto n = std::min(read_buffer_.size(), rx_.size());
        std::copy_n(rx_.begin(), n, read_buffer_.begin());
        rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(n));
        log_->last_activity = steady::now();
        auto handler = std::move(read_handler_);
        read_handler_ = nullptr;
        boost::asio::post(io_, [handler = std::move(handler), n] { handler({}, n); });
    }

    boost::asio::io_context& io_;
    std::shared_ptr<wire_log> log_;
    bool open_ = false;
    bool write_pending_ = false;
    std::deque<std::uint8_t> rx_;
    std::span<std::uint8_t> read_buffer_;
    read_handler read_handler_;
    std::vector<std::shared_ptr<boost::asio::steady_timer>> timers_;
};

// Runs the io_context until `done` holds. The limit only stops a hung test.
template <typename Predicate>
bool run_until(boost::asio::io_context& io, Predicate done, milliseconds limit = milliseconds{10000})
{
    const auto deadline = steady::now() + limit;
    while (!done()) {
        if (steady::now() >= deadline)
            return false;
        io.run_one_for(milliseconds{5});
        if (io.stopped())
            io.restart();
    }
    return true;
}

// Answers "Q<addr>" with "A<addr>:<value>\n" after `delay`.
// Runs the io_context for `span`, whatever happens.
inline void run_for(boost::asio::io_context& io, milliseconds span)
{
    run_until(io, [] { return false; }, span);
}

inline std::vector<chunk> answer(std::string_view request, std::string_view value, milliseconds delay = milliseconds{1})
{
    return {chunk{delay, bytes_of("A" + std::string(request.substr(1)) + ":" + std::string(value) + "\n")}};
}

} // namespace citygate::bus::test
