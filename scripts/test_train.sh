#!/usr/bin/env bash
# The training tests (marker `train`): PyTorch in a venv of its own (.venv-train), so that the product's .venv
# proves every day that nothing at run time needs it.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-train bash scripts/setup.sh ".[train,test]"
export QT_QPA_PLATFORM=offscreen
.venv-train/bin/python -m pytest -m train "$@"
