// citygate-modbus-sim in its Modbus TCP modes, checked by mbpoll (an
// independent Modbus TCP master, Debian package mbpoll) on loopback.

#include "tests/support/mosquitto_fixture.hpp"
#include "tests/support/process.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <optional>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

using namespace citygate;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct run_result {
    int exit_code = -1;
    std::string output;
};

run_result run(const std::vector<std::string>& args, const fs::path& output)
{
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> argv;
    for (const auto& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE_MESSAGE(rc == 0, "cannot start " << args[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, test::read_text(output)};
}

// The simulator serving `ports` ports from a free one up, on IPv4 or IPv6 loopback.
// NOTE: only the first port is checked to be free, so a busy neighbour fails
// the start, which is then retried on other ports.
class tcp_sim {
public:
    explicit tcp_sim(test::address_family family = test::address_family::ipv4, unsigned ports = 1)
    {
        host_ = family == test::address_family::ipv4 ? "127.0.0.1" : "::1";

        // A test running beside this one can take the free port before the
        // simulator binds it, so a start that cannot listen is retried.
        bool serving = false;
        for (int attempt = 0; attempt < 3 && !serving; ++attempt)
            serving = start(family, ports);
        REQUIRE_MESSAGE(serving, "simulator did not start: " << test::read_text(log_path()));
    }

    // Runs mbpoll once (-1) in TCP mode with 0-based addresses (-0). Values
    // to write follow the host, so they go in `values`.
    run_result mbpoll(std::vector<std::string> args, std::vector<std::string> values = {}, unsigned port_index = 0,
                      const std::string& unit = "1")
    {
        std::vector<std::string> argv{CITYGATE_MBPOLL, "-m", "tcp", "-a", unit, "-p",
                                      std::to_string(first_port_ + port_index), "-0", "-1", "-o", "0.5"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.push_back(host_);
        argv.insert(argv.end(), values.begin(), values.end());
        return run(argv, dir_.path() / "mbpoll.log");
    }

private:
    std::filesystem::path log_path() const { return dir_.path() / "sim.log"; }

    // Starts the simulator on a new free port. Returns false when it
    // reported that it cannot listen or did not report serving in 10 s.
    bool start(test::address_family family, unsigned ports)
    {
        sim_.reset();
        std::filesystem::remove(log_path());
        first_port_ = test::free_port(family);

        std::vector<std::string> args{CITYGATE_MODBUS_SIM, "--unit", "1"};
        if (ports == 1) {
            const auto listen = family == test::address_family::ipv4 ? host_ : "[" + host_ + "]";
            args.insert(args.end(), {"--tcp-listen", listen + ":" + std::to_string(first_port_)});
        } else {
            args.insert(args.end(), {"--tcp-host", host_, "--tcp-ports",
                                     std::to_string(first_port_) + "-" + std::to_string(first_port_ + ports - 1)});
        }
        sim_.emplace(args, log_path());

        test::wait_until(
            [&] {
                const auto log = test::read_text(log_path());
                return log.find("serving") != std::string::npos || log.find("cannot listen") != std::string::npos;
            },
            10s);
        return test::read_text(log_path()).find("serving") != std::string::npos;
    }

    std::uint16_t first_port_ = 0;
    std::string host_;
    test::temp_dir dir_;
    std::optional<test::child_process> sim_;
};

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("mbpoll tcp reads holding registers")
{
    tcp_sim sim;
    auto result = sim.mbpoll({"-t", "4", "-r", "2", "-c", "4"});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "[2]: \t20"));
    CHECK(contains(result.output, "[5]: \t50"));
}

TEST_CASE("mbpoll tcp writes and reads back")
{
    tcp_sim sim;
    auto single = sim.mbpoll({"-t", "4", "-r", "10"}, {"1234"});
    INFO(single.output);
    CHECK(single.exit_code == 0);
    auto multiple = sim.mbpoll({"-t", "4", "-r", "20"}, {"7", "8", "9"});
    CHECK(multiple.exit_code == 0);
    auto coil = sim.mbpoll({"-t", "0", "-r", "1"}, {"1"});
    CHECK(coil.exit_code == 0);

    CHECK(contains(sim.mbpoll({"-t", "4", "-r", "10", "-c", "1"}).output, "[10]: \t1234"));
    auto block = sim.mbpoll({"-t", "4", "-r", "20", "-c", "3"});
    CHECK(contains(block.output, "[20]: \t7"));
    CHECK(contains(block.output, "[22]: \t9"));
    CHECK(contains(sim.mbpoll({"-t", "0", "-r", "1", "-c", "1"}).output, "[1]: \t1"));
}

TEST_CASE("mbpoll tcp over IPv6")
{
    tcp_sim sim(test::address_family::ipv6);
    auto result = sim.mbpoll({"-t", "3", "-r", "0", "-c", "2"});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "[0]: \t1000"));
    CHECK(contains(result.output, "[1]: \t1001"));
}

TEST_CASE("mbpoll tcp exceptions")
{
    tcp_sim sim;
    auto address = sim.mbpoll({"-t", "4", "-r", "99", "-c", "2"});
    INFO(address.output);
    CHECK(address.exit_code != 0);
    CHECK(contains(address.output, "Illegal data address"));

    // Unit 9 is not the simulated unit 1, so the simulator answers like a gateway without it.
    auto unit = sim.mbpoll({"-t", "4", "-r", "0", "-c", "1"}, {}, 0, "9");
    INFO(unit.output);
    CHECK(unit.exit_code != 0);
    CHECK(contains(unit.output, "Target device failed to respond"));
}

TEST_CASE("tcp ports are separate devices")
{
    tcp_sim sim(test::address_family::ipv4, 3);
    CHECK(sim.mbpoll({"-t", "4", "-r", "0"}, {"4242"}, 2).exit_code == 0);
    CHECK(contains(sim.mbpoll({"-t", "4", "-r", "0", "-c", "1"}, {}, 2).output, "[0]: \t4242"));
    auto other = sim.mbpoll({"-t", "4", "-r", "0", "-c", "1"}, {}, 1);
    INFO(other.output);
    CHECK(other.exit_code == 0);
    CHECK(contains(other.output, "[0]: \t0"));
}
