#!/usr/bin/env bash
# Create .venv and install SavePets into it (idempotent). The argument names extras, e.g. ".[test]"; VENV=.venv-train
# puts the install elsewhere (scripts/test_train.sh keeps PyTorch out of the product's .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# No PyTorch unless the `train` extra is named: the product runs its networks with onnxruntime.
"$VENV/bin/python" -m pip install --quiet --progress-bar off -e "${1:-.}"
