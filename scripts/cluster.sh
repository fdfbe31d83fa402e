#!/usr/bin/env bash
# Tilework as a small cluster on this machine: a PostgreSQL database, one API process
# (`tilework serve --no-workers`) and two `tilework worker` processes, the demo run through them,
# then everything stopped. The database is created on the local PostgreSQL unless
# TILEWORK_CLUSTER_DATABASE_URL names another one (see README, "Scale-out").
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
TW=.venv/bin/tilework
[ -x "$TW" ] || { echo "No .venv yet: run \`make cluster\` (or \`make venv\` first)." >&2; exit 1; }

export TILEWORK_DATABASE_URL=${TILEWORK_CLUSTER_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/tilework_cluster}
export TILEWORK_DATA_DIR=./.tilework/cluster
export TILEWORK_ALLOW_PRIVATE_URLS=true
rm -rf "$TILEWORK_DATA_DIR" && mkdir -p "$TILEWORK_DATA_DIR"

echo "==> Database $("$PY" -c "from sqlalchemy.engine import make_url; print(make_url('$TILEWORK_DATABASE_URL').render_as_string())")"
"$PY" - <<'PYEOF'
import os, sys
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

url = make_url(os.environ["TILEWORK_DATABASE_URL"])
admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
try:
    with admin.connect() as connection:
        found = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database})
        if not found:
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
            print(f"    created {url.database}")
except SQLAlchemyError as exc:
    print(f"error: cannot reach PostgreSQL: {str(exc.orig or exc).splitlines()[0]}", file=sys.stderr)
    print("Start it, or set TILEWORK_CLUSTER_DATABASE_URL=postgresql+psycopg://user@host:port/db", file=sys.stderr)
    sys.exit(1)
PYEOF

echo "==> tilework migrate"
"$TW" migrate | sed 's/^/    /'

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export TILEWORK_SERVER="http://127.0.0.1:$PORT"
export TILEWORK_PUBLIC_BASE_URL="$TILEWORK_SERVER"

PIDS=()
stop_all() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT

echo "==> Starting the API (--no-workers) on $TILEWORK_SERVER and two workers (logs in $TILEWORK_DATA_DIR)"
"$TW" serve --no-workers --host 127.0.0.1 --port "$PORT" >"$TILEWORK_DATA_DIR/api.log" 2>&1 &
PIDS+=($!)
for n in 1 2; do
    "$TW" worker >"$TILEWORK_DATA_DIR/worker-$n.log" 2>&1 &
    PIDS+=($!)
done

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
    echo "The API did not come up; last lines of its log:" >&2
    tail -n 30 "$TILEWORK_DATA_DIR/api.log" >&2
    exit 1
fi

echo "==> Running the demo through the cluster"
DEMO_NO_SERVER=1 scripts/demo.sh

echo "==> Which worker ran what"
for n in 1 2; do
    echo "    worker $n: $(grep -c 'Starting job' "$TILEWORK_DATA_DIR/worker-$n.log" || true) job(s)"
done
