#include "gateway/daemon/memory.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace citygate::daemon {

// glibc's defaults suit short-lived programs. Each Paho thread gets its own
// arena, whose memory the main thread never reuses. The mmap threshold also
// grows after the first large free, so later sealing buffers come from the
// heap, which then stays at its peak size. One arena and a fixed threshold
// return those buffers to the kernel when they are freed.
void tune_malloc()
{
#ifdef __GLIBC__
    ::mallopt(M_ARENA_MAX, 1);
    ::mallopt(M_MMAP_THRESHOLD, 64 * 1024);
    ::mallopt(M_TRIM_THRESHOLD, 128 * 1024);
#endif
}

} // namespace citygate::daemon
