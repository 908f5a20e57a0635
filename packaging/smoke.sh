#!/usr/bin/env bash
# Smoke test of a built bundle: version, register + look up real nose photos with the default engine,
# a headless server answering /v1/health, and the kiosk starting offscreen. Uses a throw-away data folder.
set -euo pipefail
cd "$(dirname "$0")/.."
EXE=$(realpath "${1:-dist/savepets/savepets}")
DATA=$(mktemp -d)
trap 'kill ${SERVER_PID:-} 2>/dev/null || true; rm -rf "$DATA"' EXIT
export SAVEPETS_DATA_DIR="$DATA/data" SAVEPETS_CONFIG="$DATA/config.toml"
step() { printf '\n== %s\n' "$*"; }

step "version"
"$EXE" --version

step "no PyTorch inside: the networks run as ONNX files"
if find "$(dirname "$EXE")" -ipath '*torch*' | grep -q .; then
  find "$(dirname "$EXE")" -ipath '*torch*' | head; echo "the bundle carries PyTorch"; exit 1
fi
ls "$(dirname "$EXE")"/_internal/resources/models/*.onnx

step "register and look up real nose photos"
NOSE=../shared/data/nose-pbc2022/1772
if [ -d "$NOSE" ]; then
  "$EXE" register --name 초코 --phone 010-1234-5678 "$NOSE"/{0,1,2,3,4}.jpg
  rc=0; "$EXE" lookup "$NOSE/5.jpg" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 4 ] || { echo "lookup failed with exit code $rc"; exit 1; }
else
  echo "no ../shared/data here: checking the engine on an empty registry instead"
  "$EXE" db upgrade
fi

step "a registry made by the first release opens and upgrades"
OLD="$DATA/old"
.venv/bin/python - "$OLD" <<'PY'
import sqlite3, sys
from pathlib import Path
from core.registry.db import Database
folder = Path(sys.argv[1]); folder.mkdir()
db = Database(f"sqlite:///{folder / 'registry.sqlite3'}", upgrade=False)
db.upgrade("0001")  # the schema of the first release
db.dispose()
with sqlite3.connect(folder / "registry.sqlite3") as c:
    c.execute("INSERT INTO owners (id, phone, name, created_at, updated_at) VALUES ('o1', '+821099998888', '이영희', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    c.execute("INSERT INTO dogs (id, owner_id, registration_number, registered_at, name, breed, sex, notes, status, created_at, updated_at) VALUES ('d1', 'o1', '2601010900ㅂㄷ8888', '2026-01-01 00:00:00', '바둑이', '', 'male', '', 'home', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
PY
"$EXE" db upgrade --data-dir "$OLD"
"$EXE" dogs list --data-dir "$OLD" | tee "$DATA/old.txt"
grep -q 바둑이 "$DATA/old.txt"

step "headless server"
PORT=$("$EXE" --version >/dev/null && python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$EXE" serve --port "$PORT" > "$DATA/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 120); do
  if curl -fsS "http://127.0.0.1:$PORT/v1/health" 2>/dev/null; then echo; break; fi
  kill -0 $SERVER_PID 2>/dev/null || { cat "$DATA/serve.log"; exit 1; }
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/v1/health" >/dev/null
curl -fsS "http://127.0.0.1:$PORT/app/" | grep -q SavePets  # the phone web app ships in the bundle
kill $SERVER_PID; wait $SERVER_PID 2>/dev/null || true

step "kiosk, offscreen, 20 s"
rc=0; QT_QPA_PLATFORM=offscreen timeout 20 "$EXE" kiosk --camera "${NOSE:-0}" > "$DATA/kiosk.log" 2>&1 || rc=$?
if [ "$rc" != 124 ]; then cat "$DATA/kiosk.log"; echo "kiosk exited early with $rc"; exit 1; fi
echo "kiosk ran until stopped"
echo; echo "smoke test passed"
