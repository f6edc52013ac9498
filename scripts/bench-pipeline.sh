#!/usr/bin/env bash
# End-to-end benchmark: synthetic readings through the outbox, SM4/HMAC-SM3
# sealing, MQTT publish and PUBACK, against a local mosquitto started here.
# Prints readings/s, CPU microseconds per reading and peak RSS of the
# gateway side, then the raw mosquitto_pub rate for envelopes of the same
# size measured against the same broker in the same run.
#
# Usage: scripts/bench-pipeline.sh [--readings N] [--batch N] [--max-in-flight N]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${CITYGATE_BUILD_DIR:-$repo/build}
readings=1000000
batch=500
in_flight=4
while [ $# -gt 0 ]; do
  case "$1" in
    --readings) readings=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --max-in-flight) in_flight=$2; shift 2 ;;
    *) echo "bench-pipeline: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build_dir" --target citygate-pipeline-bench >/dev/null

work=$(mktemp -d /var/tmp/citygate-bench.XXXXXX)
broker_pid=
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port: bind port 0 and read back what the kernel chose.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 100000
CONF
[ "$(id -u)" -eq 0 ] && echo "user root" >>"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" 2>"$work/mosquitto.log" &
broker_pid=$!
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

echo "machine: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: scripts/bench-pipeline.sh --readings $readings --batch $batch --max-in-flight $in_flight"

bench=$build_dir/bin/citygate-pipeline-bench
/usr/bin/time -v -o "$work/time.txt" "$bench" --broker "tcp://127.0.0.1:$port" --readings "$readings" \
  --batch "$batch" --max-in-flight "$in_flight" --dir "$work/gateway" --sample-envelope "$work/envelope.bin"
echo "peak RSS (time -v): $(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt") KiB"

# The same number of envelopes of the same size, QoS 1, one mosquitto_pub.
envelopes=$(( (readings + batch - 1) / batch ))
start=$(date +%s.%N)
mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t bench/raw -f "$work/envelope.bin" --repeat "$envelopes"
end=$(date +%s.%N)
awk -v n="$envelopes" -v b="$batch" -v s="$start" -v e="$end" \
  'BEGIN { t = e - s; printf "mosquitto_pub: %d envelopes in %.2f s, %.0f envelopes/s, %.0f readings/s equivalent\n", n, t, n / t, n * b / t }'
