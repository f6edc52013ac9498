// citygate-dlt645-sim on a pty bus: socat links two ptys in a temporary
// directory, the simulator serves electricity meters on one end, and the test
// writes requests built by the DL/T 645 codec and the dlt645 driver to the
// other end.

#include "drivers/dlt645/dlt645_driver.hpp"
#include "protocols/dlt645/codec.hpp"

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
// Default --start and --step of the simulator, in kWh.
constexpr double sim_start_energy = 1000.0;
constexpr double sim_step = 0.5;

const std::string meter_a = "000000000161";
const std::string meter_b = "123456789012";

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

        std::vector<std::string> args{CITYGATE_DLT645_SIM, "--device", end_a.string(), "--log", log_path().string()};
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
    proto::decode_result<dlt645::reply> exchange(const dlt645::frame& request)
    {
        send(dlt645::encode_frame(request));
        auto complete = [](const byte_vector& bytes) {
            dlt645::counters ignored;
            return !dlt645::decode_reply(bytes, ignored).needs_more();
        };
        auto bytes = receive(complete, reply_timeout);
        INFO("simulator output: " << read_text(sim_output()));
        return dlt645::decode_reply(bytes, stats);
    }

    dlt645::counters stats;

private:
    temp_dir dir_;
    std::optional<child_process> socat_;
    std::optional<child_process> sim_;
    int fd_ = -1;
};

dlt645::address address_of(const std::string& printed)
{
    auto addr = dlt645::parse_address(printed);
    REQUIRE(addr);
    return *addr;
}

// Reads one quantity of a meter and decodes its value with the codec.
double read_value(meter_bus& bus, const std::string& meter, std::string_view metric,
                  dlt645::edition ed = dlt645::edition::v2007)
{
    const auto* q = dlt645::find_quantity(metric);
    REQUIRE(q);
    const auto di = ed == dlt645::edition::v2007 ? q->di_2007 : q->di_1997;
    REQUIRE(di);

    auto result = bus.exchange(dlt645::make_read_request(ed, address_of(meter), *di));
    REQUIRE_MESSAGE(result.has_frame(), "no valid reply from " << meter);
    CHECK(result.frame().edition == ed);

    double value = 0;
    const dlt645::quantity* which = nullptr;
    REQUIRE_FALSE(dlt645::decode_reading(result.frame(), value, which));
    CHECK(which == q);
    return value;
}

// Polls a meter through the dlt645 driver as the bus core does: the request
// from encode_poll, then decode_answer on everything received.
proto::decode_result<drivers::poll_answer> poll(meter_bus& bus, const drivers::device_codec& codec)
{
    bus.send(codec.encode_poll(0));
    auto complete = [&](const byte_vector& bytes) { return !codec.decode_answer(0, bytes).needs_more(); };
    return codec.decode_answer(0, bus.receive(complete, reply_timeout));
}

std::unique_ptr<drivers::device_codec> make_codec(const std::string& meter,
                                                  std::map<std::string, std::string> options = {})
{
    std::error_code error;
    auto codec = drivers::dlt645_driver().make_codec({"meter", meter, std::move(options)}, error);
    REQUIRE_FALSE(error);
    REQUIRE(codec);
    return codec;
}

} // namespace

TEST_CASE("simulator answers read-data for each meter")
{
    meter_bus bus({meter_a, meter_b});

    for (const auto& meter : {meter_a, meter_b}) {
        INFO("meter " << meter);
        CHECK(read_value(bus, meter, "energy_import") == doctest::Approx(sim_start_energy));
    }
    CHECK(bus.stats.frames_ok == 2);
}

TEST_CASE("simulator energy grows between reads")
{
    meter_bus bus({meter_a, meter_b});

    const double first = read_value(bus, meter_a, "energy_import");
    const double second = read_value(bus, meter_a, "energy_import");
    CHECK(second == doctest::Approx(first + sim_step));

    // Each meter keeps its own counter.
    CHECK(read_value(bus, meter_b, "energy_import") == doctest::Approx(sim_start_energy));
}

TEST_CASE("simulator answers every 2007 quantity")
{
    meter_bus bus({meter_a});
    for (const auto& q : dlt645::quantities()) {
        if (!q.di_2007)
            continue;
        INFO(q.metric);
        read_value(bus, meter_a, q.metric);
    }
    CHECK(read_value(bus, meter_a, "voltage_b") == doctest::Approx(220.0));
    CHECK(read_value(bus, meter_a, "power_factor_c") == doctest::Approx(0.95));
    CHECK(read_value(bus, meter_a, "power_apparent") == doctest::Approx(3000.0));
}

