#!/usr/bin/env bash
# Build the kedro-viz site, serve it on localhost and save a headless-Chromium screenshot to docs/.
# Usage: scripts/screenshot_viz.sh [output.png]   (needs Debian's chromium: apt-get install -y chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/kedro_viz.png}"
export HF_HUB_OFFLINE=1 DO_NOT_TRACK=1
.venv/bin/kedro viz build
port=8765
( cd build && exec ../.venv/bin/python -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1 ) &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
sleep 2
profile=$(mktemp -d)
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --window-size=1600,1000 --virtual-time-budget=15000 \
  --screenshot="$PWD/$out" "http://127.0.0.1:$port/" 2>/dev/null
echo "saved $out"
