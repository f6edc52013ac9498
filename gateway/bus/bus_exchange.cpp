// One request/answer transaction at a time on a bus, and the port's
// open/close/reopen cycle.

#include "gateway/bus/poller_impl.hpp"

#include "protocols/common/hex.hpp"
#include "protocols/common/refusal.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <span>

namespace citygate::bus {

namespace asio = boost::asio;

namespace {

// Minimum free space in rx_ that a read offers. rx_ keeps its capacity
// from one attempt to the next, so once a longer response has grown it,
// responses of that length arrive in one read again.
constexpr std::size_t min_read_bytes = 64;

} // namespace

void bus_poller::impl::next_step()
{
    if (stopped_ || !started_ || attempt_active_ || in_gap_ || ops_in_flight_ > 0)
        return;

    if (!current_) {
        if (queue_.empty())
            return;
        current_.take_front(queue_);
        if (!current_->scheduled)
            --on_demand_waiting_;
    }

    start_attempt();
}

void bus_poller::impl::start_attempt()
{
    auto* device = current_->kind == job_kind::bus_request
                       ? nullptr
                       : find_device(current_->device_id, current_->device_serial);
    if (current_->kind != job_kind::bus_request && device == nullptr) {
        complete_job(bus_error::device_removed, {}, {});
        asio::post(io_, [self = shared_from_this()] { self->next_step(); });
        return;
    }

    rx_.clear();
    rx_received_ = 0;
    late_in_attempt_ = 0;
    if (!port_->is_open()) {
        if (wait_for_open())
            return;
        // No retries: the port is being reopened on its own schedule, and
        // every due device fails fast until then.
        complete_job(bus_error::transport_closed, "bus port " + port_->describe() + " is closed", {});
        asio::post(io_, [self = shared_from_this()] { self->next_step(); });
        return;
    }

    if (!prepare_request(device)) {
        asio::post(io_, [self = shared_from_this()] { self->next_step(); });
        return;
    }
    ++current_->attempts;

    // Scans and broadcasts address devices that may not exist, so only
    // exchanges with configured devices count towards the bus's health.
    if (current_->kind != job_kind::bus_request)
        ++counters_.exchanges;

    port_->discard_input();
    attempt_active_ = true;
    const auto attempt = ++attempt_id_;
    spdlog::debug("bus {}: {} {}: request (step {}, attempt {}): {}", bus_.id,
                  device != nullptr ? "device" : "exchange", device != nullptr ? device->spec.id : "-",
                  current_->step + 1, current_->attempts, proto::to_hex(current_->request));

    ++ops_in_flight_;
    port_->async_write(current_->request, [self = shared_from_this(), attempt](std::error_code ec) {
        self->on_written(attempt, ec);
    });
}

bool bus_poller::impl::prepare_request(device_entry* device)
{
    // A poll is encoded again for every attempt, and so is a command whose
    // driver offers it. A retry then takes a new Modbus TCP transaction id,
    // and a late reply to the previous attempt is skipped rather than taken
    // for the retry's reply. Other exchanges repeat their one request.
    if (current_->kind == job_kind::poll)
        current_->request = device->codec->encode_poll(current_->step);
    else if (current_->request.empty())
        current_->request = current_->command.request;
    else if (current_->command.encode_again)
        current_->request = current_->command.encode_again();

    if (current_->request.empty()) {
        // A driver bug, not a line fault: fail the job rather than send nothing.
        spdlog::error("bus {}: device {}: driver produced an empty request for step {}", bus_.id,
                      current_->device_id, current_->step + 1);
        complete_job(bus_error::command_rejected, "the driver produced an empty request", {});
        return false;
    }
    return true;
}

proto::decode_result<drivers::poll_answer> bus_poller::impl::decode_current(device_entry* device) const
{
    if (current_->kind == job_kind::poll)
        return device->codec->decode_answer(current_->step, rx_);
    return current_->command.decode(rx_);
}

void bus_poller::impl::count_rejected()
{
    if (current_->kind != job_kind::bus_request)
        ++counters_.rejected_frames;
    if (auto* device = find_device(current_->device_id, current_->device_serial))
        ++device->rejected_frames;
}

void bus_poller::impl::count_late(std::size_t skipped_in_attempt)
{
    // The driver decodes the whole of rx_ after every read, so only the
    // replies it skipped beyond the last call are new.
    if (skipped_in_attempt <= late_in_attempt_)
        return;
    if (current_->kind != job_kind::bus_request)
        counters_.late_answers += skipped_in_attempt - late_in_attempt_;
    late_in_attempt_ = skipped_in_attempt;
}

void bus_poller::impl::on_written(std::uint64_t attempt, std::error_code error)
{
    --ops_in_flight_;
    if (is_stale(attempt)) {
        next_step();
        return;
    }
    if (error) {
        on_port_error(error, "write");
        return;
    }

    // A broadcast has no answer: it is done once its bytes are on the wire,
    // and the gap that follows keeps the next request off the line until then.
    if (current_->kind == job_kind::bus_request && !current_->command.decode) {
        end_attempt_after(port_->transmit_time(current_->request.size()));
        step_done({}, {}, {});
        return;
    }

    // The timeout counts from the last request byte leaving the wire, not
    // from the kernel accepting the write.
    response_timer_.expires_after(bus_.response_timeout + port_->transmit_time(current_->request.size()));
    response_timer_.async_wait([self = shared_from_this(), attempt](const boost::system::error_code& ec) {
        if (!ec)
            self->on_response_timeout(attempt);
    });
    start_read(attempt);
}

void bus_poller::impl::start_read(std::uint64_t attempt)
{
    // The response is read into rx_ itself, because a separate read buffer
    // would cost every bus its size. Doubling, capped near max_answer_bytes,
    // keeps reallocations to a few per bus.
    if (rx_.capacity() - rx_received_ < min_read_bytes)
        rx_.reserve(std::max(rx_received_ + min_read_bytes, std::min(2 * rx_.capacity(), options_->max_answer_bytes)));
    rx_.resize(rx_.capacity());

    ++ops_in_flight_;
    port_->async_read_some(std::span(rx_).subspan(rx_received_),
                           [self = shared_from_this(), attempt](std::error_code ec, std::size_t n) {
                               self->on_read(attempt, ec, n);
                           });
}

void bus_poller::impl::on_read(std::uint64_t attempt, std::error_code error, std::size_t bytes)
{
    --ops_in_flight_;
    if (is_stale(attempt)) {
        next_step();
        return;
    }
    if (error) {
        on_port_error(error, "read");
        return;
    }

    rx_received_ += bytes;
    rx_.resize(rx_received_);

    auto* device = find_device(current_->device_id, current_->device_serial);
    auto result = decode_current(device);
    count_late(result.skipped());
    if (result.has_frame()) {
        spdlog::debug("bus {}: {}: answer: {}", bus_.id, current_->device_id, proto::to_hex(rx_));
        attempt_succeeded(std::move(result).frame());
        return;
    }

    if (result.failed() && proto::is_refusal(result.error())) {
        attempt_refused(result.error());
        return;
    }

    if (result.failed()) {
        count_rejected();
        spdlog::debug("bus {}: {}: rejected answer ({}): {}", bus_.id, current_->device_id,
                      result.error().message(), proto::to_hex(rx_));
        attempt_failed(bus_error::decode_failed, "invalid answer: " + result.error().message());
        return;
    }

    if (rx_.size() >= options_->max_answer_bytes) {
        count_rejected();
        attempt_failed(bus_error::answer_too_long,
                       "answer exceeds " + std::to_string(options_->max_answer_bytes) + " bytes without a complete frame");
        return;
    }

    start_read(attempt);
}

void bus_poller::impl::on_response_timeout(std::uint64_t attempt)
{
    if (is_stale(attempt))
        return;
    rx_.resize(rx_received_); // the read is still outstanding

    auto detail = "no answer within " + std::to_string(bus_.response_timeout.count()) + " ms";
    if (!rx_.empty())
        detail = "incomplete answer (" + std::to_string(rx_.size()) + " bytes) within " +
                 std::to_string(bus_.response_timeout.count()) + " ms";
    spdlog::debug("bus {}: {}: {}: {}", bus_.id, current_->device_id, detail, proto::to_hex(rx_));
    if (current_->kind != job_kind::bus_request)
        ++counters_.timeouts;
    attempt_failed(bus_error::timeout, std::move(detail));
}

void bus_poller::impl::end_attempt()
{
    end_attempt_after(std::chrono::microseconds{0});
}

void bus_poller::impl::end_attempt_after(std::chrono::microseconds wire_time)
{
    attempt_active_ = false;
    response_timer_.cancel();
    if (ops_in_flight_ > 0)
        port_->cancel();
    rx_.resize(rx_received_); // without the free space of a cancelled read

    // The gap counts from the end of this exchange; the next request waits
    // for it and for the cancelled operations to finish.
    in_gap_ = true;
    gap_timer_.expires_after(wire_time + gap_after_exchange());
    gap_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->stopped_)
            return;
        self->in_gap_ = false;
        self->next_step();
    });
}

