#!/usr/bin/env bash
# Install with the test extras (no PyTorch), lint, and run the test suite (SQLite and the local MariaDB); the
# training tests (marker `train`, they need PyTorch) run in their own venv: scripts/test_train.sh.
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
.venv/bin/lint-imports  # the layering contracts in pyproject.toml
.venv/bin/python -m pytest -m "not train" "$@"
