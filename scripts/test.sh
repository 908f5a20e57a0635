#!/usr/bin/env bash
# Install with the test extras, lint, and run the whole test suite (SQLite and the local MariaDB).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh ".[test]"
export QT_QPA_PLATFORM=offscreen
# The tests use the machine's MariaDB (127.0.0.1:3306, root, no password); start it if it is down.
if ! .venv/bin/python -c "import pymysql; pymysql.connect(host='127.0.0.1', user='root', password='')" 2>/dev/null; then
  if command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ]; then
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
    for _ in $(seq 30); do
      .venv/bin/python -c "import pymysql; pymysql.connect(host='127.0.0.1', user='root', password='')" 2>/dev/null && break
      sleep 1
    done
  fi
fi
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
