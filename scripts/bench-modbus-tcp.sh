#!/usr/bin/env bash
# Modbus TCP polling benchmark. citygate-modbus-sim serves N Modbus TCP
# devices, one loopback port each. citygated polls each of them every
# second over its own tcp-client bus (30 u16 holding registers in one
# read), then stores, seals and publishes every reading to a local
# mosquitto started here. After a warm-up it measures citygated's CPU time
# (utime + stime from /proc/PID/stat) over a window, its RSS (VmRSS, VmHWM
# at the end, and VmRSS sampled once a second during the window) and the
# readings sent per second (citygate queue --json).
#
# Usage: scripts/bench-modbus-tcp.sh [--devices N] [--registers N] [--warmup SECONDS] [--window SECONDS]
#                                    [--first-port PORT] [--inline-points]
#   --devices N        simulated devices and tcp-client buses (default 500)
#   --registers N      u16 holding registers per device, 1-125 (default 30)
#   --warmup SECONDS   time between citygated's start and the measurement (default 300)
#   --window SECONDS   measuring window (default 300)
#   --first-port PORT  first simulator port on 127.0.0.1 (default 21000)
#   --inline-points    give every device its own point.* options instead of
#                      naming one register-map template file, as a site with
#                      identical devices would
#
# CITYGATE_BENCH_WRAPPER, when set, is put before citygated's command line,
# e.g. "valgrind --tool=massif" to see where the heap goes. It changes
# the CPU figures, so such a run only explains a normal one.
# CITYGATE_BENCH_SMAPS, when set, names a file that receives a copy of
# /proc/PID/smaps at the end of the window, to see which mappings hold RSS.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${CITYGATE_BUILD_DIR:-$repo/build}
devices=500
registers=30
warmup=300
window=300
first_port=21000
inline_points=0
while [ $# -gt 0 ]; do
  case "$1" in
    --devices) devices=$2; shift 2 ;;
    --registers) registers=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --first-port) first_port=$2; shift 2 ;;
    --inline-points) inline_points=1; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-modbus-tcp: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for value in "$devices" "$registers" "$warmup" "$window" "$first_port"; do
  case "$value" in
    ''|*[!0-9]*) echo "bench-modbus-tcp: expected a whole number, got '$value'" >&2; exit 2 ;;
  esac
done
if [ "$registers" -lt 1 ] || [ "$registers" -gt 125 ] || [ "$devices" -lt 1 ] || [ "$window" -lt 1 ]; then
  echo "bench-modbus-tcp: --registers must be 1-125, --devices and --window at least 1" >&2
  exit 2
fi
last_port=$((first_port + devices - 1))
if [ "$last_port" -gt 65535 ]; then
  echo "bench-modbus-tcp: ports $first_port-$last_port run past 65535; choose a lower --first-port" >&2
  exit 2
fi

if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build_dir" --target citygated citygate citygate-modbus-sim >/dev/null

# One socket per device on each side, plus the listeners.
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /var/tmp/citygate-bench-modbus-tcp.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port for the broker: bind port 0 and read back what the kernel chose.
broker_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/mosquitto.conf" <<CONF
listener $broker_port 127.0.0.1
allow_anonymous true
persistence false
CONF
[ "$(id -u)" -eq 0 ] && echo "user root" >>"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" 2>"$work/mosquitto.log" &
pids+=($!)

"$build_dir/bin/citygate-modbus-sim" --tcp-ports "$first_port-$last_port" --size "$registers" 2>"$work/sim.log" &
pids+=($!)
for _ in $(seq 100); do
  grep -q serving "$work/sim.log" 2>/dev/null && break
  if ! kill -0 "${pids[-1]}" 2>/dev/null; then
    echo "bench-modbus-tcp: the simulator did not start (ports $first_port-$last_port busy?):" >&2
    cat "$work/sim.log" >&2
    exit 1
  fi
  sleep 0.1
done

