#!/bin/bash
# Golden `raceit show` text: vit-digits compiled for the raceit preset (16 calibration samples).
# Any change in how an operator is lowered, quantised, placed or counted changes this text, so an
# unintended one fails here. After an intended change, regenerate and review the diff:
#   tests/compiler/show_golden.sh build/src/cli/raceit --update && git diff tests/compiler/golden
set -euo pipefail
raceit=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
golden=$root/tests/compiler/golden/vit-digits.raceit.show.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$raceit" compile --model vit-digits --arch raceit --calibration 16 --quiet -o "$tmp/program.json" > /dev/null
# Paths and the tool version differ between checkouts and releases, not between lowerings.
"$raceit" show "$tmp/program.json" | sed -e "s|$root|<source>|g" -e 's|(raceit [0-9][^)]*)|(raceit <version>)|' > "$tmp/show.txt"
if [ "${2:-}" = --update ]; then
  cp "$tmp/show.txt" "$golden"
  echo "updated $golden"
  exit 0
fi
if ! diff -u "$golden" "$tmp/show.txt"; then
  echo "raceit show differs from $golden (above); if the change is intended: $0 $raceit --update" >&2
  exit 1
fi
