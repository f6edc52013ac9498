#include "gateway/daemon/memory.hpp"

#include <openssl/crypto.h>
#include <openssl/ssl.h>

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

// OpenSSL's error strings cost roughly 0.5 MB of RSS (a hash table and the
// libcrypto pages it touches), and citygated never prints OpenSSL's text.
// The first init call wins, so Paho's later request to load them is ignored.
void skip_openssl_error_strings()
{
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_SSL_STRINGS | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, nullptr);
}

} // namespace citygate::daemon
