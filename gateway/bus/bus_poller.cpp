#include "gateway/bus/bus_poller.hpp"

#include "gateway/bus/poller_impl.hpp"
#include "gateway/bus/wall_clock.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace citygate::bus {

namespace asio = boost::asio;

std::string_view to_string(device_state state) noexcept
{
    switch (state) {
    case device_state::online:
        return "online";
    case device_state::offline:
        return "offline";
    case device_state::unknown:
        break;
    }
    return "unknown";
}

device_spec make_device_spec(const config::device_config& device)
{
    return device_spec{
        .id = device.id,
        .driver = device.driver,
        .address = device.address,
        .poll_interval = device.poll_interval,
        .offline_after = device.offline_after,
    };
}

namespace {

bool same_values(const std::vector<metric_value>& a, const std::vector<metric_value>& b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const metric_value& x, const metric_value& y) {
        return x.metric == y.metric && x.unit == y.unit && x.value == y.value;
    });
}

// Names the rejected value and the accepted ones, from the codec's list of
// commands ("valve=open|close").
std::string describe_command_error(const drivers::device_codec& codec, std::string_view name, std::string_view value,
                                   std::error_code error)
{
    if (error != drivers::driver_error::invalid_command_value)
        return error.message();

    std::string detail = "invalid value \"" + std::string(value) + "\" for command " + std::string(name);
    const auto prefix = std::string(name) + "=";
    for (const auto& command : codec.commands())
        if (command.starts_with(prefix))
            return detail + "; expected " + command.substr(prefix.size());
    return detail;
}

} // namespace

bus_poller::impl::impl(asio::io_context& io, config::bus_config bus, std::unique_ptr<transport> port,
                       std::shared_ptr<const poller_options> options)
    : io_(io), bus_(std::move(bus)), port_(std::move(port)), options_(std::move(options)), response_timer_(io),
      gap_timer_(io), reopen_delay_(options_->reopen_min)
{
}

void bus_poller::impl::start()
{
    if (started_ || stopped_)
        return;
    started_ = true;

    open_port();

    for (auto& [id, device] : devices_)
        schedule_first_poll(*device);

    // On-demand polls taken before start() run now rather than behind the
    // first timer.
    next_step();
}

void bus_poller::impl::stop()
{
    if (stopped_)
        return;
    stopped_ = true;

    response_timer_.cancel();
    gap_timer_.cancel();
    open_timers_.reset(); // cancels their waits
    for (auto& [id, device] : devices_)
        device->timer.cancel();

    // Closing abandons the current transaction: its handlers see stopped_.
    port_->cancel();
    port_->close();

    if (current_)
        fail_waiting_handler(*current_, bus_error::stopped);
    current_.reset();
    for (auto& j : queue_)
        fail_waiting_handler(j, bus_error::stopped);
    queue_.clear();
    on_demand_waiting_ = 0;
}

void bus_poller::impl::add_device(device_spec spec, std::unique_ptr<drivers::device_codec> codec)
{
    if (spec.poll_interval < milliseconds{1})
        spec.poll_interval = milliseconds{1};

    remove_device(spec.id);

    auto id = spec.id;
    auto device = std::make_unique<device_entry>(io_, std::move(spec), std::move(codec), next_device_serial_++);
    auto& entry = *device;
    devices_.emplace(std::move(id), std::move(device));

    if (started_ && !stopped_)
        schedule_first_poll(entry);
}

bool bus_poller::impl::remove_device(std::string_view device_id)
{
    auto it = devices_.find(device_id);
    if (it == devices_.end())
        return false;

    it->second->timer.cancel();

    if (current_ && current_->device_id == device_id)
        abandon_current(bus_error::device_removed);

    std::erase_if(queue_, [&](job& j) {
        if (j.device_id != device_id)
            return false;
        if (!j.scheduled)
            --on_demand_waiting_;
        fail_waiting_handler(j, bus_error::device_removed);
        return true;
    });

    devices_.erase(it);
    return true;
}

