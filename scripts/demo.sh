#!/usr/bin/env bash
# Tilework end to end on this machine: generate a clip, start a server on a free port, create an
# organization, import the example agent, run it with live progress, download what it produced.
# With DEMO_NO_SERVER=1 it uses the server at $TILEWORK_SERVER and the environment's settings
# (how `make cluster` runs it through its API and workers).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
TW=.venv/bin/tilework
OUT=demo-output
[ -x "$TW" ] || { echo "No .venv yet: run \`make demo\` (or \`make venv\` first)." >&2; exit 1; }
OWN_SERVER=${DEMO_NO_SERVER:-0}
if [ "$OWN_SERVER" = 0 ]; then
    export TILEWORK_DATA_DIR=./.tilework/demo
    export TILEWORK_ALLOW_PRIVATE_URLS=true
    rm -rf "$TILEWORK_DATA_DIR"
fi
rm -rf "$OUT"
mkdir -p "$TILEWORK_DATA_DIR" "$OUT"

if [ "$OWN_SERVER" = 0 ]; then
    PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    export TILEWORK_SERVER="http://127.0.0.1:$PORT"
    export TILEWORK_PUBLIC_BASE_URL="$TILEWORK_SERVER"
fi

echo "==> Generating a 16-second 640x360 clip: espeak-ng speech and a face (scikit-image's astronaut)"
"$PY" -c "
from pathlib import Path
from tilework.media.samples import make_talking_clip
make_talking_clip('ffmpeg', Path('$OUT/sample.mp4'))
"

if [ "$OWN_SERVER" = 0 ]; then
echo "==> Starting tilework serve on $TILEWORK_SERVER (log: $TILEWORK_DATA_DIR/server.log)"
"$TW" serve --host 127.0.0.1 --port "$PORT" >"$TILEWORK_DATA_DIR/server.log" 2>&1 &
SERVER_PID=$!
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}
trap stop_server EXIT
fi

if ! "$PY" - <<PYEOF
import sys, time, httpx
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        if httpx.get("$TILEWORK_SERVER/openapi.json", timeout=2).status_code == 200:
            sys.exit(0)
    except httpx.HTTPError:
        pass
    time.sleep(0.3)
sys.exit(1)
PYEOF
then
    echo "The server did not come up; last lines of its log:" >&2
    tail -n 30 "$TILEWORK_DATA_DIR/server.log" >&2
    exit 1
fi

json_field() { "$PY" -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }

echo "==> Creating an organization"
TILEWORK_API_KEY=$("$TW" init --name demo --json | json_field api_key)
export TILEWORK_API_KEY

AGENT_FILE=${DEMO_AGENT:-examples/agents/shorts.yaml}
echo "==> Importing $AGENT_FILE (clips -> reframe 9:16 -> captions -> audio enhance -> render)"
AGENT_ID=$("$TW" agents import "$AGENT_FILE" --json | json_field agent_id)
echo "    agent $AGENT_ID"

echo "==> Running the agent (progress below)"
STARTED=$(date +%s%N)
if ! "$TW" run "$AGENT_ID" --video "$OUT/sample.mp4" --follow --json >"$OUT/run.json"; then
    echo "The run did not complete; see $OUT/run.json and $TILEWORK_DATA_DIR/server.log" >&2
    exit 1
fi
ELAPSED_MS=$((($(date +%s%N) - STARTED) / 1000000))

echo "==> Downloading the outputs"
RUN_ID=$(json_field run_id <"$OUT/run.json")
"$TW" runs download "$RUN_ID" -o "$OUT"

printf '==> Done: the run took %d.%03d s (upload, processing and render)\n' \
    $((ELAPSED_MS / 1000)) $((ELAPSED_MS % 1000))
