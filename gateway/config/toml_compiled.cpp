// toml++'s parser and node types, compiled once from Debian's headers into a
// static library (TOML_IMPLEMENTATION). Every other file includes toml++
// with TOML_HEADER_ONLY=0 and links citygate::tomlplusplus, so citygated
// maps only the parts it uses instead of all of libtomlplusplus.so.

#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
