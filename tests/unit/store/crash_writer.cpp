// Helper for the outbox crash test: accepts readings in a loop and prints
// the total committed count after each accept() returns, so the test knows
// which readings must survive a SIGKILL. Every 40th round seals what is
// pending, so the crash also hits seals. Reading n has ts_ms = n and value n,
// numbered on from the accepted counter of an earlier run on the same file.
//
// Usage: store_crash_writer DB_PATH

#include "gateway/store/outbox.hpp"
#include "tests/unit/store/test_seal.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

int main(int argc, char** argv)
{
    using namespace citygate;
    if (argc != 2) {
        std::fprintf(stderr, "usage: store_crash_writer DB_PATH\n");
        return 2;
    }
    spdlog::set_level(spdlog::level::warn);

    std::error_code error;
    auto box = store::outbox::open(argv[1], {}, error);
    if (!box) {
        std::fprintf(stderr, "open %s failed: %s\n", argv[1], error.message().c_str());
        return 1;
    }

    std::uint64_t next = box->read_stats().accepted;
    std::vector<reading> batch;
    // Bounded so a test that fails to kill the writer does not leave it running forever.
    for (std::uint64_t round = 1; round <= 1'000'000; ++round) {
        batch.resize(static_cast<std::size_t>(1 + round % 7));
        lane l = round % 4 == 0 ? lane::event : lane::telemetry;
        for (reading& r : batch) {
            r.device_id = "wm-crash";
            r.lane = l;
            r.ts_ms = static_cast<std::int64_t>(next);
            r.values = {{"volume", "m3", static_cast<double>(next)}};
            ++next;
        }
        if (auto e = box->accept(batch)) {
            std::fprintf(stderr, "accept failed: %s\n", e.message().c_str());
            return 1;
        }
        std::printf("%llu\n", static_cast<unsigned long long>(next));
        std::fflush(stdout);

        if (round % 40 == 0) {
            std::size_t sealed_count = 0;
            if (auto e = box->seal_pending(store::test::test_seal, sealed_count)) {
                std::fprintf(stderr, "seal failed: %s\n", e.message().c_str());
                return 1;
            }
        }
    }
    return 0;
}