std::error_code bus_poller::impl::check_on_demand(std::string_view device_id) const
{
    if (stopped_)
        return bus_error::stopped;
    if (!device_id.empty() && !devices_.contains(device_id))
        return bus_error::device_unknown;
    if (on_demand_waiting_ >= options_->max_queued_requests)
        return bus_error::queue_full;
    return {};
}

void bus_poller::impl::poll_now(std::string_view device_id, poll_handler handler)
{
    job j;
    j.device_id = std::string(device_id);
    j.handler = std::move(handler);
    if (auto rejection = check_on_demand(device_id)) {
        fail_waiting_handler(j, rejection);
        return;
    }
    j.device_serial = devices_.find(device_id)->second->serial;
    enqueue_on_demand(std::move(j));
}

void bus_poller::impl::command_now(std::string_view device_id, std::string_view name, std::string_view value,
                                   poll_handler handler)
{
    job j;
    j.kind = job_kind::command;
    j.device_id = std::string(device_id);
    j.handler = std::move(handler);
    if (auto rejection = check_on_demand(device_id)) {
        fail_waiting_handler(j, rejection);
        return;
    }

    const auto& device = *devices_.find(device_id)->second;
    if (auto ec = device.codec->encode_command(name, value, j.command)) {
        fail_waiting_handler(j, bus_error::command_rejected, describe_command_error(*device.codec, name, value, ec));
        return;
    }
    j.device_serial = device.serial;
    enqueue_on_demand(std::move(j));
}

void bus_poller::impl::transact(drivers::exchange exchange, poll_handler handler)
{
    job j;
    j.kind = job_kind::bus_request;
    j.handler = std::move(handler);
    j.command = std::move(exchange);
    if (auto rejection = check_on_demand({})) {
        fail_waiting_handler(j, rejection);
        return;
    }
    enqueue_on_demand(std::move(j));
}

std::vector<device_status> bus_poller::impl::device_states() const
{
    std::vector<device_status> out;
    out.reserve(devices_.size());
    for (const auto& [id, d] : devices_) {
        out.push_back(device_status{
            .id = d->spec.id,
            .driver = d->spec.driver,
            .bus = bus_.id,
            .address = d->spec.address,
            .state = d->state,
            .last_reading_ms = d->last_reading_ms,
            .consecutive_failures = d->consecutive_failures,
            .last_error = d->last_error,
            .polls = d->polls,
            .failures = d->failures,
            .rejected_frames = d->rejected_frames,
        });
    }
    return out;
}

bus_poller::impl::device_entry* bus_poller::impl::find_device(std::string_view id, std::uint64_t serial)
{
    auto it = devices_.find(id);
    if (it == devices_.end() || it->second->serial != serial)
        return nullptr;
    return it->second.get();
}

void bus_poller::impl::schedule_first_poll(device_entry& device)
{
    // Spreads first polls so that a bus with many meters does not start
    // with a queue of all of them.
    const auto slot = static_cast<long>(next_stagger_slot_++ % std::max<std::size_t>(devices_.size(), 1));
    const auto offset = (options_->first_poll_stagger * slot) % device.spec.poll_interval;
    arm_timer(device, clock::now() + offset);
}

void bus_poller::impl::arm_timer(device_entry& device, clock::time_point due)
{
    device.timer.expires_at(due);
    device.timer.async_wait([self = shared_from_this(), id = device.spec.id,
                             serial = device.serial](const boost::system::error_code& ec) {
        if (!ec)
            self->on_poll_due(id, serial);
    });
}

void bus_poller::impl::on_poll_due(std::string_view device_id, std::uint64_t serial)
{
    auto* device = find_device(device_id, serial);
    // A handler that was already queued when enqueue_due_polls() took its
    // poll finds the device pending, or re-armed for a later time.
    if (stopped_ || device == nullptr || device->scheduled_poll_pending || device->timer.expiry() > clock::now())
        return;

    enqueue_scheduled(*device, device->timer.expiry());
    next_step();
}

