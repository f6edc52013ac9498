#pragma once
// Private state of bus_poller, shared by bus_poller.cpp (schedule, device
// state, public API) and bus_exchange.cpp (one request/answer transaction).
// Asynchronous handlers hold a shared_ptr to the impl, so the impl and its
// transport outlive every operation still in flight after stop().

#include "gateway/bus/bus_poller.hpp"
#include "gateway/bus/io_timer.hpp"

#include <list>
#include <map>

namespace citygate::bus {

class bus_poller::impl : public std::enable_shared_from_this<impl> {
public:
    using clock = std::chrono::steady_clock;

    impl(boost::asio::io_context& io, config::bus_config bus, std::unique_ptr<transport> port,
         std::shared_ptr<const poller_options> options);

    // Public API, see bus_poller.
    void set_reading_handler(reading_handler handler) { on_reading_ = std::move(handler); }
    void set_event_handler(reading_handler handler) { on_event_ = std::move(handler); }
    void start();
    void stop();
    void add_device(device_spec spec, std::unique_ptr<drivers::device_codec> codec);
    bool remove_device(std::string_view device_id);
    bool has_device(std::string_view device_id) const { return devices_.contains(device_id); }
    void poll_now(std::string_view device_id, poll_handler handler);
    void command_now(std::string_view device_id, std::string_view name, std::string_view value,
                     poll_handler handler);
    void transact(drivers::exchange exchange, poll_handler handler);
    std::vector<device_status> device_states() const;
    bus_status status() const;
    const config::bus_config& bus() const noexcept { return bus_; }

private:
    struct device_entry {
        device_entry(boost::asio::io_context& io, device_spec s, std::unique_ptr<drivers::device_codec> c,
                     std::uint64_t id)
            : spec(std::move(s)), codec(std::move(c)), serial(id), timer(io)
        {
        }

        device_spec spec;
        std::unique_ptr<drivers::device_codec> codec;
        std::uint64_t serial; // tells a re-added device from its predecessor
        io_timer timer;
        bool scheduled_poll_pending = false; // queued or running; the timer is idle meanwhile

        device_state state = device_state::unknown;
        std::int64_t last_reading_ms = 0;
        unsigned consecutive_failures = 0;
        std::string last_error;
        std::uint64_t polls = 0;
        std::uint64_t failures = 0;
        std::uint64_t rejected_frames = 0;
        std::vector<metric_value> last_alarms;
        bool partial_logged = false; // a poll with failed steps was logged at warning level
        bool refusal_logged = false; // a poll refused in every step was logged at warning level
    };

    enum class job_kind {
        poll,        // the device's poll steps
        command,     // one device command
        bus_request, // one exchange addressed to no configured device
    };

    // One poll, command or bus exchange. Each step is one exchange: the first
    // attempt plus up to bus.retries repeats.
    struct job {
        job_kind kind = job_kind::poll;
        std::string device_id;
        std::uint64_t device_serial = 0;
        bool scheduled = false;  // from the device's schedule, not poll_now
        clock::time_point due{}; // scheduled polls: when it became due
        poll_handler handler;    // on-demand jobs only
        drivers::exchange command; // command and bus_request jobs

        std::size_t step = 0;
        std::vector<std::uint8_t> request; // of the current step
        unsigned attempts = 0;             // of the current step
        std::size_t steps_run = 0;         // finished steps, for the partial-poll warning
        std::size_t steps_ok = 0;
        std::size_t steps_refused = 0;     // replied with a valid refusal (Modbus exception)
        drivers::poll_answer merged;       // answers of the steps that succeeded
        std::vector<exchange_record> records; // exchanges, kept only when a caller waits (read --raw)
        std::error_code first_error;       // of the first failed step
        std::string first_detail;
    };

    // The running job, if any. It stays in the list node that queue_
    // allocated for it, so an idle bus keeps no job inline (the usual state
    // between polls) and taking a job from the queue moves nothing.
    class job_slot {
    public:
        explicit operator bool() const noexcept { return !node_.empty(); }
        job& operator*() noexcept { return node_.front(); }
        const job& operator*() const noexcept { return node_.front(); }
        job* operator->() noexcept { return &node_.front(); }
        const job* operator->() const noexcept { return &node_.front(); }

        // Makes the front of `queue` the running job. The slot must be empty.
        void take_front(std::list<job>& queue) { node_.splice(node_.end(), queue, queue.begin()); }

        // Hands the job, still in its node, to the caller and empties the slot.
        std::list<job> release()
        {
            std::list<job> out;
            out.splice(out.end(), node_);
            return out;
        }

        void reset() noexcept { node_.clear(); }

    private:
        std::list<job> node_;
    };