mkdir -p "$work/data"
{
  echo "[points]"
  for ((r = 0; r < registers; r++)); do
    printf 'r%03d = "holding %d u16"\n' "$r" "$r"
  done
} >"$work/plc.toml"
"$build_dir/bin/citygate" keygen --key-file "$work/keys.toml" >/dev/null
{
  cat <<CONF
[gateway]
id = "bench-modbus-tcp"
data_dir = "$work/data"
key_file = "$work/keys.toml"
control_socket = "$work/control.sock"
log_level = "warn"

[uplink]
brokers = ["tcp://127.0.0.1:$broker_port"]
CONF
  for ((i = 0; i < devices; i++)); do
    cat <<CONF

[[bus]]
id = "mbtcp-$i"
type = "tcp-client"
host = "127.0.0.1"
port = $((first_port + i))
response_timeout = "500ms"
inter_frame_gap = "1ms"

[[device]]
id = "plc-$i"
driver = "modbus-tcp"
bus = "mbtcp-$i"
address = "1"
poll_interval = "1s"

[device.options]
CONF
    if [ "$inline_points" -eq 1 ]; then
      for ((r = 0; r < registers; r++)); do
        printf '"point.r%03d" = "holding %d u16"\n' "$r" "$r"
      done
    else
      echo "template = \"$work/plc.toml\""
    fi
  done
} >"$work/citygate.toml"

# shellcheck disable=SC2086 # the wrapper is a command line to split
${CITYGATE_BENCH_WRAPPER:-} "$build_dir/bin/citygated" --config "$work/citygate.toml" 2>"$work/citygated.log" &
gateway=$!
pids=("$gateway" "${pids[@]}")

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$gateway/stat"; }
sent() { "$build_dir/bin/citygate" queue --json --socket "$work/control.sock" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sent"])'; }
status_kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$gateway/status"; }

echo "machine: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
# On the box the package creates the group citygate, so glibc finds the
# control socket's group in /etc/group. Where it is missing, glibc goes on
# to load libnss_systemd, which adds about 300 KiB of RSS the box does not
# have, so runs with and without the group do not compare.
if getent group citygate >/dev/null; then
  echo "group citygate: present, as on the box"
else
  echo "group citygate: missing, so RSS includes libnss_systemd (about 300 KiB) unlike on the box"
fi
echo "command: scripts/bench-modbus-tcp.sh --devices $devices --registers $registers --warmup $warmup --window $window$([ "$inline_points" -eq 1 ] && echo ' --inline-points')"
echo "warm-up: $warmup s"
sleep "$warmup"
if ! kill -0 "$gateway" 2>/dev/null; then
  echo "bench-modbus-tcp: citygated exited during the warm-up:" >&2
  tail -20 "$work/citygated.log" >&2
  exit 1
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
ticks_before=$(cpu_ticks)
sent_before=$(sent)
start=$(date +%s.%N)
# VmRSS moves by several hundred KiB as glibc trims and regrows the top of
# the heap, so the window also samples it once a second.
rss_samples=()
for ((s = 0; s < window; s++)); do
  sleep 1
  rss_samples+=("$(status_kib VmRSS)")
done
ticks_after=$(cpu_ticks)
sent_after=$(sent)
end=$(date +%s.%N)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

hz=$(getconf CLK_TCK)
awk -v t0="$ticks_before" -v t1="$ticks_after" -v hz="$hz" -v s="$start" -v e="$end" \
    -v r0="$sent_before" -v r1="$sent_after" -v n="$devices" \
  'BEGIN {
     secs = e - s
     printf "window: %.1f s\n", secs
     printf "citygated CPU: %.2f %% of one core (%d ticks at %d Hz)\n", (t1 - t0) / hz / secs * 100, t1 - t0, hz
     printf "readings sent: %.1f /s (expected %d /s, one per device per second)\n", (r1 - r0) / secs, n
   }'
[ -n "${CITYGATE_BENCH_SMAPS:-}" ] && cp "/proc/$gateway/smaps" "$CITYGATE_BENCH_SMAPS"
echo "citygated RSS: VmRSS $(status_kib VmRSS) KiB, VmHWM $(status_kib VmHWM) KiB"
printf '%s\n' "${rss_samples[@]}" | awk '{ sum += $1; if (NR == 1 || $1 < low) low = $1; if ($1 > high) high = $1 }
  END { printf "citygated VmRSS in the window: mean %d KiB, lowest %d KiB, highest %d KiB (%d samples)\n", sum / NR, low, high, NR }'
echo "load average: $load_before before the window, $load_after after"
warnings=$(grep -c -i -E 'warn|error' "$work/citygated.log" || true)
echo "citygated warnings and errors logged: $warnings"
grep -i -E 'warn|error' "$work/citygated.log" | head -5 || true
