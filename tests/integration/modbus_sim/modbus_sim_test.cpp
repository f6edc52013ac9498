// citygate-modbus-sim on a pty bus: socat links two ptys in a temporary
// directory, the simulator serves unit 7 on one end, and mbpoll (an
// independent master) or the modbus-rtu driver's codec polls the other end.

#include "drivers/modbus/modbus_driver.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <system_error>
#include <termios.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

using namespace citygate;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr auto start_timeout = 10s;
constexpr auto reply_timeout = 3s;
const std::string unit_id = "7";

std::string read_text(const fs::path& path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

class temp_dir {
public:
    temp_dir()
    {
        std::string pattern = (fs::temp_directory_path() / "citygate-modbus-sim-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::system_error(errno, std::generic_category(), "mkdtemp failed");
        path_ = pattern;
    }
    ~temp_dir()
    {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const fs::path& path() const noexcept { return path_; }

private:
    fs::path path_;
};

pid_t spawn(const std::vector<std::string>& args, const fs::path& output)
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
    if (rc != 0)
        throw std::system_error(rc, std::generic_category(), "posix_spawn " + args[0] + " failed");
    return pid;
}

// Child process with stdout and stderr in `output`; stopped with SIGTERM,
// then SIGKILL after two seconds, when the object goes away.
class child_process {
public:
    child_process(const std::vector<std::string>& args, const fs::path& output) : pid_(spawn(args, output)) {}
    ~child_process()
    {
        ::kill(pid_, SIGTERM);
        const bool exited = wait_until([this] { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }, 2s);
        if (!exited) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

private:
    pid_t pid_;
};

struct run_result {
    int exit_code = -1;
    std::string output;
};

// One RS-485 bus: socat pty pair, the simulator on end A, the masters on end B.
class slave_bus {
public:
    slave_bus()
    {
        socat_.emplace(std::vector<std::string>{CITYGATE_SOCAT, "-d", "-d", "pty,raw,echo=0,link=" + end_a().string(),
                                                "pty,raw,echo=0,link=" + end_b().string()},
                       dir_.path() / "socat.log");
        const bool linked = wait_until([&] { return fs::exists(end_a()) && fs::exists(end_b()); }, start_timeout);
        REQUIRE_MESSAGE(linked, "socat did not create its ptys: " << read_text(dir_.path() / "socat.log"));

        const auto sim_log = dir_.path() / "sim.log";
        sim_.emplace(std::vector<std::string>{CITYGATE_MODBUS_SIM, "--device", end_a().string(), "--unit", unit_id},
                     sim_log);
        const bool serving =
            wait_until([&] { return read_text(sim_log).find("serving") != std::string::npos; }, start_timeout);
        REQUIRE_MESSAGE(serving, "simulator did not start: " << read_text(sim_log));
    }

    fs::path end_a() const { return dir_.path() / "A"; }
    fs::path end_b() const { return dir_.path() / "B"; }

    // Runs mbpoll once (-1) in RTU mode with 0-based addresses (-0) against end B.
    run_result mbpoll(std::vector<std::string> args, const std::string& unit = unit_id)
    {
        std::vector<std::string> argv{CITYGATE_MBPOLL, "-m", "rtu", "-a", unit, "-b", "9600", "-P", "even",
                                      "-0", "-1", "-o", "0.5"};
        const auto values = static_cast<std::ptrdiff_t>(trailing_values(args));
        argv.insert(argv.end(), args.begin(), args.end() - values);
        argv.push_back(end_b().string());
        argv.insert(argv.end(), args.end() - values, args.end());

        const auto output = dir_.path() / "mbpoll.log";
        const pid_t pid = spawn(argv, output);
        int status = 0;
        ::waitpid(pid, &status, 0);
        return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_text(output)};
    }

private:
    // Values to write come after the device argument; they are the arguments
    // after "--values", which the caller puts last.
    static std::size_t trailing_values(std::vector<std::string>& args)
    {
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args[i] == "--values") {
                args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
                return args.size() - i;
            }
        }
        return 0;
    }

    temp_dir dir_;
    std::optional<child_process> socat_;
    std::optional<child_process> sim_;
};

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("mbpoll reads holding registers")
{
    slave_bus bus;
    auto result = bus.mbpoll({"-t", "4", "-r", "2", "-c", "4"});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "[2]: \t20"));
    CHECK(contains(result.output, "[5]: \t50"));
}