milliseconds bus_poller::impl::gap_after_exchange() const
{
    // Modbus RTU needs 3.5 character times of silence between frames, and
    // other protocols tolerate it. Four characters round it up.
    const auto t35 = std::chrono::ceil<milliseconds>(port_->transmit_time(4));
    return std::max(bus_.inter_frame_gap, t35);
}

void bus_poller::impl::attempt_failed(std::error_code error, std::string detail)
{
    end_attempt();

    const bool retry = port_->is_open() && current_->attempts <= bus_.retries;
    if (retry) {
        spdlog::debug("bus {}: {}: attempt {} failed: {}; retrying", bus_.id, current_->device_id,
                      current_->attempts, detail);
        return; // next_step() starts the next attempt after the gap
    }
    step_done(error, std::move(detail), {});
}

void bus_poller::impl::attempt_refused(std::error_code refusal)
{
    // The device received the request and rejected it in a valid frame, so
    // the line is sound. A repeat would get the same reply, and the frame is
    // not counted as rejected.
    spdlog::debug("bus {}: {}: request refused ({}): {}", bus_.id, current_->device_id, refusal.message(),
                  proto::to_hex(rx_));
    end_attempt();
    step_done(bus_error::request_refused, refusal.message(), {});
}

void bus_poller::impl::attempt_succeeded(drivers::poll_answer answer)
{
    end_attempt();
    step_done({}, {}, std::move(answer));
}

