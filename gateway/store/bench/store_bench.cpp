// Measures outbox throughput: accept in batches, seal with a trivial seal
// function, fetch and acknowledge, until every reading has been sent.
// Prints readings per second, CPU microseconds (user + system) per reading
// and the process's peak RSS. scripts/bench-store.sh builds and runs it.

#include "gateway/store/outbox.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace {

using namespace citygate;

struct options {
    std::uint64_t readings = 1'000'000;
    std::size_t accept_batch = 100;
    std::size_t seal_every = 5000;
    std::size_t batch_max = 500;
    std::size_t event_every = 0;
    std::string dir;
};

// A trivial stand-in for the envelope: a few bytes per reading so the
// sealed blobs have a realistic share of the byte count.
store::sealed_prefix trivial_seal(lane, std::uint64_t sequence, std::span<const reading> readings,
                                  std::vector<std::uint8_t>& out)
{
    out.assign(readings.size() * 24 + 90, static_cast<std::uint8_t>(sequence));
    return store::sealed_prefix{readings.size()};
}

std::vector<reading> make_readings(std::size_t count)
{
    std::vector<reading> batch(count);
    for (std::size_t i = 0; i < count; ++i) {
        reading& r = batch[i];
        r.device_id = "wm-" + std::to_string(10000 + i);
        r.values = {{"volume", "m3", 1234.5}, {"flow", "m3/h", 0.75}};
    }
    return batch;
}

bool drain(store::outbox& box, std::uint64_t& sent_batches)
{
    std::size_t sealed_count = 0;
    if (box.seal_pending(trivial_seal, sealed_count)) {
        return false;
    }
    for (;;) {
        auto batches = box.next_batches(64, {});
        if (batches.empty()) {
            return true;
        }
        for (const auto& b : batches) {
            if (box.acknowledge(b.id)) {
                return false;
            }
            ++sent_batches;
        }
    }
}

long peak_rss_kib()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

// User plus system CPU time of this process, in seconds.
double cpu_seconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int run(const options& opt, const std::filesystem::path& db_path)
{
    store::limits lim;
    lim.batch_max_readings = opt.batch_max;
    std::error_code error;
    auto box = store::outbox::open(db_path, lim, error);
    if (!box) {
        std::fprintf(stderr, "cannot open %s: %s\n", db_path.c_str(), error.message().c_str());
        return 1;
    }

    auto batch = make_readings(opt.accept_batch);
    std::uint64_t accepted = 0;
    std::uint64_t since_seal = 0;
    std::uint64_t sent_batches = 0;
    std::uint64_t accept_calls = 0;
    std::uint64_t event_calls = 0;
    auto start = std::chrono::steady_clock::now();
    double cpu_start = cpu_seconds();
    while (accepted < opt.readings) {
        ++accept_calls;
        bool event = opt.event_every != 0 && accept_calls % opt.event_every == 0;
        event_calls += event ? 1 : 0;
        for (auto& r : batch) {
            r.ts_ms = 1'700'000'000'000 + static_cast<std::int64_t>(accepted);
            r.lane = event ? lane::event : lane::telemetry;
        }
        if (auto e = box->accept(batch)) {
            std::fprintf(stderr, "accept failed: %s\n", e.message().c_str());
            return 1;
        }
        accepted += batch.size();
        since_seal += batch.size();
        if (since_seal >= opt.seal_every) {
            since_seal = 0;
            if (!drain(*box, sent_batches)) {
                return 1;
            }
        }
    }
    if (!drain(*box, sent_batches)) {
        return 1;
    }
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    double cpu = cpu_seconds() - cpu_start;

    auto s = box->read_stats();
    auto sent = static_cast<double>(s.sent);
    std::printf("readings accepted+sealed+acknowledged: %llu in %.3f s\n", static_cast<unsigned long long>(s.sent),
                elapsed.count());
    std::printf("readings/s: %.0f\n", sent / elapsed.count());
    std::printf("CPU us/reading: %.2f\n", sent > 0 ? cpu * 1e6 / sent : 0.0);
    std::printf("peak RSS: %ld KiB\n", peak_rss_kib());
    std::printf("batches: %llu, accept calls: %llu, event-lane accept calls: %llu\n",
                static_cast<unsigned long long>(sent_batches), static_cast<unsigned long long>(accept_calls),
                static_cast<unsigned long long>(event_calls));
    return s.sent == accepted ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    options opt;
    CLI::App app{"citygate outbox micro-benchmark"};
    app.add_option("--readings", opt.readings, "readings to push through the outbox");
    app.add_option("--accept-batch", opt.accept_batch, "readings per accept() call");
    app.add_option("--seal-every", opt.seal_every, "readings accepted between seal/send/acknowledge rounds");
    app.add_option("--batch-max", opt.batch_max, "batch_max_readings of the outbox");
    app.add_option("--event-every", opt.event_every, "make every Nth accept() an event-lane accept (0: none)");
    app.add_option("--dir", opt.dir, "directory for the database (default: a new directory under /var/tmp)");
    CLI11_PARSE(app, argc, argv);
    spdlog::set_level(spdlog::level::warn);

    bool own_dir = opt.dir.empty();
    std::filesystem::path dir = own_dir ? std::filesystem::path("/var/tmp") / ("citygate-store-bench-" + std::to_string(getpid()))
                                        : std::filesystem::path(opt.dir);
    int rc = run(opt, dir / "outbox.db");
    if (own_dir) {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
    return rc;
}
