#pragma once
// Byte stream to the devices of one bus, driven by the io_context: a serial
// port, a TCP connection to a serial server, or a 4G DTU that connected to
// the gateway.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <system_error>

namespace citygate::bus {

class transport {
public:
    using write_handler = std::function<void(std::error_code)>;
    using read_handler = std::function<void(std::error_code, std::size_t)>;
    using open_handler = std::function<void(std::error_code)>;

    virtual ~transport() = default;

    // Opens (or reopens) the stream without blocking the io_context: a TCP
    // connect or a DTU registration takes time. The handler runs from the
    // io_context, never inline, and gets the error whose message plus
    // describe() tell the operator which link failed. close() completes an
    // open still in progress with "operation aborted". A transport may wait
    // for its peer indefinitely (a DTU that has not registered yet).
    virtual void async_open(open_handler handler) = 0;

    virtual void close() = 0;
    virtual bool is_open() const = 0;

    // Writes all of `bytes`. The caller keeps `bytes` alive until the
    // handler runs. Handlers always run from the io_context, never inline.
    virtual void async_write(std::span<const std::uint8_t> bytes, write_handler handler) = 0;

    // Reads at least one byte into `buffer`, which the caller keeps alive
    // until the handler runs. At most one read is outstanding at a time.
    virtual void async_read_some(std::span<std::uint8_t> buffer, read_handler handler) = 0;

    // Completes outstanding operations with an "operation aborted" error.
    virtual void cancel() = 0;

    // Drops bytes received but not yet read, so a late answer to an
    // earlier request cannot be taken for the answer to the next one.
    virtual void discard_input() = 0;

    // Human-readable endpoint for logs, e.g. "/dev/ttyS1 2400 8E1".
    virtual std::string describe() const = 0;

    // Time the request needs on the wire after the write completes, which
    // the response timeout does not count. Zero for packet transports.
    virtual std::chrono::microseconds transmit_time(std::size_t bytes) const = 0;

    // Received bytes thrown away because no read took them in time, e.g.
    // from a DTU that floods the link. Transports without a cap report 0.
    virtual std::uint64_t bytes_dropped() const { return 0; }
};

} // namespace citygate::bus
