#!/usr/bin/env bash
# Builds a minimal Debian 12 arm64 root file system image with the citygated
# and citygate packages installed, boots it under qemu-system-aarch64 (TCG,
# machine virt) and waits until systemd reports citygated.service started.
# The unit is Type=notify, so "Started citygated.service" on the serial
# console means the daemon sent READY=1. Prints the time of each stage.
#
# Usage: scripts/build-image.sh [--debs DIR] [--out DIR] [--timeout SECONDS] [--boot-only]
#   --debs DIR         take citygated_*_arm64.deb and citygate_*_arm64.deb from
#                      DIR instead of building them with scripts/package.sh arm64
#   --out DIR          write the image, kernel, initramfs and console logs to
#                      DIR (default: build/image, or $CITYGATE_BUILD_DIR/image)
#   --timeout SECONDS  limit for each qemu boot (default: 1800)
#   --boot-only        boot the image already in DIR again and wait for READY
#
# Stages: host packages (apt-get), arm64 packages, root tree (debootstrap
# --foreign), kernel and initramfs, ext4 image (mke2fs -d), first boot
# (configures the packages, installs citygate, runs 'citygate init',
# powers off), second boot (systemd starts citygated). The build host needs
# no binfmt_misc: every arm64 program runs inside qemu-system-aarch64.
# Needs root (apt-get, debootstrap, device nodes) and the Debian mirror of
# /etc/apt/sources*. docs/install.md lists the measured times.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_root=${CITYGATE_BUILD_DIR:-$repo/build}
suite=bookworm

usage() {
  sed -n '/^# Usage:/,/^#$/p' "$0" | sed 's/^# \{0,1\}//'
}

debs_dir=""
out_dir=$build_root/image
boot_timeout=1800
boot_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --debs) debs_dir=${2:?--debs needs a directory}; shift ;;
    --out) out_dir=${2:?--out needs a directory}; shift ;;
    --timeout) boot_timeout=${2:?--timeout needs seconds}; shift ;;
    --boot-only) boot_only=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build-image: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
case "$boot_timeout" in
  '' | *[!0-9]*) echo "build-image: --timeout takes whole seconds, not '$boot_timeout'" >&2; exit 2 ;;
esac

mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
tree=$out_dir/root
image=$out_dir/citygate-arm64.img
kernel=$out_dir/vmlinuz
initrd=$out_dir/initrd.img
gateway_id=qemu-arm64-1
broker=tcp://127.0.0.1:1883

# Stage names and seconds, printed together at the end.
stage_names=()
stage_seconds=()
stage_start=0

begin_stage() {
  echo "build-image: $1"
  stage_names+=("$1")
  stage_start=$(date +%s)
}

end_stage() {
  stage_seconds+=("$(($(date +%s) - stage_start))")
}

print_times() {
  local i
  echo "build-image: stage times (seconds):"
  for i in "${!stage_seconds[@]}"; do
    printf '  %6d  %s\n' "${stage_seconds[$i]}" "${stage_names[$i]}"
  done
}

die() {
  echo "build-image: $*" >&2
  exit 1
}

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