void bus_poller::impl::enqueue_scheduled(device_entry& device, clock::time_point due)
{
    device.scheduled_poll_pending = true;
    job j;
    j.device_id = device.spec.id;
    j.device_serial = device.serial;
    j.scheduled = true;
    j.due = due;
    queue_.push_back(std::move(j));
}

void bus_poller::impl::enqueue_due_polls()
{
    // Timers that expired but whose handlers have not run yet would
    // otherwise queue behind an on-demand poll taken in the meantime.
    const auto now = clock::now();
    std::vector<device_entry*> due;
    for (auto& [id, device] : devices_)
        if (!device->scheduled_poll_pending && device->timer.expiry() <= now)
            due.push_back(device.get());
    std::stable_sort(due.begin(), due.end(),
                     [](const device_entry* a, const device_entry* b) { return a->timer.expiry() < b->timer.expiry(); });
    for (auto* device : due) {
        enqueue_scheduled(*device, device->timer.expiry());
        device->timer.cancel();
    }
}

milliseconds bus_poller::impl::effective_interval(const device_entry& device) const
{
    const auto interval = device.spec.poll_interval;
    if (device.state != device_state::offline)
        return interval;

    // Doubles per failed poll past the offline threshold, capped at the
    // smaller of offline_backoff_factor_max intervals and
    // offline_backoff_max, but never below the configured interval.
    const auto cap = std::max(interval, std::min(interval * options_->offline_backoff_factor_max,
                                                 options_->offline_backoff_max));
    auto backoff = interval;
    const unsigned doublings = device.consecutive_failures - device.spec.offline_after + 1;
    for (unsigned i = 0; i < doublings && backoff < cap; ++i)
        backoff *= 2;
    return std::min(backoff, cap);
}

void bus_poller::impl::record_success(device_entry& device, std::vector<metric_value> values,
                                      const std::vector<metric_value>& alarms)
{
    const auto now_ms = wall_clock_now_ms();
    const bool trusted = wall_clock_trusted();

    ++device.polls;
    device.consecutive_failures = 0;
    device.last_error.clear();
    device.last_reading_ms = now_ms;
    set_state(device, device_state::online);

    if (!values.empty())
        emit(on_reading_, reading{device.spec.id, lane::telemetry, now_ms, trusted, std::move(values)});

    // Alarms go to the event lane when they change, so a meter that reports
    // "low battery" on every poll does not flood the uplink.
    if (!alarms.empty() && !same_values(alarms, device.last_alarms))
        emit(on_event_, reading{device.spec.id, lane::event, now_ms, trusted, alarms});
    device.last_alarms = alarms;
}

void bus_poller::impl::record_failure(device_entry& device, std::error_code error, const std::string& detail)
{
    ++device.polls;
    ++device.failures;
    ++device.consecutive_failures;
    device.last_error = detail.empty() ? error.message() : detail;

    if (device.consecutive_failures == 1)
        spdlog::warn("bus {}: device {}: poll failed: {} (repeats are logged at debug level until it answers)",
                     bus_.id, device.spec.id, device.last_error);
    else
        spdlog::debug("bus {}: device {}: poll failed ({} in a row): {}", bus_.id, device.spec.id,
                      device.consecutive_failures, device.last_error);

    if (device.consecutive_failures >= device.spec.offline_after)
        set_state(device, device_state::offline);
}

