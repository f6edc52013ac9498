#pragma once
// Exit codes of the citygate CLI, documented in docs/cli.md.

namespace citygate::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;      // rejected envelope, config errors, daemon error response
inline constexpr int exit_usage = 2;       // invalid command line
inline constexpr int exit_unreachable = 3; // the daemon's control socket did not answer

} // namespace citygate::cli
