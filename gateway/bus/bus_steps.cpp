// The steps of one job: running a poll's exchanges back to back, merging
// their answers, and handing the outcome to the device state and the caller.

#include "gateway/bus/poller_impl.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace citygate::bus {

namespace asio = boost::asio;

namespace {

void append(std::vector<metric_value>& to, std::vector<metric_value>& from)
{
    // Most polls have one step, so its values are moved as a whole.
    if (to.empty()) {
        to = std::move(from);
        return;
    }
    to.reserve(to.size() + from.size());
    std::move(from.begin(), from.end(), std::back_inserter(to));
}

} // namespace

void bus_poller::impl::step_done(std::error_code error, std::string detail, drivers::poll_answer answer)
{
    auto& j = *current_;
    ++j.steps_run;
    if (j.handler)
        j.records.push_back(exchange_record{j.request, rx_, j.attempts, error ? detail : std::string{}});

    std::size_t total = 1;
    if (j.kind == job_kind::poll) {
        const auto* device = find_device(j.device_id, j.device_serial);
        total = device != nullptr ? device->codec->poll_steps() : 0;
    }

    if (error == bus_error::request_refused)
        ++j.steps_refused;

    if (!error) {
        ++j.steps_ok;
        append(j.merged.values, answer.values);
        append(j.merged.alarms, answer.alarms);
    } else if (!j.first_error) {
        j.first_error = error;
        j.first_detail = total > 1 ? "step " + std::to_string(j.step + 1) + " of " + std::to_string(total) + ": " +
                                         detail
                                   : std::move(detail);
    }

    if (j.step + 1 < total && should_continue(error)) {
        ++j.step;
        j.request.clear();
        j.attempts = 0;
        return; // next_step() runs the next step after the gap
    }
    finish_steps();
}

bool bus_poller::impl::should_continue(std::error_code error) const
{
    // A device that did not answer its first steps is taken to be absent, so
    // the rest of its poll does not hold the bus for a timeout per step. Once
    // it has answered, a silent step is more likely a value the device does
    // not have (some DL/T 645 meters ignore unknown identifiers).
    return error != bus_error::timeout || current_->steps_ok > 0;
}

void bus_poller::impl::finish_steps()
{
    // Copied out first: complete_job() moves the job, and with it these.
    auto& j = *current_;
    const auto detail = j.first_detail;
    if (j.steps_ok > 0)
        complete_job({}, detail, std::move(j.merged));
    else
        complete_job(j.first_error, detail, {});
}

void bus_poller::impl::complete_job(std::error_code error, const std::string& detail, drivers::poll_answer answer)
{
    auto finished = current_.release();
    auto& j = finished.front();

    if (j.kind != job_kind::bus_request) {
        auto* device = find_device(j.device_id, j.device_serial);
        if (device == nullptr) {
            fail_waiting_handler(j, bus_error::device_removed);
            return;
        }
        if (j.kind == job_kind::poll)
            complete_poll(*device, j, error, detail, answer);
    }

    if (j.handler) {
        poll_result result;
        result.device_id = j.device_id;
        result.answer = std::move(answer);
        result.exchanges = std::move(j.records);
        result.error_detail = detail;
        asio::post(io_, [handler = std::move(j.handler), error, result = std::move(result)]() mutable {
            handler(error, std::move(result));
        });
    }
}

void bus_poller::impl::complete_poll(device_entry& device, job& j, std::error_code error, const std::string& detail,
                                     drivers::poll_answer& answer)
{
    if (error && !j.scheduled) {
        // An on-demand read reports its failure to the caller only, so a
        // technician's reads cannot take a device offline.
        spdlog::info("bus {}: device {}: on-demand read failed: {}", bus_.id, device.spec.id,
                     detail.empty() ? error.message() : detail);
    } else if (error && j.steps_refused > 0) {
        record_refusal(device, detail);
    } else if (error) {
        record_failure(device, error, detail);
    } else {
        // The caller of an on-demand read receives the poll result as well,
        // so only a scheduled poll moves its values into the reading.
        record_success(device, j.handler ? answer.values : std::move(answer.values), answer.alarms);
        if (j.first_error) {
            log_partial(device, j);
        } else {
            device.partial_logged = false;
            device.refusal_logged = false;
        }
    }

    if (j.scheduled) {
        device.scheduled_poll_pending = false;

        // A late poll (busy bus) is not repeated to catch up: the next one
        // is due an interval after the previous due time, or now.
        const auto next = std::max(j.due + effective_interval(device), clock::now());
        arm_timer(device, next);
    }
}

void bus_poller::impl::log_partial(device_entry& device, const job& j)
{
    // The device responded, so it stays online, and `citygate devices`
    // shows the failed step until a poll succeeds in full.
    device.last_error = j.first_detail;
    if (!device.partial_logged)
        spdlog::warn("bus {}: device {}: poll got valid responses to only {} of {} steps: {} (repeats are logged at "
                     "debug level)",
                     bus_.id, device.spec.id, j.steps_ok, j.steps_run, j.first_detail);
    else
        spdlog::debug("bus {}: device {}: poll got valid responses to only part of its steps: {}", bus_.id, device.spec.id, j.first_detail);
    device.partial_logged = true;
}

void bus_poller::impl::enqueue_on_demand(job j)
{
    if (started_)
        enqueue_due_polls();
    queue_.push_back(std::move(j));
    ++on_demand_waiting_;
    next_step();
}

bus_status bus_poller::impl::status() const
{
    return bus_status{
        .id = bus_.id,
        .endpoint = port_->describe(),
        .open = port_->is_open(),
        .exchanges = counters_.exchanges,
        .timeouts = counters_.timeouts,
        .rejected_frames = counters_.rejected_frames,
        .late_answers = counters_.late_answers,
        .port_errors = counters_.port_errors,
        .dropped_bytes = port_->bytes_dropped(),
    };
}

} // namespace citygate::bus
