#!/usr/bin/env bash
# Build the one-folder desktop bundle (dist/savepets) from a fresh checkout, then smoke-test it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh ".[bundle]"
rm -rf build/savepets dist/savepets
.venv/bin/pyinstaller --noconfirm --log-level WARN build.spec
du -sh dist/savepets | awk '{print "bundle size: " $1}'
bash packaging/smoke.sh dist/savepets/savepets
