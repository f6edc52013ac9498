#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test with ctest:
# unit tests, integration tests against real peers, and the fuzz targets
# over their seed corpora (built with clang in build/fuzz).
#
# Usage: scripts/test.sh [--long] [--cross aarch64|armhf|all] [--image]
#   --long   also runs each fuzz target for $CITYGATE_FUZZ_SECONDS (default 300)
#   --cross  runs the cross tests instead: scripts/cross-build.sh builds for
#            the target, ctest runs the unit tests under qemu-user, and for
#            aarch64 gateway_integration_test runs the arm64 citygated against
#            the host's mosquitto. docs/cross.md has the measured times.
#   --image  runs setup.sh --no-build and scripts/build-image.sh and no other
#            test: it builds the arm64 packages and a Debian arm64 image with
#            them, and boots it under qemu-system-aarch64 until citygated
#            reports READY. docs/install.md has the measured times.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${CITYGATE_BUILD_DIR:-$repo/build}
fuzz_dir=$build_dir/fuzz

long=0
cross=""
image=0
while [ $# -gt 0 ]; do
  case "$1" in
    --long) long=1 ;;
    --cross)
      cross=${2:-}
      shift
      ;;
    --image) image=1 ;;
    *)
      echo "usage: $0 [--long] [--cross aarch64|armhf|all] [--image]" >&2
      exit 2
      ;;
  esac
  shift
done

# Builds for ARCH and runs its tests under qemu-user.
run_cross() {
  local arch=$1
  local dir=$repo/build/$arch
  echo "test: cross build for $arch"
  "$repo/scripts/cross-build.sh" "$arch"
  echo "test: $arch unit tests under qemu-user"
  ctest --test-dir "$dir" --output-on-failure -L unit -j "${CITYGATE_CROSS_JOBS:-$(nproc)}"
  if [ "$arch" = aarch64 ]; then
    echo "test: arm64 citygated against the host's mosquitto"
    ctest --test-dir "$dir" --output-on-failure -R '^gateway_integration_test$'
  fi
}

# The host packages (header-only libraries, msgfmt, mosquitto, socat, the
# zh_CN locale) come from setup.sh, the target's from cross-build.sh.
if [ "$image" -eq 1 ]; then
  "$repo/scripts/setup.sh" --no-build
  "$repo/scripts/build-image.sh"
  exit 0
fi

case "$cross" in
  "") ;;
  aarch64 | armhf)
    "$repo/scripts/setup.sh" --no-build
    run_cross "$cross"
    exit 0
    ;;
  all)
    "$repo/scripts/setup.sh" --no-build
    run_cross aarch64
    run_cross armhf
    exit 0
    ;;
  *)
    echo "test: --cross takes aarch64, armhf or all, not '$cross'" >&2
    exit 2
    ;;
esac

"$repo/scripts/setup.sh"

echo "test: unit and integration tests"
ctest --test-dir "$build_dir" --output-on-failure -j 2 --timeout 600

echo "test: fuzz targets over their seed corpora"
CC=clang CXX=clang++ cmake -S "$repo" -B "$fuzz_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCITYGATE_BUILD_TESTS=OFF -DCITYGATE_BUILD_FUZZERS=ON >/dev/null
cmake --build "$fuzz_dir" -j "$(nproc)" --target citygate_fuzzers
ctest --test-dir "$fuzz_dir" --output-on-failure -L '^fuzz$'

if [ "$long" -eq 1 ]; then
  echo "test: fuzzing each target for ${CITYGATE_FUZZ_SECONDS:-300}s"
  ctest --test-dir "$fuzz_dir" --output-on-failure -L soak
fi