    // bus_poller.cpp: schedule and device state.
    device_entry* find_device(std::string_view id, std::uint64_t serial);
    void schedule_first_poll(device_entry& device);
    void arm_timer(device_entry& device, clock::time_point due);
    void on_poll_due(std::string_view device_id, std::uint64_t serial);
    void enqueue_scheduled(device_entry& device, clock::time_point due);
    void enqueue_due_polls();
    milliseconds effective_interval(const device_entry& device) const;
    void enqueue_on_demand(job j);
    void complete_job(std::error_code error, const std::string& detail, drivers::poll_answer answer);
    void finish_steps();
    void complete_poll(device_entry& device, job& j, std::error_code error, const std::string& detail,
                       drivers::poll_answer& answer);
    void log_partial(device_entry& device, const job& j);
    void record_success(device_entry& device, std::vector<metric_value> values,
                        const std::vector<metric_value>& alarms);
    void record_failure(device_entry& device, std::error_code error, const std::string& detail);
    void record_refusal(device_entry& device, const std::string& detail);
    void set_state(device_entry& device, device_state state);
    void emit(const reading_handler& handler, reading r);
    void fail_waiting_handler(job& j, std::error_code error, std::string detail = {});
    std::error_code check_on_demand(std::string_view device_id) const;

    // bus_exchange.cpp: transactions and the port.
    void next_step();
    void start_attempt();
    bool prepare_request(device_entry* device);
    proto::decode_result<drivers::poll_answer> decode_current(device_entry* device) const;
    void count_rejected();
    void count_late(std::size_t skipped_in_attempt);
    void on_written(std::uint64_t attempt, std::error_code error);
    void start_read(std::uint64_t attempt);
    void on_read(std::uint64_t attempt, std::error_code error, std::size_t bytes);
    void on_response_timeout(std::uint64_t attempt);
    void end_attempt();
    void end_attempt_after(std::chrono::microseconds wire_time);
    void attempt_failed(std::error_code error, std::string detail);
    void attempt_refused(std::error_code refusal);
    void attempt_succeeded(drivers::poll_answer answer);
    void step_done(std::error_code error, std::string detail, drivers::poll_answer answer);
    bool should_continue(std::error_code error) const;
    milliseconds gap_after_exchange() const;
    void abandon_current(std::error_code error);
    void on_port_error(std::error_code error, const char* operation);
    void open_port();
    void on_opened(std::uint64_t open_id, std::error_code error);
    bool wait_for_open();
    void schedule_reopen();
    bool is_stale(std::uint64_t attempt) const { return stopped_ || !attempt_active_ || attempt != attempt_id_; }

    boost::asio::io_context& io_;
    config::bus_config bus_;
    std::unique_ptr<transport> port_;
    std::shared_ptr<const poller_options> options_; // shared by the buses of a device_manager
    reading_handler on_reading_;
    reading_handler on_event_;

    std::map<std::string, std::unique_ptr<device_entry>, std::less<>> devices_;
    std::uint64_t next_device_serial_ = 1;
    std::size_t next_stagger_slot_ = 0;

    // A list allocates nothing while empty, the usual state on a bus with one
    // device. libstdc++'s deque allocates a map and a block when constructed.
    std::list<job> queue_;
    job_slot current_;
    std::size_t on_demand_waiting_ = 0;

    // Exchange state. attempt_id_ changes with every attempt so handlers of
    // a finished attempt (late read, cancelled timer) recognise themselves.
    std::uint64_t attempt_id_ = 0;
    bool attempt_active_ = false;
    bool in_gap_ = false;
    unsigned ops_in_flight_ = 0;
    // Bytes received in the current attempt. Reads go straight into the
    // vector's tail, so while a read is outstanding rx_ is longer than the
    // rx_received_ bytes that arrived (see start_read()).
    std::vector<std::uint8_t> rx_;
    std::size_t rx_received_ = 0;
    std::size_t late_in_attempt_ = 0; // late replies in rx_ already counted
    io_timer response_timer_;
    io_timer gap_timer_;

    // Timers of the port's open and reopen cycle. A bus needs them only
    // while its port is not open, so they are allocated on first use and
    // freed when the port opens (port_timers(), on_opened()).
    struct open_timers {
        explicit open_timers(boost::asio::io_context& io) : reopen(io), open_wait(io) {}

        io_timer reopen;
        // Jobs wait for an open in progress for at most one response
        // timeout, so a transport waiting for its peer (a DTU) does not
        // hold them.
        io_timer open_wait;
    };
    open_timers& port_timers();
    std::unique_ptr<open_timers> open_timers_;

    milliseconds reopen_delay_;
    bool open_failure_logged_ = false;
    bool reopen_pending_ = false; // the reopen timer is armed
    bool opening_ = false;        // an async_open is in progress
    std::uint64_t open_id_ = 0;   // tells the current open's completion from an abandoned one
    bool open_wait_armed_ = false;
    bool open_wait_expired_ = false;

    // The counters of bus_status that the poller keeps. status() adds the
    // rest, so each bus does not keep empty id and endpoint strings.
    struct bus_counters {
        std::uint64_t exchanges = 0;
        std::uint64_t timeouts = 0;
        std::uint64_t rejected_frames = 0;
        std::uint64_t late_answers = 0;
        std::uint64_t port_errors = 0;
    };
    bus_counters counters_;

    bool started_ = false;
    bool stopped_ = false;
};

} // namespace citygate::bus
