#!/usr/bin/env bash
# Installs the amd64 citygated and citygate packages into a fresh Debian 12
# root (mmdebstrap, chroot) and checks what the packages promise. It checks
# the files, the citygate user in dialout, owners and modes, and that the
# daemon runs as its own user on a box provisioned by 'citygate init'. An
# upgrade must keep config, keys and buffered data; purge must remove them.
#
# Usage: test_deb_install.sh BUILD_DIR
# Needs root (chroot, mounts) and the Debian mirror of /etc/apt/sources*.
# Exits 77 (ctest: skipped) when root or mmdebstrap is missing.
set -euo pipefail

build_dir=$(cd "$1" && pwd)
suite=bookworm

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: needs root for chroot and mounts"
  exit 77
fi
if ! command -v mmdebstrap >/dev/null; then
  echo "SKIP: mmdebstrap is not installed (scripts/setup.sh installs it)"
  exit 77
fi

cache_dir=$build_dir/package-test
mkdir -p "$cache_dir"
work=$(mktemp -d "$cache_dir/run.XXXXXX")
root=$work/root
failures=0

cleanup() {
  for mount_point in "$root/proc" "$root/dev"; do
    if mountpoint -q "$mount_point" 2>/dev/null; then umount -l "$mount_point" || true; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

in_root() { chroot "$root" "$@"; }

# The first Debian archive URI the machine's apt uses.
debian_mirror() {
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
        grep -v security | sed -E 's/^URIs: *//; s/^deb (\[[^]]*\] )?//; s/ .*//' | head -n 1)
  echo "${uri:-http://deb.debian.org/debian}"
}

build_packages() {
  local release=$1 out=$2
  mkdir -p "$out"
  (cd "$build_dir" && cpack -G DEB -B "$out" -D CPACK_DEBIAN_PACKAGE_RELEASE="$release" >"$out/cpack.log" 2>&1) || {
    cat "$out/cpack.log"
    echo "FAIL: cpack release $release"
    exit 1
  }
}

# Runtime dependencies of both packages as one --include list for
# mmdebstrap. The base root is cached under a name made from that list, so
# it is rebuilt only when the dependencies change.
dependency_list() {
  local deb
  for deb in "$@"; do
    dpkg-deb -f "$deb" Depends
  done | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' | grep -v '^$' | sort -u | paste -sd, -
}

base_tarball() {
  local includes=$1
  local hash tarball
  hash=$(printf '%s' "$suite $includes" | sha256sum | cut -c1-16)
  tarball=$cache_dir/debian12-$hash.tar
  if [ ! -f "$tarball" ]; then
    echo "creating the base root ($includes) from $(debian_mirror); cached as $tarball" >&2
    mkdir -p "$cache_dir"
    mmdebstrap --quiet --mode=root --format=tar --variant=minbase --include="$includes" \
      "$suite" "$tarball.tmp" "$(debian_mirror)" >&2
    mv "$tarball.tmp" "$tarball"
  fi
  echo "$tarball"
}

# A root of its own: packages, users and files never touch the host.
prepare_root() {
  local tarball=$1
  mkdir -p "$root"
  tar -xf "$tarball" -C "$root"
  mount -t proc proc "$root/proc"
  mount --bind /dev "$root/dev"
  # The zh_CN.UTF-8 locale of the host (scripts/setup.sh generates it; the
  # same glibc) lets the root check the installed catalogue.
  cp /usr/lib/locale/locale-archive "$root/usr/lib/locale/locale-archive"
}

# Names from the root's own passwd and group files, not the host's.
owner_mode() { in_root stat -c '%U:%G %a' "$1"; }

expect_owner_mode() {
  local path=$1 expected=$2 actual
  actual=$(owner_mode "$path" 2>/dev/null || echo missing)
  [ "$actual" = "$expected" ] || fail "$path is '$actual', expected '$expected'"
}

expect_file() { [ -f "$root$1" ] || fail "$1 is not installed"; }

