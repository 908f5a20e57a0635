#!/usr/bin/env bash
# Create .venv and install SavePets into it (idempotent). Extra pip arguments pass through, e.g. ".[test]".
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# torch is pinned in pyproject.toml to the CPU wheel that lies on this machine's disk.
.venv/bin/python -m pip install --quiet --progress-bar off -e "${1:-.}"
