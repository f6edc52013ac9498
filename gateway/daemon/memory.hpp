#pragma once
// Allocator settings for a process that stays up for months on a box with
// little RAM.

namespace citygate::daemon {

// Sets glibc's malloc options; call once at startup, before other threads
// exist. A no-op with other C libraries.
void tune_malloc();

} // namespace citygate::daemon