void bus_poller::impl::record_refusal(device_entry& device, const std::string& detail)
{
    // The device answered, so it is online even though the poll has no
    // values, and `citygate devices` shows the refusal until a poll succeeds.
    ++device.polls;
    ++device.failures;
    device.consecutive_failures = 0;
    device.last_error = detail;

    if (!device.refusal_logged)
        spdlog::warn("bus {}: device {}: poll refused: {} (repeats are logged at debug level until a poll succeeds)",
                     bus_.id, device.spec.id, detail);
    else
        spdlog::debug("bus {}: device {}: poll refused: {}", bus_.id, device.spec.id, detail);
    device.refusal_logged = true;

    set_state(device, device_state::online);
}

void bus_poller::impl::set_state(device_entry& device, device_state state)
{
    if (device.state == state)
        return;
    device.state = state;

    std::vector<metric_value> values{{"state", "", std::string(to_string(state))}};
    if (state == device_state::offline) {
        values.push_back({"last_error", "", device.last_error});
        spdlog::warn("bus {}: device {}: offline after {} failed polls: {}", bus_.id, device.spec.id,
                     device.consecutive_failures, device.last_error);
    } else {
        spdlog::info("bus {}: device {}: online", bus_.id, device.spec.id);
    }

    emit(on_event_, reading{device.spec.id, lane::event, wall_clock_now_ms(), wall_clock_trusted(), std::move(values)});
}

void bus_poller::impl::emit(const reading_handler& handler, reading r)
{
    // Posted so that a handler may call back into the poller (remove a
    // device, poll one) without re-entering a half-finished update.
    if (handler)
        asio::post(io_, [handler, r = std::move(r)]() mutable { handler(std::move(r)); });
}

void bus_poller::impl::fail_waiting_handler(job& j, std::error_code error, std::string detail)
{
    if (!j.handler)
        return;
    poll_result result;
    result.device_id = j.device_id;
    result.exchanges = std::move(j.records);
    result.error_detail = std::move(detail);
    asio::post(io_, [handler = std::move(j.handler), error, result = std::move(result)]() mutable {
        handler(error, std::move(result));
    });
    j.handler = nullptr;
}

// Public facade.

bus_poller::bus_poller(asio::io_context& io, config::bus_config bus, std::unique_ptr<transport> port,
                       poller_options options)
    : bus_poller(io, std::move(bus), std::move(port), std::make_shared<const poller_options>(options))
{
}

bus_poller::bus_poller(asio::io_context& io, config::bus_config bus, std::unique_ptr<transport> port,
                       std::shared_ptr<const poller_options> options)
    : impl_(std::make_shared<impl>(io, std::move(bus), std::move(port), std::move(options)))
{
}

bus_poller::~bus_poller()
{
    impl_->stop();
}

void bus_poller::on_reading(reading_handler handler) { impl_->set_reading_handler(std::move(handler)); }
void bus_poller::on_event(reading_handler handler) { impl_->set_event_handler(std::move(handler)); }
void bus_poller::start() { impl_->start(); }
void bus_poller::stop() { impl_->stop(); }

void bus_poller::add_device(device_spec spec, std::unique_ptr<drivers::device_codec> codec)
{
    impl_->add_device(std::move(spec), std::move(codec));
}

bool bus_poller::remove_device(std::string_view device_id) { return impl_->remove_device(device_id); }
bool bus_poller::has_device(std::string_view device_id) const { return impl_->has_device(device_id); }

void bus_poller::poll_now(std::string_view device_id, poll_handler handler)
{
    impl_->poll_now(device_id, std::move(handler));
}

void bus_poller::command_now(std::string_view device_id, std::string_view name, std::string_view value,
                             poll_handler handler)
{
    impl_->command_now(device_id, name, value, std::move(handler));
}

void bus_poller::transact(drivers::exchange exchange, poll_handler handler)
{
    impl_->transact(std::move(exchange), std::move(handler));
}

bus_status bus_poller::status() const { return impl_->status(); }

std::vector<device_status> bus_poller::device_states() const { return impl_->device_states(); }
const config::bus_config& bus_poller::bus() const noexcept { return impl_->bus(); }

} // namespace citygate::bus
