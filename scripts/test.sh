#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test with ctest:
# unit tests, integration tests against real peers, and the fuzz targets
# over their seed corpora (built with clang in build/fuzz).
#
# Usage: scripts/test.sh [--long]
#   --long  also runs each fuzz target for $CITYGATE_FUZZ_SECONDS (default 300)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${CITYGATE_BUILD_DIR:-$repo/build}
fuzz_dir=$build_dir/fuzz

"$repo/scripts/setup.sh"

echo "test: unit and integration tests"
ctest --test-dir "$build_dir" --output-on-failure -j 2 --timeout 600

echo "test: fuzz targets over their seed corpora"
CC=clang CXX=clang++ cmake -S "$repo" -B "$fuzz_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCITYGATE_BUILD_TESTS=OFF -DCITYGATE_BUILD_FUZZERS=ON >/dev/null
cmake --build "$fuzz_dir" -j "$(nproc)" --target citygate_fuzzers
ctest --test-dir "$fuzz_dir" --output-on-failure -L '^fuzz$'

if [ "${1:-}" = "--long" ]; then
  echo "test: fuzzing each target for ${CITYGATE_FUZZ_SECONDS:-300}s"
  ctest --test-dir "$fuzz_dir" --output-on-failure -L soak
fi