# qemu-system-arm contains qemu-system-aarch64. apt-get download needs the
# arm64 package lists for the kernel and busybox.
setup_host() {
  local missing=() update=0
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "build-image: adding the arm64 architecture to dpkg"
    dpkg --add-architecture arm64
    update=1
  fi
  mapfile -t missing < <(missing_packages qemu-system-arm debootstrap e2fsprogs cpio gzip)
  [ ${#missing[@]} -gt 0 ] || [ "$update" -eq 1 ] || return 0
  apt-get update -qq
  if [ ${#missing[@]} -gt 0 ]; then
    echo "build-image: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# Prints the newest file that matches the glob PATTERN.
newest() {
  # shellcheck disable=SC2012,SC2086 # CPack's names have no spaces or newlines
  ls -t $1 2>/dev/null | head -n 1
}

# Sets citygated_deb and citygate_deb, building them unless --debs was given.
find_packages() {
  if [ -z "$debs_dir" ]; then
    "$repo/scripts/cross-build.sh" --setup-only aarch64
    "$repo/scripts/package.sh" arm64
    debs_dir=$build_root/packages
  fi
  citygated_deb=$(newest "$debs_dir/citygated_*_arm64.deb")
  citygate_deb=$(newest "$debs_dir/citygate_*_arm64.deb")
  if [ -z "$citygated_deb" ] || [ -z "$citygate_deb" ]; then
    die "no citygated_*_arm64.deb and citygate_*_arm64.deb in $debs_dir; build them with scripts/package.sh arm64"
  fi
  echo "build-image: packages $(basename "$citygated_deb") $(basename "$citygate_deb")"
}

# The first Debian archive URI the machine's apt uses.
debian_mirror() {
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
        grep -v security | sed -E 's/^URIs: *//; s/^deb (\[[^]]*\] )?//; s/ .*//' | head -n 1)
  echo "${uri:-http://deb.debian.org/debian}"
}

# Prints the arm64 package that provides NAME: NAME itself, or for a
# virtual package such as libspdlog1.10-fmt9 the first real one that
# provides it, because debootstrap resolves only real packages.
real_package() {
  local name=$1 provider
  # grep reads all of the output, since with pipefail an early exit (-q) would
  # fail the pipeline through apt-cache's SIGPIPE.
  if apt-cache show --no-all-versions "$name:arm64" "$name:all" 2>/dev/null | grep '^Package:' >/dev/null; then
    echo "$name"
    return 0
  fi
  provider=$(apt-cache showpkg "$name:arm64" | sed -n '/^Reverse Provides:/{n;s/[: ].*//p}')
  [ -n "$provider" ] || die "no arm64 package provides $name, a dependency of the citygate packages"
  echo "$provider"
}

# Prints what the image needs besides the essential packages: systemd as
# init, udev for the serial adapters' rules, and both packages' Depends.
include_list() {
  local dependencies name
  dependencies=$(for deb in "$citygated_deb" "$citygate_deb"; do dpkg-deb -f "$deb" Depends; done |
                 tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' | grep -v '^$' | sort -u)
  {
    printf '%s\n' systemd systemd-sysv udev
    for name in $dependencies; do
      real_package "$name"
    done
  } | sort -u | paste -sd, -
}

# debootstrap --foreign only downloads and unpacks, so the first boot runs
# the second stage inside the guest.
build_tree() {
  local includes mirror
  includes=$(include_list)
  mirror=$(debian_mirror)
  rm -rf "$tree"
  mkdir -p "$out_dir/debootstrap-cache"
  echo "build-image: debootstrap --foreign from $mirror with $includes"
  debootstrap --foreign --arch=arm64 --variant=minbase --extra-suites="$suite-updates" \
    --cache-dir="$out_dir/debootstrap-cache" --include="$includes" \
    "$suite" "$tree" "$mirror" >"$out_dir/debootstrap.log" 2>&1 ||
    { tail -n 20 "$out_dir/debootstrap.log"; die "debootstrap failed; log: $out_dir/debootstrap.log"; }

  # In a container, debootstrap links the tree's /proc to the host's /proc.
  # The guest kernel needs a directory to mount on.
  if [ -L "$tree/proc" ]; then
    rm "$tree/proc"
    mkdir -m 0555 "$tree/proc"
  fi
  configure_tree "$mirror"
}

configure_tree() {
  local mirror=$1
  install -d -m 0700 "$tree/root/citygate-debs"
  cp "$citygated_deb" "$citygate_deb" "$tree/root/citygate-debs/"
  install -D -m 0755 "$repo/scripts/image/firstboot" "$tree/usr/local/sbin/citygate-image-firstboot"
  printf 'GATEWAY_ID=%s\nBROKER=%s\nLOCATION="%s"\n' "$gateway_id" "$broker" "qemu virt image" \
    >"$tree/etc/citygate-image.env"
  echo "/dev/vda / ext4 errors=remount-ro 0 1" >"$tree/etc/fstab"
  echo citygate-qemu >"$tree/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 citygate-qemu\n::1 localhost ip6-localhost ip6-loopback\n' >"$tree/etc/hosts"
  printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
    "$mirror" "$suite" "$mirror" "$suite" "$suite" >"$tree/etc/apt/sources.list"
}

# Runs apt-get download in DIR for the arm64 package NAME.
download_arm64() {
  local dir=$1 name=$2
  (cd "$dir" && apt-get download -q "$name:arm64" >/dev/null 2>"$dir/apt-download.log") ||
    { cat "$dir/apt-download.log"; die "apt-get download $name:arm64 failed"; }
}

# Prints the file of a kernel module, given its name (the file may use - for _).
module_file() {
  find "$1" \( -name "$2.ko" -o -name "${2//_/-}.ko" \) -print -quit
}

# Copies MODULE and the modules it depends on (the depends= field of its
# .modinfo section) from the kernel tree SOURCE into DESTINATION.
copy_module() {
  local source=$1 destination=$2 module=$3 file dependency
  file=$(module_file "$source" "$module")
  [ -n "$file" ] || die "kernel module $module not found in $source"
  [ -f "$destination/${file#"$source"/}" ] && return 0
  install -D -m 0644 "$file" "$destination/${file#"$source"/}"
  for dependency in $(tr '\0' '\n' <"$file" | sed -n 's/^depends=//p' | tr ',' ' '); do
    copy_module "$source" "$destination" "$dependency"
  done
}

# Downloads the Debian arm64 kernel and builds an initramfs of busybox-static,
# the modules that mount the root file system, and scripts/image/initramfs-init.
build_kernel_and_initramfs() {
  local work=$out_dir/kernel-work package version module
  rm -rf "$work"
  mkdir -p "$work/debs" "$work/initramfs"
  package=$(apt-cache depends linux-image-arm64:arm64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ {print $2; exit}')
  [ -n "$package" ] || die "apt-cache found no kernel package behind linux-image-arm64:arm64; run apt-get update"
  package=${package%:arm64}
  download_arm64 "$work/debs" "$package"
  download_arm64 "$work/debs" busybox-static
  dpkg-deb -x "$work/debs/$package"_*.deb "$work/kernel"
  dpkg-deb -x "$work/debs"/busybox-static_*.deb "$work/busybox"
  version=${package#linux-image-}
  cp "$work/kernel/boot/vmlinuz-$version" "$kernel"
  echo "build-image: kernel $package ($(dpkg-deb -f "$work/debs/$package"_*.deb Version))"

  local ramfs=$work/initramfs
  mkdir -p "$ramfs/bin" "$ramfs/dev" "$ramfs/proc" "$ramfs/sys" "$ramfs/newroot"
  cp "$work/busybox/bin/busybox" "$ramfs/bin/busybox"
  install -m 0755 "$repo/scripts/image/initramfs-init" "$ramfs/init"
  # The kernel opens /dev/console before it starts /init.
  mknod -m 0600 "$ramfs/dev/console" c 5 1
  for module in virtio_mmio virtio_pci virtio_blk crc32c_generic ext4; do
    copy_module "$work/kernel/lib/modules/$version" "$ramfs/lib/modules/$version" "$module"
  done
  (cd "$ramfs" && find . | cpio --quiet -o -H newc | gzip -9) >"$initrd"
  rm -rf "$work/kernel" "$work/busybox"
}

build_image() {
  local size_mib
  # The unpacked tree plus room for the second stage, the packages and the
  # outbox: twice the tree, at least 1 GiB. The file is sparse.
  size_mib=$(du -sm "$tree" | cut -f1)
  size_mib=$((size_mib * 2 > 1024 ? size_mib * 2 : 1024))
  rm -f "$image"
  truncate -s "${size_mib}M" "$image"
  mke2fs -q -t ext4 -L citygate-root -d "$tree" "$image"
  echo "build-image: $image (${size_mib} MiB, sparse)"
}

# Boots the image with the kernel command line APPEND and writes the serial
# console to LOG. Sets qemu_pid.
start_qemu() {
  local append=$1 log=$2
  : >"$log"
  qemu-system-aarch64 -machine virt -cpu cortex-a57 -smp 2 -m 1024 \
    -nographic -no-reboot -nic none \
    -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyAMA0 root=/dev/vda panic=-1 $append" \
    -drive if=none,id=root,file="$image",format=raw -device virtio-blk-pci,drive=root \
    </dev/null >"$log" 2>&1 &
  qemu_pid=$!
}

stop_qemu() {
  if kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid"
  fi
  wait "$qemu_pid" 2>/dev/null || true
}

console_failure() {
  local log=$1
  echo "build-image: last 40 lines of the serial console ($log):" >&2
  tail -n 40 "$log" | tr -d '\r' >&2
  die "$2"
}

# Waits for the first boot to power off and checks its verdict line.
first_boot() {
  local log=$out_dir/console-firstboot.log waited=0
  start_qemu "rw init=/usr/local/sbin/citygate-image-firstboot" "$log"
  while kill -0 "$qemu_pid" 2>/dev/null; do
    if [ "$waited" -ge "$boot_timeout" ]; then
      stop_qemu
      console_failure "$log" "the first boot did not power off within ${boot_timeout} s"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  wait "$qemu_pid" || true
  grep -q 'CITYGATE-FIRSTBOOT: OK' "$log" || console_failure "$log" "the first boot failed"
}

# Boots with systemd and waits for citygated's READY. journald forwards to
# the console, so the log has systemd's "Started" line unshortened and the
# daemon's own start line. Killing qemu at the end leaves the ext4 journal
# for the kernel to replay on the next boot.
second_boot() {
  local log=$out_dir/console.log waited=0
  start_qemu "ro systemd.journald.forward_to_console=1" "$log"
  while ! grep -q 'Started citygated\.service' "$log"; do
    if grep -qE 'Failed to start citygated\.service|citygated\.service.*(unmet condition|Failed with result)' "$log"; then
      stop_qemu
      console_failure "$log" "systemd reports that citygated.service did not start"
    fi
    if ! kill -0 "$qemu_pid" 2>/dev/null; then
      console_failure "$log" "qemu exited before citygated reported READY"
    fi
    if [ "$waited" -ge "$boot_timeout" ]; then
      stop_qemu
      console_failure "$log" "citygated did not report READY within ${boot_timeout} s"
    fi
    sleep 1
    waited=$((waited + 1))
  done

  # The daemon's own log line, forwarded by journald, may trail systemd's.
  waited=0
  while ! grep -q "gateway $gateway_id: citygated .* started with" "$log" && [ "$waited" -lt 30 ]; do
    sleep 1
    waited=$((waited + 1))
  done
  stop_qemu
  grep -q "gateway $gateway_id: citygated .* started with" "$log" ||
    console_failure "$log" "systemd started citygated.service, but the daemon's start line for $gateway_id is missing"
  echo "build-image: READY: $(grep -m1 -o 'Started citygated\.service.*' "$log" | tr -d '\r')"
  echo "build-image: $(grep -m1 -o "citygated\[[0-9]*\]: .*gateway $gateway_id: citygated .* started with.*" "$log" | tr -d '\r')"
}

[ "$(id -u)" -eq 0 ] || die "needs root for apt-get, debootstrap and the image's device nodes"

if [ "$boot_only" -eq 0 ]; then
  begin_stage "host packages"; setup_host; end_stage
  begin_stage "arm64 packages"; find_packages; end_stage
  begin_stage "root tree (debootstrap --foreign)"; build_tree; end_stage
  begin_stage "kernel and initramfs"; build_kernel_and_initramfs; end_stage
  begin_stage "ext4 image"; build_image; end_stage
  begin_stage "first boot (second stage, dpkg -i, citygate init)"; first_boot; end_stage
elif [ ! -f "$image" ] || [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
  die "--boot-only needs $image, $kernel and $initrd from an earlier run"
fi
begin_stage "boot to citygated READY"; second_boot; end_stage
print_times
