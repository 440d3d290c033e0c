#!/usr/bin/env bash
# Build the kedro-viz site, serve it on localhost and save a headless-Chromium screenshot.
# Usage: scripts/screenshot_viz.sh [output.png]     default docs/kedro_viz.png; a relative path is taken
#        from the project root. Needs the project's .venv (make install) and Debian's chromium
#        (apt-get install -y chromium). Set KEDRO_ENV for another environment's namespaces.
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
cd "$(dirname "$0")/.."
out="${1:-docs/kedro_viz.png}"
[[ "$out" = /* ]] || out="$PWD/$out"
[[ -x .venv/bin/kedro ]] || { echo "no .venv/bin/kedro: run 'make install' first" >&2; exit 1; }
command -v chromium >/dev/null || { echo "chromium not found: apt-get install -y chromium" >&2; exit 1; }
export HF_HUB_OFFLINE=1 DO_NOT_TRACK=1
.venv/bin/kedro viz build --include-hooks
port=8765
profile=$(mktemp -d)
( cd build && exec ../.venv/bin/python -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1 ) &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$profile"' EXIT
sleep 2
rm -f "$out"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --window-size=1600,1000 --virtual-time-budget=15000 \
  --screenshot="$out" "http://127.0.0.1:$port/" 2>"$profile/chromium.log" || true
if [[ ! -s "$out" ]]; then
  echo "chromium wrote no screenshot; its log:" >&2
  cat "$profile/chromium.log" >&2
  exit 1
fi
echo "saved $out"
