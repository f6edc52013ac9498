// citygate-cjt188-sim on a pty bus: socat links two ptys in a temporary
// directory, the simulator serves meters on one end, and the test writes
// requests built by the codec and the cjt188 driver to the other end.

#include "drivers/cjt188/cjt188_driver.hpp"
#include "protocols/cjt188/codec.hpp"

#include "tests/support/mosquitto_fixture.hpp"
#include "tests/support/process.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <cstdlib>
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
using byte_vector = std::vector<std::uint8_t>;

constexpr auto start_timeout = 10s;
constexpr auto reply_timeout = 3s;
// The simulator answers within milliseconds; half a second of silence means no answer.
constexpr auto silence_window = 500ms;
// Default --start and --step of the simulator, in m3.
constexpr double sim_start_volume = 100.0;
constexpr double sim_step = 0.25;

const std::string meter_a = "78330011223344";
const std::string meter_b = "78330011223345";

using test::child_process;
using test::read_text;
using test::temp_dir;
using test::wait_until;

// One RS-485 bus: socat pty pair, the simulator on end A, the test on end B.
class meter_bus {
public:
    explicit meter_bus(const std::vector<std::string>& meters)
    {
        const auto end_a = dir_.path() / "A";
        const auto end_b = dir_.path() / "B";
        socat_.emplace(std::vector<std::string>{CITYGATE_SOCAT, "-d", "-d", "pty,raw,echo=0,link=" + end_a.string(),
                                                "pty,raw,echo=0,link=" + end_b.string()},
                       dir_.path() / "socat.log");
        const bool linked = wait_until([&] { return fs::exists(end_a) && fs::exists(end_b); }, start_timeout);
        REQUIRE_MESSAGE(linked, "socat did not create its ptys: " << read_text(dir_.path() / "socat.log"));

        std::vector<std::string> args{CITYGATE_CJT188_SIM, "--device", end_a.string(), "--log", log_path().string()};
        for (const auto& meter : meters) {
            args.push_back("--meter");
            args.push_back(meter);
        }
        sim_.emplace(args, sim_output());
        const bool serving = wait_until([&] { return read_text(sim_output()).find("serving") != std::string::npos; },
                                        start_timeout);
        REQUIRE_MESSAGE(serving, "simulator did not start: " << read_text(sim_output()));

        fd_ = ::open(end_b.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK);
        REQUIRE_MESSAGE(fd_ >= 0, "cannot open " << end_b << ": " << std::strerror(errno));
        termios tio{};
        if (::tcgetattr(fd_, &tio) == 0) {
            ::cfmakeraw(&tio);
            ::tcsetattr(fd_, TCSANOW, &tio);
        }
    }
    ~meter_bus()
    {
        if (fd_ >= 0)
            ::close(fd_);
    }
    meter_bus(const meter_bus&) = delete;
    meter_bus& operator=(const meter_bus&) = delete;

    fs::path log_path() const { return dir_.path() / "meters.log"; }
    fs::path sim_output() const { return dir_.path() / "sim.log"; }

    void send(const byte_vector& bytes)
    {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const auto n = ::write(fd_, bytes.data() + done, bytes.size() - done);
            REQUIRE_MESSAGE(n > 0, "write to the pty failed: " << std::strerror(errno));
            done += static_cast<std::size_t>(n);
        }
    }

    // Reads until `complete` accepts the bytes received so far, or until `timeout`.
    byte_vector receive(const std::function<bool(const byte_vector&)>& complete, std::chrono::milliseconds timeout)
    {
        byte_vector received;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!complete(received)) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left <= 0ms)
                break;
            pollfd pfd{fd_, POLLIN, 0};
            if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
                continue;
            std::uint8_t chunk[256];
            const auto n = ::read(fd_, chunk, sizeof chunk);
            if (n > 0)
                received.insert(received.end(), chunk, chunk + n);
        }
        return received;
    }

    // Sends a request and decodes the meter's reply with the codec.
    proto::decode_result<cjt188::reply> exchange(const cjt188::frame& request)
    {
        send(cjt188::encode_frame(request));
        auto complete = [](const byte_vector& bytes) {
            cjt188::counters ignored;
            return !cjt188::decode_reply(bytes, ignored).needs_more();
        };
        auto bytes = receive(complete, reply_timeout);
        INFO("simulator output: " << read_text(sim_output()));
        return cjt188::decode_reply(bytes, stats);
    }

    cjt188::counters stats;

private:
    temp_dir dir_;
    std::optional<child_process> socat_;
    std::optional<child_process> sim_;
    int fd_ = -1;
};

cjt188::address address_of(const std::string& printed)
{
    auto addr = cjt188::parse_address(printed);
    REQUIRE(addr);
    return *addr;
}

double read_volume(meter_bus& bus, const std::string& meter)
{
    auto result = bus.exchange(cjt188::make_read_data_request(0x10, address_of(meter), cjt188::edition::v2018, 0));
    REQUIRE_MESSAGE(result.has_frame(), "no valid reply from " << meter);
    const auto& body = std::get<cjt188::read_data_reply>(result.frame().body);
    return std::get<cjt188::flow_meter_data>(body.values).current_volume.canonical();
}

} // namespace

