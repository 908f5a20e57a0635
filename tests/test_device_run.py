"""The dry run of scripts/train_on_device.sh on the CPU: a tiny pack, a budget of seconds, the packages the device
image lacks made unimportable; the same script trains recipe v2's stages from the pack with the views made by
gpu_augment, exports, calibrates, reports on the test dogs and leaves what comes back in $OUT within the device
tool's limits. Also: the last stage alone from the shipped weights, and a pack with too few dogs refused."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.recognition.data import list_dogs, split_of

pytestmark = pytest.mark.train  # needs PyTorch: scripts/test_train.sh

ROOT = Path(__file__).resolve().parents[1]
# in the product's dependencies, not in the device image (KINDS.md's list for nvidia-h200)
NOT_ON_DEVICE = ("faiss", "sqlalchemy", "alembic", "pymysql", "pydantic", "pydantic_settings", "platformdirs",
                 "phonenumbers", "fastapi", "uvicorn", "multipart", "argon2", "tenacity", "redis", "celery",
                 "PySide6", "qrcode", "cryptography", "keyring", "zxcvbn")


def _pack(nose_data, tmp_path, want: dict) -> Path:
    from core.recognition.training.pack import write_pack

    root = tmp_path / "dogs"
    want = dict(want)
    for dog, photos in list_dogs(nose_data).items():
        if want.get(split_of(dog), 0) and len(photos) >= 6:
            (root / dog).mkdir(parents=True)
            for p in photos:
                (root / dog / p.name).symlink_to(p)
            want[split_of(dog)] -= 1
    assert not any(want.values())
    call = tmp_path / "call"
    write_pack(root, call / "pack.npz", threads=2)
    return call


def _device_like(tmp_path) -> str:
    """A sitecustomize that makes the packages the device image lacks fail to import."""
    site = tmp_path / "device_like"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import importlib.abc, sys\n"
        f"MISSING = {NOT_ON_DEVICE!r}\n"
        "class _NotThere(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in MISSING:\n"
        "            raise ModuleNotFoundError(f'{name} is not in the device image', name=name)\n"
        "sys.meta_path.insert(0, _NotThere())\n")
    return str(site)


def test_the_device_script_dry_run_on_the_cpu(nose_data, tmp_path):
    import torch

    call = _pack(nose_data, tmp_path, {"train": 6, "tune": 4, "test": 3})
    out, work = tmp_path / "OUT", tmp_path / "work"
    env = {**os.environ, "CALL": str(call), "OUT": str(out), "WORK": str(work), "DEVICE": "cpu", "BUDGET": "0.4",
           "LIMIT_S": "500", "EXTRA": "--batch 16", "PYTHON": sys.executable, "PYTHONPATH": _device_like(tmp_path)}
    res = subprocess.run(["bash", str(ROOT / "scripts" / "train_on_device.sh")], env=env, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    # within the device tool's limits: at most 8 files, each under 16 MiB, plain names, no folders
    back = sorted(out.iterdir())
    assert len(back) <= 8 and all(p.is_file() and p.stat().st_size < 16 * 2 ** 20 for p in back)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", p.name) for p in back)
    names = {p.name for p in back}
    assert {"nose_embed_v1.pt", "nose_embed_v1.onnx", "nose_embed_v1.json", "eval_test.json", "report.json",
            "train_log.jsonl", "run.log"} <= names
    report = json.loads((out / "report.json").read_text())
    assert [s["stage"]["name"] for s in report["stages"]] == ["stage1", "stage2", "stage3"]
    assert all(s["epochs"] >= 1 for s in report["stages"])
    assert report["pack"]["dogs"] == 13 and report["device"].startswith("cpu")
    assert report["test"]["dogs"] == 3 and 0 <= report["test"]["closed_set"]["rank1"] <= 1
    assert "auc" in report["test"]["verification"] and report["tune"]["match_threshold"]
    assert set(report["timings"]) >= {"load_s", "train_s", "finish_s", "total_s"}
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert {r["stage"] for r in log} == {"stage1", "stage2", "stage3"}
    meta = torch.load(out / "nose_embed_v1.pt", weights_only=False)["meta"]
    rec = meta["recipe"]
    assert rec["stage"] == "stage3" and rec["augmentation"] == "nose" and rec["ema"] == 0.995
    assert rec["views"] == "gpu_augment" and rec["init_from"].endswith("stage2/nose_embed_v1.pt")
    assert meta["input_size"] == 192
    assert "[0:" in (out / "run.log").read_text()  # the script's stamps, minute:second
    # what came back is an engine the product runs
    from core.recognition.data import read_bgr
    from core.recognition.learned import LearnedEngine

    photo = next(iter(list_dogs(tmp_path / "dogs").values()))[0]
    emb = LearnedEngine(out).embed([read_bgr(photo)])
    assert emb.shape == (1, 256)


def test_the_last_stage_alone_from_the_shipped_weights_and_a_pack_too_small(nose_data, tmp_path):
    import torch

    from core.recognition.runtime import MODEL_DIR
    from core.recognition.training.device_run import run

    call = _pack(nose_data, tmp_path, {"train": 3, "tune": 2, "test": 0})
    report = run(call / "pack.npz", tmp_path / "run", budget_minutes=0.05, from_stage="stage3",
                 init_from=MODEL_DIR / "nose_embed_v1.pt", device="cpu", batch=8, calibrate=False, progress=False)
    assert [s["stage"]["name"] for s in report["stages"]] == ["stage3"] and "test" not in report
    meta = torch.load(tmp_path / "run" / "stage3" / "nose_embed_v1.pt", weights_only=False)["meta"]
    assert meta["recipe"]["init_from"] == str(MODEL_DIR / "nose_embed_v1.pt") and meta["arch"] == "lite0"
    assert (tmp_path / "run" / "stage3" / "last.pt").exists()  # the checkpoint a cut run resumes from

    few = _pack(nose_data, tmp_path / "few", {"train": 2, "tune": 1, "test": 0})
    res = subprocess.run([sys.executable, "-m", "core.recognition.training.device_run", str(few / "pack.npz"),
                          "--out", str(tmp_path / "few_run"), "--device", "cpu", "--no-calibrate"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert res.returncode == 2 and "at least 2 'train' and 2 'tune' dogs" in res.stderr
    res = subprocess.run(["bash", str(ROOT / "scripts" / "train_on_device.sh")], capture_output=True, text=True,
                         env={**os.environ, "CALL": str(tmp_path / "nothing"), "OUT": str(tmp_path / "O2"),
                              "PYTHON": sys.executable}, timeout=60)
    assert res.returncode == 2 and "no training pack" in res.stdout
