#!/usr/bin/env bash
# Checks that the Simplified Chinese catalogue is complete and that the
# built citygate speaks it: usage: check_translations.sh CITYGATE PO_FILE
set -euo pipefail
citygate="$1"
po_file="$2"
failed=0

stats="$(msgfmt --check --statistics -o /dev/null "$po_file" 2>&1)"
echo "msgfmt: $stats"
if grep -Eq 'untranslated|fuzzy' <<<"$stats"; then
  echo "FAIL: $po_file has untranslated or fuzzy messages"
  failed=1
fi

export LANG=zh_CN.UTF-8 LANGUAGE=zh_CN
unset LC_ALL
set +e
status_err="$("$citygate" status --socket /nonexistent 2>&1 >/dev/null)"
status_rc=$?
help_out="$("$citygate" --help)"
set -e

if [[ $status_rc -ne 3 ]]; then
  echo "FAIL: 'citygate status' on a missing socket exited $status_rc, expected 3"
  failed=1
fi
if ! grep -q '无法连接 citygated' <<<"$status_err"; then
  echo "FAIL: 'citygate status' printed no Chinese (is the zh_CN.UTF-8 locale generated?):"
  echo "$status_err"
  failed=1
fi
if ! grep -q '显示本帮助并退出' <<<"$help_out" || ! grep -q '用法' <<<"$help_out"; then
  echo "FAIL: 'citygate --help' printed no Chinese:"
  echo "$help_out"
  failed=1
fi
[[ $failed -eq 0 ]] && echo "zh_CN catalogue complete and in use"
exit $failed
