#!/usr/bin/env bash
# The Dockerfile's install and start commands in a fresh venv (no Docker engine needed):
# `pip install -r requirements.txt`, then deploy/start.sh (migrate, serve), until /healthz answers.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$repo"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q -r requirements.txt
port="$("$work/venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cd "$work"
export PATH="$work/venv/bin:$PATH" PORT="$port" DATABASE_URL="sqlite:///$work/seminar.db" COURSE_FILE="$repo/course.toml"
sh "$repo/deploy/start.sh" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 60); do
  python "$repo/deploy/healthcheck.py" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
python "$repo/deploy/healthcheck.py" || { cat "$work/serve.log"; echo "smoke: /healthz never answered 200"; exit 1; }
grep -q "uvloop event loop and the httptools HTTP parser" "$work/serve.log" || { cat "$work/serve.log"; exit 1; }
seminar-bot doctor | tail -1 || true
echo "smoke: fresh install from requirements.txt migrated and served /healthz 200 on uvloop + httptools"
