// Kills a writer process with SIGKILL in the middle of its accept loop,
// three times on the same database, and checks that every reading it
// reported as committed can still be sealed and read back, exactly once.
// SIGKILL tests a process crash. A power cut is not simulated here.

#include "tests/unit/store/test_seal.hpp"
#include "tests/unit/store/test_support.hpp"

#include <csignal>
#include <cstdio>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

using namespace citygate;
using namespace citygate::store;
using namespace citygate::store::test;

namespace {

// Starts the writer, reads its committed counts until one reaches
// `at_least`, kills it with SIGKILL and returns the last count read.
std::uint64_t run_and_kill_writer(const std::filesystem::path& db, std::uint64_t at_least)
{
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        ::close(fds[0]);
        ::close(fds[1]);
        ::execl(CITYGATE_STORE_CRASH_WRITER, CITYGATE_STORE_CRASH_WRITER, db.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);

    FILE* out = ::fdopen(fds[0], "r");
    REQUIRE(out != nullptr);
    std::uint64_t last = 0;
    unsigned long long value = 0;
    while (last < at_least && std::fscanf(out, "%llu", &value) == 1) {
        last = value;
    }
    // Kill while the writer is in its next accept or seal.
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::fclose(out);

    INFO("writer exit status " << status);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
    REQUIRE(last >= at_least);
    return last;
}

} // namespace

TEST_CASE("SIGKILL mid-accept loses no reported reading")
{
    temp_dir dir;
    std::uint64_t printed = 0;
    for (std::uint64_t round = 1; round <= 3; ++round) {
        printed = run_and_kill_writer(dir.db(), printed + 600);
        raw_db raw(dir.db());
        CHECK(raw.query_text("PRAGMA integrity_check") == "ok");
    }

    std::set<std::int64_t> seen;
    std::uint64_t duplicates = 0;
    {
        auto box = open_outbox(dir.db());
        auto s = box->read_stats();
        CHECK(s.accepted >= printed);
        CHECK(s.evicted == 0);

        std::size_t sealed_count = 0;
        REQUIRE_FALSE(box->seal_pending(test_seal, sealed_count));
        std::uint64_t previous_sequence = 0;
        std::unordered_set<std::int64_t> in_flight;
        for (;;) {
            auto batches = box->next_batches(64, in_flight);
            if (batches.empty()) {
                break;
            }
            for (const auto& b : batches) {
                in_flight.insert(b.id);
                auto decoded = decode_test_batch(b.bytes);
                REQUIRE(decoded.has_value());
                CHECK(decoded->sequence == b.sequence);
                CHECK(decoded->lane == b.lane);
                if (b.lane == lane::telemetry) {
                    CHECK(b.sequence > previous_sequence);
                    previous_sequence = b.sequence;
                }
                for (const auto& r : decoded->readings) {
                    CHECK(r.value == static_cast<double>(r.ts_ms));
                    duplicates += seen.insert(r.ts_ms).second ? 0 : 1;
                }
            }
        }
        CHECK(seen.size() == s.accepted);
    }

    CHECK(duplicates == 0);
    std::uint64_t missing = 0;
    for (std::uint64_t n = 0; n < printed; ++n) {
        missing += seen.contains(static_cast<std::int64_t>(n)) ? 0 : 1;
    }
    CHECK(missing == 0);
    REQUIRE_FALSE(seen.empty());
    CHECK(*seen.begin() == 0);
    CHECK(static_cast<std::uint64_t>(*seen.rbegin()) < seen.size());

    raw_db raw(dir.db());
    CHECK(raw.query_text("PRAGMA integrity_check") == "ok");
}
