#!/usr/bin/env bash
# Checks rootfs/lib/systemd/system/citygated.service: the hardening the
# package promises, a systemd-analyze security exposure of at most 2.0, and
# that its paths match the daemon's defaults in the reference config.
#
# Usage: check_unit.sh SOURCE_DIR
set -euo pipefail

source_dir=$1
unit=$source_dir/rootfs/lib/systemd/system/citygated.service
config=$source_dir/rootfs/etc/citygate/citygate.toml
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

expect_line() {
  grep -qx "$1" "$unit" || fail "$unit lacks the line '$1'"
}

# The value of a key in the [gateway] table of the reference config.
gateway_value() {
  sed -n "/^\[gateway\]/,/^\[/ s/^$1 = \"\(.*\)\"$/\1/p" "$config"
}

for line in 'Type=notify' 'WatchdogSec=30s' 'Restart=on-failure' 'User=citygate' 'SupplementaryGroups=dialout' \
    'ProtectSystem=strict' 'ReadWritePaths=/var/lib/citygate' 'NoNewPrivileges=yes' 'PrivateTmp=yes' \
    'CapabilityBoundingSet=' 'AmbientCapabilities=' 'DevicePolicy=closed' 'DeviceAllow=char-ttyUSB rw' \
    'DeviceAllow=char-ttyS rw' 'StandardOutput=journal' 'StandardError=journal' \
    'RuntimeDirectory=citygate' 'StateDirectory=citygate' \
    'ExecStart=/usr/sbin/citygated --config /etc/citygate/citygate.toml'; do
  expect_line "$line"
done

# The unit makes /run/citygate and /var/lib/citygate writable; the daemon's
# defaults must point there.
data_dir=$(gateway_value data_dir)
socket=$(gateway_value control_socket)
[ "$data_dir" = /var/lib/citygate ] || fail "gateway.data_dir is '$data_dir', but the unit allows writes to /var/lib/citygate"
[ "$(dirname "$socket")" = /run/citygate ] || fail "gateway.control_socket is '$socket', outside RuntimeDirectory /run/citygate"
grep -q "default_socket_path = \"$socket\"" "$source_dir/gateway/cli/commands.hpp" ||
  fail "the CLI's default socket differs from gateway.control_socket '$socket'"

# --threshold counts in tenths: 20 is an exposure of 2.0.
report=$(systemd-analyze security --offline=true --threshold=20 "$unit" 2>&1) || {
  echo "$report" | tail -n 25
  fail "systemd-analyze security rates $unit above 2.0"
}
echo "$report" | tail -n 1

verify=$(systemd-analyze verify --man=no "$unit" 2>&1 | grep -v 'is not executable: No such file' || true)
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"

if [ "$failures" -ne 0 ]; then
  echo "$failures checks failed"
  exit 1
fi
echo "citygated.service is hardened and consistent with the daemon's defaults"
