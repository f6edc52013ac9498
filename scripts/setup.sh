#!/usr/bin/env bash
# Installs what citygate needs to build, test and run its demo on Debian 12,
# then configures and builds it in build/ (or $CITYGATE_BUILD_DIR).
#
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${CITYGATE_BUILD_DIR:-$repo/build}

packages=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev
  libboost1.81-dev libpaho-mqttpp-dev libpaho-mqtt-dev libsqlite3-dev libssl-dev libcbor-dev
  doctest-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev
  gettext locales
  mosquitto mosquitto-clients socat sqlite3 openssl procps iproute2
  mbpoll
  mmdebstrap man-db bash-completion
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # Node.js runs the independent test peers; a nodejs build that bundles npm
  # conflicts with Debian's npm package, so npm is only added when missing.
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# The zh_CN catalogue is only used when the zh_CN.UTF-8 locale exists.
generate_locale() {
  if ! locale -a 2>/dev/null | grep -qi '^zh_CN\.utf-\?8$'; then
    echo "setup: generating the zh_CN.UTF-8 locale"
    as_root sed -i 's/^# *\(zh_CN.UTF-8 UTF-8\)/\1/' /etc/locale.gen
    grep -q '^zh_CN.UTF-8 UTF-8' /etc/locale.gen || echo 'zh_CN.UTF-8 UTF-8' | as_root tee -a /etc/locale.gen >/dev/null
    as_root locale-gen >/dev/null
  fi
}

# npm packages of the independent test peers, pinned by their lock files.
install_node_peers() {
  local dir
  for dir in "$repo"/tests/integration/*/; do
    [ -f "$dir/package-lock.json" ] || continue
    [ -d "$dir/node_modules" ] && continue
    echo "setup: npm ci in ${dir#"$repo"/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  done
}

build() {
  # Line tables (-g1) are enough for a backtrace of a failing test and take
  # a tenth off the build time that full debug information costs.
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" -DCITYGATE_BUILD_TESTS=ON
  cmake --build "$build_dir" -j "$(nproc)"
}

install_packages
generate_locale
install_node_peers
[ "${1:-}" = "--no-build" ] || build