TEST_CASE("mbpoll reads input registers, coils and discrete inputs")
{
    slave_bus bus;
    auto input = bus.mbpoll({"-t", "3", "-r", "0", "-c", "2"});
    INFO(input.output);
    CHECK(input.exit_code == 0);
    CHECK(contains(input.output, "[0]: \t1000"));
    CHECK(contains(input.output, "[1]: \t1001"));

    auto coils = bus.mbpoll({"-t", "0", "-r", "0", "-c", "3"});
    INFO(coils.output);
    CHECK(contains(coils.output, "[0]: \t1"));
    CHECK(contains(coils.output, "[1]: \t0"));
    CHECK(contains(coils.output, "[2]: \t1"));

    auto discrete = bus.mbpoll({"-t", "1", "-r", "3", "-c", "2"});
    INFO(discrete.output);
    CHECK(contains(discrete.output, "[3]: \t1"));
    CHECK(contains(discrete.output, "[4]: \t0"));
}

TEST_CASE("mbpoll writes registers and coils")
{
    slave_bus bus;
    auto single = bus.mbpoll({"-t", "4", "-r", "10", "--values", "1234"});
    INFO(single.output);
    CHECK(single.exit_code == 0);
    auto multiple = bus.mbpoll({"-t", "4", "-r", "20", "--values", "7", "8", "9"});
    INFO(multiple.output);
    CHECK(multiple.exit_code == 0);
    auto coil = bus.mbpoll({"-t", "0", "-r", "1", "--values", "1"});
    INFO(coil.output);
    CHECK(coil.exit_code == 0);

    auto registers = bus.mbpoll({"-t", "4", "-r", "10", "-c", "1"});
    CHECK(contains(registers.output, "[10]: \t1234"));
    auto block = bus.mbpoll({"-t", "4", "-r", "20", "-c", "3"});
    CHECK(contains(block.output, "[20]: \t7"));
    CHECK(contains(block.output, "[22]: \t9"));
    auto coils = bus.mbpoll({"-t", "0", "-r", "1", "-c", "1"});
    CHECK(contains(coils.output, "[1]: \t1"));
}

TEST_CASE("mbpoll gets illegal data address")
{
    slave_bus bus;
    auto result = bus.mbpoll({"-t", "4", "-r", "99", "-c", "2"});
    INFO(result.output);
    CHECK(result.exit_code != 0);
    CHECK(contains(result.output, "Illegal data address"));
}

TEST_CASE("mbpoll to another unit times out")
{
    slave_bus bus;
    auto result = bus.mbpoll({"-t", "4", "-r", "0", "-c", "1"}, "8");
    INFO(result.output);
    CHECK(result.exit_code != 0);
    CHECK_FALSE(contains(result.output, "[0]: \t0"));
}

namespace {

// Writes the codec's poll to end B and decodes what comes back.
proto::decode_result<drivers::poll_answer> poll_once(const drivers::device_codec& codec, std::size_t step,
                                                     const fs::path& end)
{
    const int fd = ::open(end.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
    REQUIRE_MESSAGE(fd >= 0, "cannot open " << end << ": " << std::strerror(errno));
    termios tio{};
    if (::tcgetattr(fd, &tio) == 0) {
        ::cfmakeraw(&tio);
        ::tcsetattr(fd, TCSANOW, &tio);
    }

    const auto request = codec.encode_poll(step);
    REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));

    std::vector<std::uint8_t> received;
    const auto deadline = std::chrono::steady_clock::now() + reply_timeout;
    auto result = codec.decode_answer(step, received);
    while (result.needs_more() && std::chrono::steady_clock::now() < deadline) {
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 100) <= 0)
            continue;
        std::uint8_t chunk[256];
        const auto n = ::read(fd, chunk, sizeof chunk);
        if (n > 0)
            received.insert(received.end(), chunk, chunk + n);
        result = codec.decode_answer(step, received);
    }
    ::close(fd);
    return result;
}

} // namespace

TEST_CASE("driver polls the simulator one block per step")
{
    slave_bus bus;
    std::error_code error;
    auto codec = drivers::modbus_rtu_driver().make_codec(
        {"sim-7", unit_id,
         {{"point.pair", "holding 2 u32"}, {"point.level", "input 5 i16 scale=0.5 unit=m"}, {"point.lamp", "coil 0 bool"}}},
        error);
    REQUIRE_FALSE(error);

    // Blocks in table order: coils, then holding registers, then input registers.
    REQUIRE(codec->poll_steps() == 3);
    auto lamp = poll_once(*codec, 0, bus.end_b());
    REQUIRE(lamp.has_frame());
    CHECK(std::get<bool>(lamp.frame().values.at(0).value));

    auto pair = poll_once(*codec, 1, bus.end_b());
    REQUIRE(pair.has_frame());
    CHECK(std::get<double>(pair.frame().values.at(0).value) == (20 << 16 | 30));

    auto level = poll_once(*codec, 2, bus.end_b());
    REQUIRE(level.has_frame());
    CHECK(level.frame().values.at(0).metric == "level");
    CHECK(std::get<double>(level.frame().values.at(0).value) == 502.5);
    CHECK(level.frame().values.at(0).unit == "m");
}