TEST_CASE("simulator answers 1997 requests")
{
    meter_bus bus({meter_a});
    CHECK(read_value(bus, meter_a, "energy_import", dlt645::edition::v1997) == doctest::Approx(sim_start_energy));
    CHECK(read_value(bus, meter_a, "voltage_a", dlt645::edition::v1997) == doctest::Approx(220.0));
    CHECK(read_value(bus, meter_a, "current_a", dlt645::edition::v1997) == doctest::Approx(5.0));
}

TEST_CASE("simulator abnormal reply for unknown DI")
{
    meter_bus bus({meter_a});
    auto result = bus.exchange(dlt645::make_read_request(dlt645::edition::v2007, address_of(meter_a), 0x04000401));

    REQUIRE(result.failed());
    CHECK(result.error() == dlt645::meter_error::no_requested_data);
    CHECK(bus.stats.abnormal == 1);
}

TEST_CASE("simulator silent for unknown address")
{
    meter_bus bus({meter_a, meter_b});

    bus.send(dlt645::encode_frame(
        dlt645::make_read_request(dlt645::edition::v2007, address_of("999999999998"), 0x00010000)));
    auto noise = bus.receive([](const byte_vector&) { return false; }, silence_window);
    CHECK(noise.empty());

    // The bus still works afterwards.
    CHECK(read_value(bus, meter_a, "energy_import") == doctest::Approx(sim_start_energy));
}

TEST_CASE("simulator answers read-address with one meter")
{
    meter_bus bus({meter_b});

    for (auto ed : {dlt645::edition::v2007, dlt645::edition::v1997}) {
        INFO(dlt645::to_string(ed));
        auto result = bus.exchange(dlt645::make_read_address_request(ed));
        REQUIRE(result.has_frame());
        CHECK(result.frame().edition == ed);
        CHECK(std::holds_alternative<dlt645::address_reply>(result.frame().body));
        CHECK(dlt645::to_string(result.frame().link.address) == meter_b);
    }
}

TEST_CASE("simulator silent on read-address with two meters")
{
    meter_bus bus({meter_a, meter_b});
    bus.send(dlt645::encode_frame(dlt645::make_read_address_request(dlt645::edition::v2007)));
    auto noise = bus.receive([](const byte_vector&) { return false; }, silence_window);
    CHECK(noise.empty());
}

TEST_CASE("simulator takes broadcast time sync silently")
{
    meter_bus bus({meter_a});
    auto sync = dlt645::make_time_sync({2025, 6, 1, 12, 30, 0});
    REQUIRE(sync);
    bus.send(dlt645::encode_frame(*sync));

    auto noise = bus.receive([](const byte_vector&) { return false; }, silence_window);
    CHECK(noise.empty());
    CHECK(read_text(bus.sim_output()).find("time sync to 2025-06-01 12:30:00") != std::string::npos);
}

TEST_CASE("simulator polled through dlt645 driver")
{
    meter_bus bus({meter_a, meter_b});
    auto codec = make_codec(meter_b);

    auto first = poll(bus, *codec);
    REQUIRE(first.has_frame());
    const auto& value = first.frame().values.at(0);
    CHECK(value.metric == "energy_import");
    CHECK(value.unit == "kWh");
    CHECK(std::get<double>(value.value) == doctest::Approx(sim_start_energy));

    auto second = poll(bus, *codec);
    REQUIRE(second.has_frame());
    CHECK(std::get<double>(second.frame().values.at(0).value) == doctest::Approx(sim_start_energy + sim_step));
}

TEST_CASE("simulator polled for power in 1997")
{
    meter_bus bus({meter_a});
    auto codec = make_codec(meter_a, {{"edition", "1997"}, {"read", "power_active"}});

    auto result = poll(bus, *codec);
    REQUIRE(result.has_frame());
    const auto& value = result.frame().values.at(0);
    CHECK(value.metric == "power_active");
    CHECK(value.unit == "W");
    CHECK(std::get<double>(value.value) == doctest::Approx(3000.0));
}

TEST_CASE("simulator logs each energy reply")
{
    meter_bus bus({meter_a});
    read_value(bus, meter_a, "energy_import");
    read_value(bus, meter_a, "voltage_a");
    read_value(bus, meter_a, "energy_import");

    CHECK(read_text(bus.log_path()) == meter_a + " 1000.00\n" + meter_a + " 1000.50\n");
}