check_installed_files() {
  local file
  for file in /usr/sbin/citygated /usr/bin/citygate \
      /usr/share/locale/zh_CN/LC_MESSAGES/citygate.mo \
      /usr/share/man/man1/citygate.1.gz /usr/share/man/man8/citygated.8.gz \
      /usr/share/bash-completion/completions/citygate \
      /usr/lib/systemd/system/citygated.service /usr/lib/udev/rules.d/60-citygate-rs485.rules \
      /usr/share/citygate/citygate.toml \
      /usr/share/citygate/templates/radar-water-level.toml \
      /usr/share/citygate/templates/streetlight-cabinet.toml \
      /usr/share/citygate/templates/temperature-humidity.toml \
      /usr/share/doc/citygated/install.md /usr/share/doc/citygate/cli.md; do
    expect_file "$file"
  done
  [ -L "$root/etc/systemd/system/multi-user.target.wants/citygated.service" ] ||
    fail "citygated.service is not enabled"
  in_root citygated --version >/dev/null || fail "citygated --version does not run"
  in_root citygate --version >/dev/null || fail "citygate --version does not run"
  LANG=zh_CN.UTF-8 LANGUAGE= in_root citygate --help | grep -q '用法' ||
    fail "the installed citygate does not find its zh_CN catalogue"
}

check_user_and_dirs() {
  in_root getent passwd citygate >/dev/null || fail "no citygate user"
  in_root getent group citygate >/dev/null || fail "no citygate group"
  local uid shell
  uid=$(in_root id -u citygate 2>/dev/null || echo 65535)
  [ "$uid" -lt 1000 ] || fail "citygate uid $uid is not a system uid"
  shell=$(in_root getent passwd citygate | cut -d: -f7)
  [ "$shell" = /usr/sbin/nologin ] || fail "citygate has shell '$shell'"
  in_root id -nG citygate | tr ' ' '\n' | grep -qx dialout || fail "citygate is not in dialout"
  expect_owner_mode /etc/citygate "root:citygate 750"
  expect_owner_mode /var/lib/citygate "citygate:citygate 750"
}

provision() {
  in_root citygate init --gateway-id gw-package-1 --broker tcp://127.0.0.1:1 \
    --location "package test" >"$work/init.out" || fail "citygate init failed: $(cat "$work/init.out")"
  grep -q 'enc_key: [0-9a-f]\{32\}' "$work/init.out" || fail "citygate init printed no enc_key"
  expect_owner_mode /etc/citygate/citygate.toml "root:citygate 640"
  expect_owner_mode /etc/citygate/keys.toml "citygate:citygate 600"
  in_root chroot --userspec=citygate:citygate / citygated --check-config /etc/citygate/citygate.toml >/dev/null ||
    fail "the citygate user cannot load the config and key file written by init"
}

# Runs the daemon as the citygate user the way the unit does (data in
# /var/lib/citygate, socket in /run/citygate) under strace until 'citygate
# status' gets a response and a SIGHUP reload is done, so the outbox exists
# before the upgrade and the trace covers start, control, reload and stop.
run_daemon_once() {
  install -d -o "$(in_root id -u citygate)" -g "$(in_root id -g citygate)" -m 0750 "$root/run/citygate"
  # chroot directly, not through in_root: a backgrounded function would be
  # a subshell, and $! would not be strace.
  chroot "$root" strace -f -qq -o /tmp/daemon.trace chroot --userspec=citygate:citygate / citygated \
    >"$work/daemon.log" 2>&1 &
  local tracer=$! daemon="" answered=0 i
  for i in $(seq 1 50); do
    if in_root citygate status --json >"$work/status.json" 2>/dev/null; then answered=1; break; fi
    sleep 0.2
  done

  # The daemon's host pid, from its execve in the trace; signals go to it
  # and not to strace.
  daemon=$(sed -n 's/^\([0-9]*\) *execve("\/usr\/sbin\/citygated".*= 0$/\1/p' "$root/tmp/daemon.trace" | head -n 1)
  if [ -n "$daemon" ]; then
    kill -HUP "$daemon"
    for i in $(seq 1 25); do
      grep -q 'reload applied' "$work/daemon.log" && break
      sleep 0.2
    done
    kill -TERM "$daemon" 2>/dev/null || true
  fi
  wait "$tracer" || true
  grep -q 'reload applied' "$work/daemon.log" || fail "citygated logged no applied reload after SIGHUP"
  "$(dirname "$0")/check_syscalls.sh" "$root/usr/lib/systemd/system/citygated.service" "$root/tmp/daemon.trace" ||
    fail "the unit's system call filter would stop citygated"
  if in_root citygate status >/dev/null 2>&1; then
    fail "citygated still answers after SIGTERM"
  fi
  if [ "$answered" -ne 1 ]; then
    fail "citygated did not answer on /run/citygate/control.sock; its log:"
    cat "$work/daemon.log"
    return
  fi
  grep -q '"location":"package test"' "$work/status.json" || fail "status lacks the location: $(cat "$work/status.json")"
  [ -n "$(ls -A "$root/var/lib/citygate")" ] || fail "citygated wrote nothing to /var/lib/citygate"
}

