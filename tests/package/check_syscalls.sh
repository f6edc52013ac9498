#!/usr/bin/env bash
# Checks that every system call in an strace log of citygated is allowed by
# the SystemCallFilter= lines of its unit, as systemd 252 reads them: the
# first line is the allow list, later "~" lines remove from it, later plain
# lines add to it. Groups (@system-service, ...) are expanded with
# 'systemd-analyze syscall-filter' of the machine running the test.
#
# Usage: check_syscalls.sh UNIT_FILE STRACE_LOG
# The log is 'strace -f' output; calls before citygated's execve are the
# launcher's and are not checked.
set -euo pipefail

unit=$1
trace=$2

filters=$(sed -n 's/^SystemCallFilter=//p' "$unit")
used=$(awk '/execve\("\/usr\/sbin\/citygated"/ { started = 1; next }
            started && match($0, /^[0-9]+ +[a-z0-9_]+\(/) {
              call = substr($0, RSTART, RLENGTH - 1); sub(/^[0-9]+ +/, "", call); print call
            }' "$trace" | sort -u)
if [ -z "$used" ]; then
  echo "FAIL: $trace has no system calls after citygated's execve"
  exit 1
fi

rejected=$(systemd-analyze syscall-filter 2>/dev/null | awk -v filters="$filters" -v used="$used" '
  /^@/ { group = $1; next }
  /^[[:space:]]*(#|$)/ { next }
  { members[group] = members[group] " " $1 }

  function add(name, sign,    count, parts, i) {
    if (name ~ /^@/) {
      count = split(members[name], parts, " ")
      for (i = 1; i <= count; i++) add(parts[i], sign)
    } else if (sign > 0) {
      allowed[name] = 1
    } else {
      delete allowed[name]
    }
  }

  END {
    line_count = split(filters, lines, "\n")
    for (l = 1; l <= line_count; l++) {
      sign = 1
      if (substr(lines[l], 1, 1) == "~") { sign = -1; lines[l] = substr(lines[l], 2) }
      count = split(lines[l], names, " ")
      for (i = 1; i <= count; i++) add(names[i], sign)
    }
    count = split(used, calls, "\n")
    for (i = 1; i <= count; i++) if (!(calls[i] in allowed)) print calls[i]
  }')

echo "citygated made $(wc -w <<<"$used") distinct system calls"
if [ -n "$rejected" ]; then
  echo "FAIL: the unit's SystemCallFilter= rejects:" $rejected
  exit 1
fi
echo "the unit's SystemCallFilter= allows every one"
