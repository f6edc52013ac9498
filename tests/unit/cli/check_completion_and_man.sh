#!/usr/bin/env bash
# Checks that the bash completion and the man page of citygate know every
# command and long option that 'citygate --help' lists, so neither drifts
# from the program, and that both man pages render without warnings.
#
# Usage: check_completion_and_man.sh CITYGATE COMPLETION_FILE MAN_DIR
set -euo pipefail

citygate=$1
completion=$2
man_dir=$3
failures=0
export LANG=C LC_ALL=C LANGUAGE=

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# Names listed under "Commands:" in a --help output.
commands_of() {
  "$citygate" "$@" --help | sed -n '/^Commands:/,/^$/ s/^  \([a-z-]*\) .*/\1/p'
}

long_options_of() {
  "$citygate" "$@" --help | grep -o -- '--[a-z][a-z-]*' | sort -u
}

# Words the completion offers for the command line "citygate $*" plus the
# word being completed, $current.
complete_words() {
  local current=$1
  shift
  bash -c '
    source /usr/share/bash-completion/bash_completion
    source "$0"
    COMP_WORDS=(citygate "${@:2}" "$1")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    _citygate
    printf "%s\n" "${COMPREPLY[@]}"
  ' "$completion" "$current" "$@"
}

check_command() {
  local words=("$@") option
  local offered
  offered=$(complete_words -- "${words[@]}")
  for option in $(long_options_of "${words[@]}"); do
    grep -qx -- "$option" <<<"$offered" || fail "completion of 'citygate ${words[*]} --' lacks $option"
    grep -q -- "${option//-/\\\\-}" "$man_dir/citygate.1" || fail "citygate(1) does not mention $option of '${words[*]}'"
  done
}

top_level=$(complete_words "")
for command in $(commands_of); do
  grep -qx "$command" <<<"$top_level" || fail "completion of 'citygate' lacks the command $command"
  grep -q "^\.SS.*\b$command\b" "$man_dir/citygate.1" || fail "citygate(1) has no section for $command"
  nested=$(commands_of "$command")
  if [ -z "$nested" ]; then
    check_command "$command"
    continue
  fi
  for sub in $nested; do
    grep -qx "$sub" <<<"$(complete_words "" "$command")" || fail "completion of 'citygate $command' lacks $sub"
    check_command "$command" "$sub"
  done
done

for page in citygate.1 citygated.8; do
  warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$man_dir/$page" 2>&1 >/dev/null || true)
  [ -z "$warnings" ] || fail "$page renders with warnings: $warnings"
done

if [ "$failures" -ne 0 ]; then
  echo "$failures checks failed"
  exit 1
fi
echo "completion and man page cover every command and option"
