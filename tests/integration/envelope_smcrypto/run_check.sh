#!/bin/sh
# Runs envelope_check.js for ctest. Fails with a clear message, rather than
# skipping, when node or the pinned npm packages are missing, so a machine
# without them cannot report the cross-check as passed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tool=${1:?usage: run_check.sh PATH_TO_citygate-envelope-vector}

if ! command -v node >/dev/null 2>&1; then
  echo "envelope_smcrypto: node not found; install Node.js 20 (scripts/setup.sh does)" >&2
  exit 1
fi
if [ ! -f "$here/node_modules/sm-crypto/package.json" ]; then
  echo "envelope_smcrypto: $here/node_modules is missing; run scripts/setup.sh or 'npm ci' in that directory" >&2
  exit 1
fi
exec node "$here/envelope_check.js" "$tool"