TEST_CASE("simulator answers read-data for each meter")
{
    meter_bus bus({meter_a, meter_b});

    for (const auto& meter : {meter_a, meter_b}) {
        INFO("meter " << meter);
        auto result = bus.exchange(cjt188::make_read_data_request(0x10, address_of(meter), cjt188::edition::v2018, 7));
        REQUIRE(result.has_frame());

        const auto& reply = result.frame();
        CHECK(cjt188::to_string(reply.link.address) == meter);
        CHECK(reply.link.meter_type == 0x10);
        const auto& body = std::get<cjt188::read_data_reply>(reply.body);
        CHECK(body.di.value == cjt188::di_read_data);
        CHECK(body.di.order == cjt188::edition::v2018);
        CHECK(body.ser == 7);

        const auto& values = std::get<cjt188::flow_meter_data>(body.values);
        CHECK(values.current_volume.unit == 0x2C);
        CHECK(values.current_volume.canonical() == doctest::Approx(sim_start_volume));
        CHECK(values.clock.has_value());
    }
    CHECK(bus.stats.frames_ok == 2);
}

TEST_CASE("simulator volume grows between reads")
{
    meter_bus bus({meter_a, meter_b});

    const double first = read_volume(bus, meter_a);
    const double second = read_volume(bus, meter_a);
    CHECK(second > first);
    CHECK(second == doctest::Approx(first + sim_step));

    // Each meter keeps its own counter.
    CHECK(read_volume(bus, meter_b) == doctest::Approx(sim_start_volume));
}

TEST_CASE("simulator replies in the 2004 byte order")
{
    meter_bus bus({meter_a});
    auto result = bus.exchange(cjt188::make_read_data_request(0x10, address_of(meter_a), cjt188::edition::v2004, 1));
    REQUIRE(result.has_frame());

    const auto& reply = result.frame();
    REQUIRE(reply.link.data.size() >= 2);
    CHECK(reply.link.data[0] == 0x90);
    CHECK(reply.link.data[1] == 0x1F);
    CHECK(std::get<cjt188::read_data_reply>(reply.body).di.order == cjt188::edition::v2004);
}

TEST_CASE("simulator silent for unknown address")
{
    meter_bus bus({meter_a, meter_b});

    bus.send(cjt188::encode_frame(
        cjt188::make_read_data_request(0x10, address_of("78330011223399"), cjt188::edition::v2018, 0)));
    auto noise = bus.receive([](const byte_vector&) { return false; }, silence_window);
    CHECK(noise.empty());

    // The bus still works afterwards.
    CHECK(read_volume(bus, meter_a) == doctest::Approx(sim_start_volume));
}

TEST_CASE("simulator answers read-address broadcast")
{
    meter_bus bus({meter_b});
    auto result = bus.exchange(cjt188::make_read_address_request(0x10, cjt188::edition::v2018, 3));
    REQUIRE(result.has_frame());

    const auto& reply = result.frame();
    CHECK(cjt188::to_string(reply.link.address) == meter_b);
    const auto& body = std::get<cjt188::read_address_reply>(reply.body);
    CHECK(body.di.value == cjt188::di_read_address);
    CHECK(body.ser == 3);
}

TEST_CASE("simulator silent on broadcast with two meters")
{
    meter_bus bus({meter_a, meter_b});
    bus.send(cjt188::encode_frame(cjt188::make_read_address_request(0x10, cjt188::edition::v2018, 0)));
    auto noise = bus.receive([](const byte_vector&) { return false; }, silence_window);
    CHECK(noise.empty());
}

TEST_CASE("simulator polled through cjt188 driver")
{
    meter_bus bus({meter_a, meter_b});
    std::error_code error;
    auto codec = drivers::cjt188_driver().make_codec({"meter-b", meter_b, {{"edition", "2004"}}}, error);
    REQUIRE_FALSE(error);
    REQUIRE(codec);

    bus.send(codec->encode_poll(0));
    auto complete = [&](const byte_vector& bytes) { return !codec->decode_answer(0, bytes).needs_more(); };
    auto result = codec->decode_answer(0, bus.receive(complete, reply_timeout));
    REQUIRE(result.has_frame());

    const metric_value* volume = nullptr;
    for (const auto& value : result.frame().values) {
        if (value.metric == "volume")
            volume = &value;
    }
    REQUIRE(volume);
    CHECK(volume->unit == "m3");
    CHECK(std::get<double>(volume->value) == doctest::Approx(sim_start_volume));
}

TEST_CASE("simulator logs each answer")
{
    meter_bus bus({meter_a});
    read_volume(bus, meter_a);
    read_volume(bus, meter_a);

    CHECK(read_text(bus.log_path()) == meter_a + " 100.00\n" + meter_a + " 100.25\n");
}
