#pragma once
// Allocator settings for a process that stays up for months on a box with
// little RAM.

namespace citygate::daemon {

// Sets glibc's malloc options. Call it once at startup, before other
// threads exist. With other C libraries it does nothing.
void tune_malloc();

// Tells OpenSSL not to load its error strings. Call it once at startup,
// before the first TLS or crypto call.
void skip_openssl_error_strings();

} // namespace citygate::daemon
