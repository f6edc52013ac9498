#pragma once
// Timer type of the per-bus and per-device state.

#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>

namespace citygate::bus {

// Steady timer bound to io_context's own executor type. It is 48 bytes
// smaller than steady_timer with any_io_executor (Boost 1.81, x86_64), which
// adds up because each bus has five timers and each device one.
using io_timer = boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                                   boost::asio::wait_traits<std::chrono::steady_clock>,
                                                   boost::asio::io_context::executor_type>;

} // namespace citygate::bus