void bus_poller::impl::abandon_current(std::error_code error)
{
    if (attempt_active_)
        end_attempt();

    fail_waiting_handler(*current_, error);
    current_.reset();
}

void bus_poller::impl::on_port_error(std::error_code error, const char* operation)
{
    spdlog::warn("bus {}: {} on {} failed: {}; closing the port and reopening in {} ms", bus_.id, operation,
                 port_->describe(), error.message(), reopen_delay_.count());

    ++counters_.port_errors;
    end_attempt();
    port_->close();
    schedule_reopen();
    complete_job(bus_error::transport_failed, std::string("bus port ") + operation + " failed: " + error.message(),
                 {});
}

void bus_poller::impl::open_port()
{
    opening_ = true;
    open_wait_armed_ = false;
    open_wait_expired_ = false;
    const auto id = ++open_id_;
    port_->async_open([self = shared_from_this(), id](std::error_code error) { self->on_opened(id, error); });
}

void bus_poller::impl::on_opened(std::uint64_t open_id, std::error_code error)
{
    if (stopped_ || open_id != open_id_)
        return;
    opening_ = false;
    if (open_timers_)
        open_timers_->open_wait.cancel();

    if (!error) {
        // No reopen can be pending while an open runs, so neither timer is
        // armed now. The check only guards that rule.
        if (!reopen_pending_)
            open_timers_.reset();
        spdlog::info("bus {}: opened {}", bus_.id, port_->describe());
        reopen_delay_ = options_->reopen_min;
        open_failure_logged_ = false;
        next_step();
        return;
    }

    if (!open_failure_logged_)
        spdlog::warn("bus {}: cannot open {}: {}; retrying with backoff up to {} ms", bus_.id, port_->describe(),
                     error.message(), options_->reopen_max.count());
    else
        spdlog::debug("bus {}: cannot open {}: {}", bus_.id, port_->describe(), error.message());
    open_failure_logged_ = true;
    ++counters_.port_errors;
    schedule_reopen();

    // Jobs that waited for this open fail fast now.
    next_step();
}

bool bus_poller::impl::wait_for_open()
{
    // The port closed without a failed read or write, so no reopen is
    // scheduled: a DTU link dropped while the bus was idle.
    if (!opening_ && !reopen_pending_)
        open_port();

    if (!opening_ || open_wait_expired_)
        return false;

    if (!open_wait_armed_) {
        open_wait_armed_ = true;
        auto& timer = port_timers().open_wait;
        timer.expires_after(bus_.response_timeout);
        timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (ec || self->stopped_)
                return;
            self->open_wait_expired_ = true;
            self->next_step();
        });
    }
    return true;
}

void bus_poller::impl::schedule_reopen()
{
    reopen_pending_ = true;
    auto& timer = port_timers().reopen;
    timer.expires_after(reopen_delay_);
    reopen_delay_ = std::min(reopen_delay_ * 2, options_->reopen_max);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || self->stopped_)
            return;
        self->reopen_pending_ = false;
        self->open_port();
    });
}

bus_poller::impl::open_timers& bus_poller::impl::port_timers()
{
    if (!open_timers_)
        open_timers_ = std::make_unique<open_timers>(io_);
    return *open_timers_;
}

} // namespace citygate::bus
