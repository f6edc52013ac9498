#!/usr/bin/env bash
# Builds the Debian packages citygated and citygate for one architecture and
# writes them to build/packages/ (or $CITYGATE_BUILD_DIR/packages/).
#
# Usage: scripts/package.sh [amd64|arm64|armhf]   (default: amd64)
#
# amd64 builds with the host compiler. arm64 and armhf use the CMake
# toolchain file cross/aarch64-linux-gnu.cmake or cross/arm-linux-gnueabihf.cmake
# (multiarch route: run scripts/cross-build.sh once to install the target's
# -dev packages), or the one named by $CITYGATE_TOOLCHAIN_FILE.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_root=${CITYGATE_BUILD_DIR:-$repo/build}
arch=${1:-amd64}

case "$arch" in
  amd64) triplet=x86_64-linux-gnu ;;
  arm64) triplet=aarch64-linux-gnu ;;
  armhf) triplet=arm-linux-gnueabihf ;;
  *)
    echo "package: unknown architecture '$arch'; use amd64, arm64 or armhf" >&2
    exit 2
    ;;
esac

build_dir=$build_root/package-$arch
out_dir=$build_root/packages
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCITYGATE_BUILD_TESTS=OFF -DCITYGATE_DEB_ARCH="$arch")
if command -v ccache >/dev/null; then
  cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

host_arch=$(dpkg --print-architecture)
if [ "$arch" != "$host_arch" ]; then
  toolchain=${CITYGATE_TOOLCHAIN_FILE:-$repo/cross/$triplet.cmake}
  if [ ! -f "$toolchain" ]; then
    echo "package: no toolchain file $toolchain for $arch; set CITYGATE_TOOLCHAIN_FILE" >&2
    exit 1
  fi
  cmake_args+=(-DCMAKE_TOOLCHAIN_FILE="$toolchain")
fi

echo "package: building $arch in $build_dir"
cmake -S "$repo" -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j 2 --target citygate citygated citygate_man

mkdir -p "$out_dir"
(cd "$build_dir" && cpack -G DEB -B "$out_dir" >/dev/null)
rm -rf "$out_dir/_CPack_Packages"
ls -1 "$out_dir"/*_"$arch".deb
