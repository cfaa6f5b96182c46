#!/usr/bin/env bash
# The HTML reports in a real headless Chromium: each page loads, its script runs to the end
# (body data-ready="1") with no console error, and a screenshot has the window's size. A page
# with a script error must be caught the same way (the check can fail). Skipped (77) only when
# Chromium is not installed.
set -uo pipefail
raceit=$1
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome) ||
  { echo "SKIP: chromium is not installed (tools/setup.sh installs Debian's chromium)"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
width=1280
height=1600

# Headless Chromium as root needs --no-sandbox; no GPU or /dev/shm in containers.
browse() {
  timeout 120 "$chromium" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --hide-scrollbars --user-data-dir="$dir/profile" --enable-logging=stderr --v=0 --window-size=$width,$height "$@"
}

# check PAGE: 0 when it loads cleanly; prints the problem otherwise.
check() {
  local page=$1 name
  name=$(basename "$page" .html)
  browse --dump-dom "file://$page" > "$dir/$name.dom" 2> "$dir/$name.log"
  if grep -E "CONSOLE|Uncaught" "$dir/$name.log" > "$dir/$name.errors"; then
    echo "$page: console errors: $(cat "$dir/$name.errors")"
    return 1
  fi
  grep -q 'data-ready="1"' "$dir/$name.dom" || { echo "$page: the page's script did not finish"; return 1; }
  rm -f "$dir/$name.png"
  browse --screenshot="$dir/$name.png" "file://$page" 2>> "$dir/$name.log"
  [ -s "$dir/$name.png" ] || { echo "$page: no screenshot"; return 1; }
  local size
  size=$(python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(24); assert d[:8]==b'\x89PNG\r\n\x1a\n'; print('%dx%d' % struct.unpack('>II', d[16:24]))" "$dir/$name.png")
  [ "$size" = "${width}x${height}" ] || { echo "$page: screenshot $size, expected ${width}x${height}"; return 1; }
  echo "$page: loaded, no console errors, screenshot $size"
}

# The check catches a page whose script throws.
printf '<!DOCTYPE html><html><body><p>x</p><script>undefinedFunction(); document.body.dataset.ready = "1";</script></body></html>\n' > "$dir/broken.html"
check "$dir/broken.html" && fail "a page with a script error passed the check"

cat > "$dir/spec.yaml" <<YAML
model: bert-base
axes:
  crossbar.rows: [64, 128]
  tile.race_units: [1, 4]
YAML
"$raceit" sweep "$dir/spec.yaml" --store "$dir/sweep.db" --quiet || fail "sweep"
"$raceit" report "$dir/sweep.db" --html "$dir/sweep.html" --csv "$dir/sweep.csv" > /dev/null || fail "report"
"$raceit" ppa --model bert-base --arch raceit --html "$dir/ppa.html" > /dev/null || fail "ppa --html"
"$raceit" sensitivity --model bert-base --arch raceit --vs h100 --vary crossbar.rows=64,256 \
  --vary components.crossbar.latency=10ns,50ns --html "$dir/sensitivity.html" > /dev/null || fail "sensitivity --html"
for page in sweep ppa sensitivity; do
  grep -q "<svg" "$dir/$page.html" || fail "$page.html has no chart"
  check "$dir/$page.html" || fail "$page.html"
done
