#!/usr/bin/env bash
# Extracts the CLI's messages into po/citygate.pot and merges them into
# every po/<lang>.po. Run after changing a _() string, then translate the
# new or fuzzy entries; the build checks that none is left.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

mapfile -t sources < <(find gateway/cli -name '*.cpp' -o -name '*.hpp' | LC_ALL=C sort)

xgettext --language=C++ --from-code=UTF-8 \
  --keyword=_ --keyword=N_ \
  --add-comments=TRANSLATORS: \
  --package-name=citygate --package-version="$(sed -n 's/^project(citygate VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)" \
  --msgid-bugs-address="citygate developers" \
  --sort-by-file --no-wrap \
  -o po/citygate.pot "${sources[@]}"

for po in po/*.po; do
  msgmerge --quiet --update --backup=none --no-wrap "$po" po/citygate.pot
  msgfmt --check --statistics -o /dev/null "$po"
done
