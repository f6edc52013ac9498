#!/usr/bin/env bash
# Sets up a Debian 12 host for cross builds and builds citygate for an ARM
# box into build/aarch64 or build/armhf, ready for `ctest` under qemu-user.
#
# Usage: scripts/cross-build.sh [--sysroot] [--setup-only] aarch64|armhf [NINJA_TARGET...]
#   --sysroot     takes the target's libraries from build/sysroot/ARCH, made by
#                 `mmdebstrap --variant=extract`, instead of adding the foreign
#                 architecture to dpkg (multiarch, the default)
#   --setup-only  installs the compiler and the target's libraries and stops
#                 before configuring, for scripts/package.sh arm64|armhf
# Environment:
#   CITYGATE_CROSS_JOBS  parallel compile jobs (default: nproc)
#   CITYGATE_SYSROOT     sysroot directory for --sysroot (default: build/sysroot/ARCH)
#   CITYGATE_CROSS_BUILD_DIR  build directory (default: build/ARCH)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  echo "usage: $0 [--sysroot] [--setup-only] aarch64|armhf [NINJA_TARGET...]" >&2
  exit 2
}

route=multiarch
setup_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sysroot) route=sysroot ;;
    --setup-only) setup_only=1 ;;
    *) break ;;
  esac
  shift
done
case "${1:-}" in
  aarch64) debian_arch=arm64 triplet=aarch64-linux-gnu ;;
  armhf) debian_arch=armhf triplet=arm-linux-gnueabihf ;;
  *) usage ;;
esac
arch=$1
shift

build_dir=${CITYGATE_CROSS_BUILD_DIR:-$repo/build/$arch}
sysroot=${CITYGATE_SYSROOT:-$repo/build/sysroot/$arch}

# Libraries citygate links, as Debian -dev packages of the target
# architecture. The header-only ones (doctest, CLI11, nlohmann-json) are
# Architecture: all and come from scripts/setup.sh.
target_dev_packages=(
  libboost1.81-dev libpaho-mqttpp-dev libpaho-mqtt-dev libsqlite3-dev libssl-dev libcbor-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev
)
host_packages=(g++-"$triplet" qemu-user)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

apt_install() {
  [ $# -gt 0 ] || return 0
  echo "cross-build: installing $*"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# Every -dev package above is Multi-Arch: same, so it co-installs with the
# amd64 one, but apt then needs both at the same version and may upgrade
# the amd64 package to match.
setup_multiarch() {
  if ! dpkg --print-foreign-architectures | grep -qx "$debian_arch"; then
    echo "cross-build: adding the $debian_arch architecture to dpkg"
    as_root dpkg --add-architecture "$debian_arch"
  fi
  local wanted=("${host_packages[@]}")
  local p
  for p in "${target_dev_packages[@]}"; do
    wanted+=("$p:$debian_arch")
  done
  # shellcheck disable=SC2046 # one package name per line
  apt_install $(missing_packages "${wanted[@]}")
}

# The sysroot contains the -dev packages and their dependencies, extracted but
# not configured, which is all that compiling, linking and qemu -L need.
# CMake looks for packages only inside it, so the header-only ones go in too.
setup_sysroot() {
  # shellcheck disable=SC2046
  apt_install $(missing_packages "${host_packages[@]}" mmdebstrap)
  local include
  include=$(IFS=,; echo "${target_dev_packages[*]},libstdc++-12-dev,doctest-dev,libcli11-dev,nlohmann-json3-dev")
  if [ "$(cat "$sysroot/.citygate-packages" 2>/dev/null)" = "$include" ]; then
    return 0
  fi
  echo "cross-build: extracting a $debian_arch sysroot into $sysroot"
  rm -rf "$sysroot"
  mkdir -p "$(dirname "$sysroot")"
  mmdebstrap --variant=extract --architectures="$debian_arch" --include="$include" bookworm "$sysroot" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"
  echo "$include" >"$sysroot/.citygate-packages"
}

configure() {
  local args=(-S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
              -DCMAKE_TOOLCHAIN_FILE="$repo/cross/$triplet.cmake" -DCITYGATE_BUILD_TESTS=ON)
  if [ "$route" = sysroot ]; then
    args+=(-DCITYGATE_SYSROOT="$sysroot")
  else
    args+=(-DCITYGATE_SYSROOT=)
  fi
  if command -v ccache >/dev/null; then
    args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake "${args[@]}"
}

if [ "$route" = sysroot ]; then setup_sysroot; else setup_multiarch; fi
if [ "$setup_only" -eq 1 ]; then
  exit 0
fi
configure
ninja -C "$build_dir" -j "${CITYGATE_CROSS_JOBS:-$(nproc)}" "$@"
echo "cross-build: built $arch in ${build_dir#"$repo"/}; run its tests with: ctest --test-dir ${build_dir#"$repo"/} -L unit"
