// End-to-end benchmark of the reading path: a synthetic source feeds the
// daemon's pipeline at full speed, through the SQLite outbox, SM4/HMAC-SM3
// sealing and the MQTT uplink, until the broker has acknowledged every
// batch. Prints readings/s, CPU microseconds per reading and peak RSS.
//
// Run it through scripts/bench-pipeline.sh, which starts the broker and
// measures mosquitto_pub alongside.

#include "gateway/crypto/key_file.hpp"
#include "gateway/daemon/pipeline.hpp"
#include "gateway/daemon/sealer.hpp"
#include "gateway/senml/senml.hpp"
#include "gateway/store/outbox.hpp"
#include "gateway/uplink/forwarder.hpp"
#include "gateway/uplink/mqtt_uplink.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace {

using namespace citygate;
using clock_type = std::chrono::steady_clock;

// --batch alone sets the readings per envelope, so the sealer's size limit
// is raised to the largest pack a receiver accepts.
constexpr std::size_t unlimited_pack = senml::max_pack_size;

struct options {
    std::string broker = "tcp://127.0.0.1:1883";
    std::uint64_t readings = 1000000;
    std::size_t batch = 500;
    std::size_t max_in_flight = 4;
    std::size_t devices = 1000;
    std::filesystem::path dir = "/var/tmp/citygate-pipeline-bench";
    std::filesystem::path sample_file;
    bool json = false; // SenML JSON packs instead of the daemon's default CBOR
};

crypto::content_type content_of(const options& opts)
{
    return opts.json ? crypto::content_type::senml_json : crypto::content_type::senml_cbor;
}

