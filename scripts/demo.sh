#!/usr/bin/env bash
# Runs the main job on this machine: a local mosquitto on loopback, three
# simulated CJ/T 188 water meters on a pty RS-485 bus, citygated with a demo
# config and a freshly generated key file, and `citygate monitor` printing
# the decrypted readings as they arrive.
#
# Usage: scripts/demo.sh [--seconds N] [--port P]
#   --seconds N  stop everything after N seconds and exit 0 (default: run until Ctrl-C)
#   --port P     broker port on 127.0.0.1 (default 18830)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${CITYGATE_BUILD_DIR:-$repo/build}
demo_dir=$build_dir/demo
seconds=0
port=18830

while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --port) port=${2:?--port needs a port number}; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$seconds" in
  ''|*[!0-9]*) echo "demo: --seconds needs a whole number of seconds, got '$seconds'" >&2; exit 2 ;;
esac
case "$port" in
  ''|*[!0-9]*) echo "demo: --port needs a port number, got '$port'" >&2; exit 2 ;;
esac

# Another broker already on the port would receive the demo's readings
# while this one fails to bind, so a taken port is an error.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "demo: port $port on 127.0.0.1 is already in use; choose another with --port" >&2
  exit 1
fi

"$repo/scripts/setup.sh"

pids=()
cleanup() {
  local status=$?
  # citygated first, so it can publish its orderly offline status.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit "$status"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

start_bus() {
  socat pty,raw,echo=0,link="$demo_dir/bus-gateway" pty,raw,echo=0,link="$demo_dir/bus-meters" 2>"$demo_dir/socat.log" &
  pids=($! "${pids[@]}")
  for _ in $(seq 50); do [ -e "$demo_dir/bus-meters" ] && return; sleep 0.1; done
  echo "demo: socat did not create the pty pair (see $demo_dir/socat.log)" >&2
  exit 1
}

start_broker() {
  cat >"$demo_dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
log_dest file $demo_dir/mosquitto.log
CONF
  # As root, mosquitto would switch to its own user and could not write
  # its log into the build tree.
  [ "$(id -u)" -eq 0 ] && echo "user root" >>"$demo_dir/mosquitto.conf"
  mosquitto -c "$demo_dir/mosquitto.conf" &
  pids=($! "${pids[@]}")
  local broker=$!
  for _ in $(seq 50); do
    kill -0 "$broker" 2>/dev/null || break
    mosquitto_pub -h 127.0.0.1 -p "$port" -t citygate/demo/ping -m ping 2>/dev/null && return
    sleep 0.1
  done
  echo "demo: mosquitto did not start on port $port (see $demo_dir/mosquitto.log)" >&2
  exit 1
}

rm -rf "$demo_dir"
mkdir -p "$demo_dir/data"
"$build_dir/bin/citygate" keygen --key-file "$demo_dir/keys.toml" >/dev/null
sed -e "s#@DEMO_DIR@#$demo_dir#g" -e "s#@PORT@#$port#g" "$repo/scripts/demo/citygate-demo.toml.in" >"$demo_dir/citygate.toml"

start_broker
start_bus
"$build_dir/bin/citygate-cjt188-sim" --device "$demo_dir/bus-meters" \
  --meter 78330011223344 --meter 78330011223345 --meter 78330011223346 \
  --log "$demo_dir/meters.log" 2>"$demo_dir/sim.log" &
pids=($! "${pids[@]}")

cat <<INFO
citygate demo
  broker:       tcp://127.0.0.1:$port
  topic prefix: citygate/v1/changle-demo-01
  key file:     $demo_dir/keys.toml
  config:       $demo_dir/citygate.toml
  logs:         $demo_dir/citygated.log, $demo_dir/sim.log, $demo_dir/mosquitto.log
Decrypted readings follow (Ctrl-C stops everything).
INFO

monitor_args=(monitor --broker "tcp://127.0.0.1:$port" --key-file "$demo_dir/keys.toml" --gateway changle-demo-01)
if [ "$seconds" -gt 0 ]; then monitor_args+=(--timeout "$seconds"); fi

# The monitor runs in the background so that a SIGTERM or SIGINT sent to
# this script runs the cleanup at once instead of after the monitor exits.
"$build_dir/bin/citygate" "${monitor_args[@]}" &
monitor=$!
pids=($monitor "${pids[@]}")

# citygated starts once the monitor has had a moment to subscribe, so the
# first readings are on screen too.
sleep 1
"$build_dir/bin/citygated" --config "$demo_dir/citygate.toml" 2>"$demo_dir/citygated.log" &
pids=($! "${pids[@]}")
wait "$monitor" || true
