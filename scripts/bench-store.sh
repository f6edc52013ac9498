#!/usr/bin/env bash
# Measures the SQLite outbox alone: accept, seal (with a trivial seal
# function, no crypto) and acknowledge, per reading. Prints readings/s,
# CPU microseconds per reading and peak RSS from the benchmark itself, and
# the peak RSS that /usr/bin/time -v reports for the whole process.
#
# Usage: scripts/bench-store.sh [citygate-store-bench options]
#   e.g. --readings 1000000 --accept-batch 100 --seal-every 5000 --batch-max 500
#        --event-every 10 --dir /var/tmp/x   (see citygate-store-bench --help)
# The database lives under /var/tmp by default, so the figures include real
# disk syncs. Pass --dir to measure another file system.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${CITYGATE_BUILD_DIR:-$repo/build}

if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build_dir" --target citygate-store-bench >/dev/null

bench=$build_dir/bin/citygate-store-bench
echo "bench-store: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "bench-store: $bench $*"

if [ -x /usr/bin/time ]; then
  report=$(mktemp)
  trap 'rm -f "$report"' EXIT
  /usr/bin/time -v -o "$report" "$bench" "$@"
  echo "peak RSS (time -v): $(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$report") KiB"
else
  "$bench" "$@"
fi