double cpu_seconds()
{
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

long peak_rss_kib()
{
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

// A water meter reading as the CJ/T 188 driver produces it.
reading make_reading(std::uint64_t n, std::size_t devices, std::int64_t ts_ms)
{
    reading r;
    r.device_id = "wm-" + std::to_string(n % devices);
    r.ts_ms = ts_ms;
    r.values = {
        {"volume", "m3", 1000.0 + static_cast<double>(n) * 0.01},
        {"volume_settlement", "m3", 990.5},
        {"meter_time", "", std::string("2026-12-04T21:00:00")},
        {"valve", "", std::string("open")},
        {"battery_low", "", false},
    };
    return r;
}

class bench {
public:
    bench(boost::asio::io_context& io, const options& opts, store::outbox& outbox, const crypto::key_set& keys)
        : io_(io), opts_(opts),
          uplink_(io, uplink_settings(opts), "bench-gw", "bench", {}),
          forwarder_(io, outbox, uplink_, opts.max_in_flight, std::chrono::milliseconds(100)),
          pipeline_(io, outbox,
                    daemon::make_sealer("bench-gw", keys, now_ms, counters_, unlimited_pack, content_of(opts)),
                    "bench-gw", now_ms, pipeline_settings(opts))
    {
        uplink::uplink_callbacks callbacks;
        callbacks.on_connected = [this] { on_connected(); };
        callbacks.on_disconnected = [this](const std::string& reason) {
            spdlog::warn("bench: link lost: {}", reason);
            forwarder_.on_disconnected();
        };
        callbacks.on_acked = [this](std::int64_t id) { on_acked(id); };
        callbacks.on_publish_failed = [this](std::int64_t id, std::string reason) {
            forwarder_.on_publish_failed(id, reason);
        };
        uplink_.set_callbacks(std::move(callbacks));
        pipeline_.on_sealed([this] { forwarder_.kick(); });
    }

    void start() { uplink_.start(); }

    std::uint64_t acked_batches() const { return forwarder_.stats().acknowledged; }
    double elapsed_s() const { return std::chrono::duration<double>(finished_ - started_).count(); }
    double cpu_s() const { return cpu_end_ - cpu_start_; }
    std::size_t peak_in_flight() const { return forwarder_.stats().peak_in_flight; }

private:
    static config::uplink_config uplink_settings(const options& opts)
    {
        config::uplink_config cfg;
        cfg.brokers = {opts.broker};
        cfg.max_in_flight = opts.max_in_flight;
        cfg.reconnect_min = std::chrono::milliseconds(100);
        cfg.reconnect_max = std::chrono::milliseconds(1000);
        return cfg;
    }

    static daemon::pipeline_options pipeline_settings(const options& opts)
    {
        daemon::pipeline_options p;
        p.flush_interval = std::chrono::milliseconds(50);
        p.flush_threshold = opts.batch;
        return p;
    }

    static std::int64_t now_ms()
    {
        using namespace std::chrono;
        return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    }

    void on_connected()
    {
        forwarder_.on_connected();
        if (started_flag_)
            return;
        started_flag_ = true;
        started_ = clock_type::now();
        cpu_start_ = cpu_seconds();
        pipeline_.start();
        produce();
    }

    void on_acked(std::int64_t id)
    {
        forwarder_.on_acked(id);
        if (produced_ == opts_.readings && acked_batches() >= expected_batches()) {
            finish();
            return;
        }
        produce();
    }

    std::uint64_t expected_batches() const { return (opts_.readings + opts_.batch - 1) / opts_.batch; }

    // Keeps a bounded backlog: the source waits while more than one
    // in-flight window plus two batches of readings are not yet
    // acknowledged, so the outbox holds what a gateway with a fast link
    // holds and memory stays flat.
    void produce()
    {
        const std::uint64_t backlog_limit = (opts_.max_in_flight + 2) * opts_.batch;
        const auto ts = now_ms();
        while (produced_ < opts_.readings && produced_ - acked_batches() * opts_.batch < backlog_limit) {
            for (std::size_t i = 0; i < opts_.batch && produced_ < opts_.readings; ++i)
                pipeline_.add(make_reading(produced_++, opts_.devices, ts));
            pipeline_.flush();
        }
    }

    void finish()
    {
        finished_ = clock_type::now();
        cpu_end_ = cpu_seconds();
        pipeline_.stop();
        uplink_.stop([this] { io_.stop(); });
    }

    boost::asio::io_context& io_;
    const options& opts_;
    daemon::seal_counters counters_;
    uplink::mqtt_uplink uplink_;
    uplink::forwarder forwarder_;
    daemon::pipeline pipeline_;
    std::uint64_t produced_ = 0;
    bool started_flag_ = false;
    clock_type::time_point started_;
    clock_type::time_point finished_;
    double cpu_start_ = 0;
    double cpu_end_ = 0;
};

// Seals one batch of the benchmark's readings, so the script can publish
// envelopes of the same size with mosquitto_pub for comparison.
bool write_sample_envelope(const options& opts, const crypto::key_set& keys)
{
    if (opts.sample_file.empty())
        return true;

    std::vector<reading> readings;
    for (std::size_t i = 0; i < opts.batch; ++i)
        readings.push_back(make_reading(i, opts.devices, 1796400000000 + static_cast<std::int64_t>(i)));
    daemon::seal_counters counters;
    auto seal = daemon::make_sealer("bench-gw", keys, [] { return std::int64_t{1796400000000}; }, counters,
                                    unlimited_pack, content_of(opts));
    std::vector<std::uint8_t> envelope;
    if (seal(lane::telemetry, 1, readings, envelope).readings != readings.size()) {
        std::fprintf(stderr, "bench: sealing the sample envelope failed\n");
        return false;
    }
    std::ofstream out(opts.sample_file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(envelope.data()), static_cast<std::streamsize>(envelope.size()));
    std::printf("envelope: %zu readings in %zu bytes\n", opts.batch, envelope.size());
    return static_cast<bool>(out);
}

int run(const options& opts)
{
    std::filesystem::remove_all(opts.dir);
    std::filesystem::create_directories(opts.dir);
    const auto key_path = opts.dir / "keys.toml";
    if (const auto error = crypto::generate_key_file(key_path, 1)) {
        std::fprintf(stderr, "bench: cannot write %s: %s\n", key_path.c_str(), error.message().c_str());
        return 1;
    }
    std::error_code error;
    std::string detail;
    const auto keys = crypto::load_key_file(key_path, error, detail);
    store::limits limits;
    limits.batch_max_readings = opts.batch;
    auto outbox = store::outbox::open(opts.dir / "outbox.db", limits, error);
    if (!keys || !outbox) {
        std::fprintf(stderr, "bench: setup failed: %s %s\n", error.message().c_str(), detail.c_str());
        return 1;
    }

    if (!write_sample_envelope(opts, *keys))
        return 1;

    boost::asio::io_context io(1);
    // Paho connects on its own thread; the guard keeps run() waiting for it.
    auto guard = boost::asio::make_work_guard(io);
    bench b(io, opts, *outbox, *keys);
    b.start();
    io.run();

    const auto stats = outbox->read_stats();
    const double rate = static_cast<double>(stats.sent) / b.elapsed_s();
    std::printf("readings sent: %llu in %llu envelopes (peak in flight %zu)\n",
                static_cast<unsigned long long>(stats.sent), static_cast<unsigned long long>(b.acked_batches()),
                b.peak_in_flight());
    std::printf("pipeline: %.0f readings/s, %.2f CPU us/reading, peak RSS %ld KiB, %.2f s\n", rate,
                b.cpu_s() * 1e6 / static_cast<double>(stats.sent), peak_rss_kib(), b.elapsed_s());
    return stats.sent == opts.readings ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    options opts;
    CLI::App app{"citygate-pipeline-bench: synthetic readings through outbox, seal, publish and PUBACK"};
    app.add_option("--broker", opts.broker, "MQTT broker URI")->capture_default_str();
    app.add_option("--readings", opts.readings, "readings to send")->capture_default_str();
    app.add_option("--batch", opts.batch, "readings per envelope")->capture_default_str();
    app.add_option("--max-in-flight", opts.max_in_flight, "envelopes published and not yet acknowledged")
        ->capture_default_str();
    app.add_option("--devices", opts.devices, "distinct device ids")->capture_default_str();
    app.add_option("--dir", opts.dir, "scratch directory for the key file and the outbox (emptied first)")
        ->capture_default_str();
    app.add_option("--sample-envelope", opts.sample_file, "write one sealed batch of --batch readings to this file");
    app.add_flag("--json", opts.json, "seal SenML JSON packs instead of SenML CBOR");
    CLI11_PARSE(app, argc, argv);

    spdlog::set_level(spdlog::level::warn);
    return run(opts);
}