snapshot() {
  (cd "$root" && find etc/citygate var/lib/citygate -type f -print0 | sort -z | xargs -0 sha256sum
   find etc/citygate var/lib/citygate -printf '%p %u:%g %m\n' | sort)
}

check_upgrade() {
  local before=$work/before.txt after=$work/after.txt
  snapshot >"$before"
  in_root sh -c 'dpkg -i /tmp/release2/*.deb' >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "upgrade failed"; }
  snapshot >"$after"
  diff -u "$before" "$after" || fail "the upgrade changed config, keys or data (diff above)"
  [ "$(in_root dpkg-query -W -f='${Version}' citygated)" = "$version-2" ] || fail "citygated was not upgraded to $version-2"
}

# A technician's chmod or chown must not leave the key file readable by
# others or unreadable by the daemon: configuring the package again
# restores the owners and modes.
check_permission_repair() {
  chmod 0644 "$root/etc/citygate/keys.toml"
  chown 0:0 "$root/etc/citygate/keys.toml"
  chmod 0600 "$root/etc/citygate/citygate.toml"
  in_root sh -c 'dpkg -i /tmp/release2/citygated_*.deb' >"$work/reinstall.log" 2>&1 ||
    { cat "$work/reinstall.log"; fail "reinstall failed"; }
  expect_owner_mode /etc/citygate/keys.toml "citygate:citygate 600"
  expect_owner_mode /etc/citygate/citygate.toml "root:citygate 640"
}

check_purge() {
  in_root dpkg --purge citygated citygate >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "purge failed"; }
  local path
  for path in /etc/citygate /var/lib/citygate /usr/sbin/citygated /usr/bin/citygate \
      /etc/systemd/system/multi-user.target.wants/citygated.service; do
    [ ! -e "$root$path" ] && [ ! -L "$root$path" ] || fail "$path is left after purge"
  done
  if in_root getent passwd citygate >/dev/null; then
    fail "the citygate user is left after purge; dpkg said:"
    cat "$work/purge.log"
  fi
  if in_root getent group citygate >/dev/null; then
    fail "the citygate group is left after purge"
  fi
}

version=$(sed -n 's/^project(citygate VERSION \([0-9.]*\).*/\1/p' "$(dirname "$0")/../../CMakeLists.txt")
build_packages 1 "$work/release1"
build_packages 2 "$work/release2"
packages=("$work"/release1/citygated_*_amd64.deb "$work"/release1/citygate_*_amd64.deb)
echo "packages: ${packages[*]##*/}"

# strace records the daemon's system calls for check_syscalls.sh.
tarball=$(base_tarball "$(dependency_list "${packages[@]}"),strace")
prepare_root "$tarball"
mkdir -p "$root/tmp/release1" "$root/tmp/release2"
cp "$work"/release1/*.deb "$root/tmp/release1/"
cp "$work"/release2/*.deb "$root/tmp/release2/"

in_root sh -c 'dpkg -i /tmp/release1/*.deb' >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "install failed"; exit 1; }
check_installed_files
check_user_and_dirs
provision
run_daemon_once
check_upgrade
check_user_and_dirs
check_permission_repair
check_purge

if [ "$failures" -ne 0 ]; then
  echo "$failures checks failed"
  exit 1
fi
echo "citygated and citygate install, upgrade and purge as documented"
