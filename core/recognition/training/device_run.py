"""A recipe trained from a pack in one call on a GPU machine: `savepets train device PACK --out DIR`.

    python -m core.recognition.training.device_run PACK --out DIR [--budget-minutes 5] [--recipe v2] [--arch lite1]
        [--from-stage stage3 --init-from resources/models/nose_embed_v1.pt] [--device cuda|cpu] [--fusion]

What scripts/train_on_device.sh runs there (its header has the minute-by-minute plan):
1. the pack (pack.py) decoded once, every photo of it moved to the device as uint8 (1.4 GB for nose-pbc2022);
2. the recipe's stages trained in turn on the training dogs, each warm-started from the one before, the budget shared
   out in the recipe's proportions; the views are made on the device a batch at a time (gpu_augment), the network
   runs under bf16 autocast, the stage's moving average of the weights (EMA) is what is checked and exported, a
   checkpoint (last.pt) is written every minute and resumed from when the stage's folder has one;
3. the tune dogs checked on the device every 10 epochs (closed-set rank-1, TAR at FAR 1e-3, as train.quick_eval);
4. finish: the photos written back out as a folder per dog (their encoded bytes as they are), the last stage's
   weights exported to ONNX and checked against torch, the operating point fitted on the tune dogs
   (calibration.calibrate_learned; RootSIFT fusion only with --fusion: it costs minutes of CPU) and the report on
   the test dogs (evaluate, enroll 5) written as eval_test.json; report.json sums the run up.

The figures come from the pack's photos (re-encoded once at WebP 75); the ones to quote and the fusion rule come
from a calibration on the original photos here, before installing:
`python -m core.recognition.training.device_run finish FOLDER --data DIR [--install]` (FOLDER: what came back).
Runs on a CPU too (device cpu): the dry run in tests/test_device_run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from core.recognition.preprocess import MEAN, STD
from core.recognition.training import gpu_augment
from core.recognition.training.model import ARCHS, NoseNet
from core.recognition.training.pack import Pack, read_pack
from core.recognition.training.recipes import RECIPES, Stage
from core.recognition.training.train import (
    SubCenterArcFace,
    export,
    pick_device,
    resolution_at,
    train_step,
    warm_start,
)

WEIGHTS_PT = "nose_embed_v1.pt"


class OnDevice:
    """The photos of one split of a pack, decoded once: uint8 (n, S, S, 3) on the device (and on the host, for the
    warm start), their class labels and dog ids."""

    def __init__(self, pack: Pack, split: str, dev: torch.device):
        idx = pack.indices(split)
        self.host = pack.decode(idx)
        self.images = torch.from_numpy(self.host).to(dev)
        self.labels_np, self.ids = pack.labels(idx)
        self.labels = torch.from_numpy(self.labels_np).to(dev)
        self.owner = pack.dog[idx]

    def __len__(self) -> int:
        return len(self.labels_np)


# ---------------------------------------------------------------------------------------------- tune check
@torch.no_grad()
def embed(net: nn.Module, images: torch.Tensor, res: int, batch: int = 256) -> np.ndarray:
    """L2-normalised embeddings of device-resident uint8 squares, resized to res (area) as inference does."""
    net.eval()
    out = []
    for i in range(0, len(images), batch):
        x = images[i: i + batch].permute(0, 3, 1, 2).float()
        if x.shape[-1] != res:
            x = F.interpolate(x, size=(res, res), mode="area")
        x = ((x - MEAN) / STD).contiguous(memory_format=torch.channels_last)
        out.append(F.normalize(net(x).float()).cpu().numpy())
    return np.concatenate(out)


def tune_scores(emb: np.ndarray, owner: np.ndarray) -> dict[str, float]:
    """train.quick_eval's protocol on embeddings: closed set (all but the last photo of dogs with 3 or more
    enrolled, the last probes), rank-1; TAR at FAR 1e-3 over every pair."""
    probe = np.zeros(len(owner), bool)
    for d in np.unique(owner):
        where = np.flatnonzero(owner == d)
        if len(where) >= 3:
            probe[where[-1]] = True
    sims = emb[probe] @ emb[~probe].T
    rank1 = float((owner[~probe][sims.argmax(1)] == owner[probe]).mean()) if probe.any() else 0.0
    iu = np.triu_indices(len(owner), 1)
    same = (owner[:, None] == owner[None, :])[iu]
    s = (emb @ emb.T)[iu]
    imp = np.sort(s[~same])[::-1]
    thr = imp[max(0, int(len(imp) * 1e-3) - 1)] if len(imp) else 1.0
    return {"rank1": rank1, "tar@1e-3": float((s[same] > thr).mean()) if same.any() else 0.0}


# ---------------------------------------------------------------------------------------------- one stage
def train_stage(train: OnDevice, tune: OnDevice | None, out: Path, stage: Stage, budget_minutes: float,
                dev: torch.device, init_from: Path | None = None, batch: int = 64, bf16: bool | None = None,
                seed: int = 0, chunk: int | None = None, tune_every: int | None = None, ckpt_minutes: float = 1.0,
                dim: int = 256, margin: float = 0.4, scale: float = 30.0, subcenters: int = 3,
                label_smoothing: float = 0.1, weight_decay: float = 0.02, head_lr_mult: float = 10.0,
                progress: bool = True) -> Path:
    """One stage of a recipe (train.train's schedule, loss, EMA and checkpoints; the views made on the device).
    Returns out/nose_embed_v1.pt (absent when the budget was not spent)."""
    out.mkdir(parents=True, exist_ok=True)
    bf16 = dev.type == "cuda" if bf16 is None else bf16
    chunk = chunk or (8 if dev.type == "cuda" else 1)  # batches whose views are made in one go
    tune_every = tune_every or (10 if dev.type == "cuda" else 1000)
    schedule = [(float(a), int(b)) for a, b in (x.split(":") for x in stage.res_schedule.split(","))]
    batch = min(batch, len(train))
    torch.manual_seed(seed)
    model = NoseNet(dim=dim, pretrained=init_from is None, frozen_blocks=stage.frozen_blocks, arch=stage.arch)
    model = model.to(dev, memory_format=torch.channels_last)
    head = SubCenterArcFace(dim, len(train.ids), k=subcenters, margin=margin, scale=scale).to(dev)
    for m in model.frozen_modules():
        for p in m.parameters():
            p.requires_grad_(False)
    backbone = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith("net.")]
    rest = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("net.")]
    opt = torch.optim.AdamW([{"params": backbone, "lr": stage.lr, "base": stage.lr},
                             {"params": rest + list(head.parameters()), "lr": stage.lr * head_lr_mult,
                              "base": stage.lr * head_lr_mult}], weight_decay=weight_decay)
    state = {"epoch": 0, "elapsed": 0.0, "best": -1.0, "history": []}
    ckpt = out / "last.pt"
    saved = None
    if ckpt.exists():
        saved = torch.load(ckpt, weights_only=False, map_location=dev)
        model.load_state_dict(saved["model"])
        head.load_state_dict(saved["head"])
        opt.load_state_dict(saved["opt"])
        state = saved["state"]
    elif init_from:
        warm_start(model, head, Path(init_from), train.host, train.labels_np, schedule[0][1])
    averaged = None
    if stage.ema:
        averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(stage.ema), use_buffers=True)
        if saved and saved.get("ema"):
            averaged.load_state_dict(saved["ema"])
    net = averaged.module if averaged is not None else model
    recipe = {"budget_minutes": budget_minutes, "batch": batch, "lr": stage.lr, "margin": margin, "scale": scale,
              "subcenters": subcenters, "label_smoothing": label_smoothing, "res_schedule": stage.res_schedule,
              "weight_decay": weight_decay, "init_from": str(init_from or "imagenet"), "arch": stage.arch,
              "augmentation": stage.augmentation, "ema": stage.ema, "dogs": "train", "device": dev.type,
              "bf16": bf16, "views": "gpu_augment", "stage": stage.name}

    def meta(tune_result: dict) -> dict:
        return {"dim": dim, "arch": stage.arch, "input_size": stage.eval_res, "frozen_blocks": stage.frozen_blocks,
                "epoch": state["epoch"], "tune": tune_result, "recipe": recipe}

    def checkpoint() -> None:
        torch.save({"model": model.state_dict(), "head": head.state_dict(), "opt": opt.state_dict(),
                    "ema": averaged.state_dict() if averaged is not None else None, "state": state},
                   out / "last.pt.tmp")
        (out / "last.pt.tmp").replace(ckpt)

    budget = budget_minutes * 60
    crit = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    autocast = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16)
    log = open(out / "log.jsonl", "a")
    last_ckpt = time.time()
    n_batches = len(train) // batch
    while state["elapsed"] < budget:
        frac = state["elapsed"] / budget
        res = resolution_at(frac, schedule)
        model.train()
        for m in model.frozen_modules():
            m.eval()
        order = np.random.default_rng([seed, state["epoch"]]).permutation(len(train))
        tot = torch.zeros((), device=dev)
        correct = torch.zeros((), device=dev, dtype=torch.long)
        seen = 0
        t_step = time.time()
        for c0 in range(0, n_batches, chunk):
            if state["elapsed"] >= budget:
                break
            nb = min(chunk, n_batches - c0)
            idx = order[c0 * batch: (c0 + nb) * batch]
            x_all = gpu_augment.batch_views(train.images, idx, res, stage.augmentation, (seed, state["epoch"], c0))
            y_all = train.labels[torch.as_tensor(idx, device=dev)]
            for k in range(nb):
                frac = state["elapsed"] / budget
                if frac >= 1.0:
                    break
                x, y = x_all[k * batch: (k + 1) * batch], y_all[k * batch: (k + 1) * batch]
                loss, logits = train_step(model, head, crit, opt, averaged, autocast, x, y, frac)
                tot += loss * len(y)
                correct += (logits.argmax(1) == y).sum()
                seen += len(y)
                now = time.time()
                state["elapsed"] += now - t_step
                t_step = now
        if dev.type == "cuda":  # the host runs ahead of the GPU: the steps still queued are this epoch's time too
            torch.cuda.synchronize(dev)
        state["elapsed"] += time.time() - t_step
        state["epoch"] += 1
        last = state["elapsed"] >= budget
        t_ev = time.time()
        check = tune is not None and (last or (frac >= 0.4 and state["epoch"] % tune_every == 0))
        ev = tune_scores(embed(net, tune.images, stage.eval_res), tune.owner) if check else \
            {"rank1": -1.0, "tar@1e-3": -1.0}
        rec = {"stage": stage.name, "epoch": state["epoch"], "res": res, "loss": float(tot) / max(1, seen),
               "train_acc": int(correct) / max(1, seen), "elapsed_min": state["elapsed"] / 60, "tune": ev,
               "eval_s": time.time() - t_ev}
        state["history"].append(rec)
        log.write(json.dumps(rec) + "\n")
        log.flush()
        if progress and (check or state["epoch"] % 10 == 1):
            print(json.dumps(rec), flush=True)
        if ev["rank1"] > state["best"]:
            state["best"] = ev["rank1"]
            export(net, out / "best_embed.pt", meta(ev))
        if last or time.time() - last_ckpt > ckpt_minutes * 60:
            checkpoint()
            last_ckpt = time.time()
    log.close()
    final = out / WEIGHTS_PT
    if state["elapsed"] >= budget:
        export(net, final, meta(state["history"][-1]["tune"] if state["history"] else {}))
    return final


# ---------------------------------------------------------------------------------------------- the run
def stages_of(recipe: str, from_stage: str | None = None, arch: str | None = None,
              frozen_blocks: int | None = None) -> list[Stage]:
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}: one of {', '.join(RECIPES)}")
    stages = list(RECIPES[recipe])
    if from_stage:
        names = [s.name for s in stages]
        if from_stage not in names:
            raise ValueError(f"recipe {recipe} has no stage {from_stage!r}: one of {', '.join(names)}")
        stages = stages[names.index(from_stage):]
    if arch:
        if arch not in ARCHS:
            raise ValueError(f"unknown backbone {arch!r}: one of {', '.join(ARCHS)}")
        stages = [replace(s, arch=arch) for s in stages]
    if frozen_blocks is not None:
        stages = [replace(s, frozen_blocks=frozen_blocks) for s in stages]
    return stages


def use_all_cores() -> None:
    """onnxruntime takes at most 4 threads in the product (a kiosk shares its CPU); the calibration on a 16-core
    device machine may take them all."""
    from core.recognition import runtime

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    runtime.default_threads = lambda: cores


def finish(photos: Path, folder: Path, fusion: bool = False, progress: bool = True) -> dict:
    """Export folder's weights to ONNX (checked against torch), fit the operating point on the tune dogs of the
    folder-per-dog set `photos`, and report on its test dogs (folder/eval_test.json). Returns the report."""
    from core.recognition.calibration import calibrate_learned
    from core.recognition.data import list_dogs
    from core.recognition.evaluate import evaluate
    from core.recognition.learned import LearnedEngine
    from core.recognition.training.export import export_checked, sample_photos

    use_all_cores()
    export_checked(folder, sample_photos(photos))
    print("fitting the operating point on the tune dogs ...", flush=True)
    calibrate_learned(photos, folder=folder, try_fusion=fusion, progress=progress)
    if not list_dogs(photos, "test"):
        return {}
    report = evaluate(photos, LearnedEngine(folder), enroll=5, split="test", progress=progress)
    (folder / "eval_test.json").write_text(json.dumps(report, indent=1))
    return report


def run(pack_path: str | Path, out: str | Path, recipe: str = "v2", budget_minutes: float = 5.0,
        from_stage: str | None = None, init_from: str | Path | None = None, arch: str | None = None,
        frozen_blocks: int | None = None, device: str = "auto", batch: int = 64, bf16: bool | None = None,
        calibrate: bool = True, fusion: bool = False, seed: int = 0, progress: bool = True) -> dict:
    """Train `recipe` (from `from_stage`, warm-started from `init_from`) on the pack's training dogs in
    `budget_minutes` of training steps, then finish. Writes out/<stage>/..., out/photos/ and out/report.json;
    returns the report."""
    t0 = time.time()
    timings: dict[str, float] = {}
    dev = pick_device(device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    stages = stages_of(recipe, from_stage, arch, frozen_blocks)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pack = read_pack(pack_path)
    train_set = OnDevice(pack, "train", dev)
    tune_set = OnDevice(pack, "tune", dev)
    if len(train_set.ids) < 2 or len(tune_set.ids) < 2:
        raise ValueError(f"{pack_path}: training needs at least 2 'train' and 2 'tune' dogs; "
                         f"found {len(train_set.ids)} and {len(tune_set.ids)}")
    timings["load_s"] = time.time() - t0
    print(f"pack {pack_path}: {len(pack)} photos of {pack.meta['dogs']} dogs; train {len(train_set)} photos of "
          f"{len(train_set.ids)} dogs, tune {len(tune_set)}, on {dev} ({timings['load_s']:.0f}s)", flush=True)
    total = sum(s.minutes for s in stages)
    prev = Path(init_from) if init_from else None
    done = []
    for stage in stages:
        t1 = time.time()
        minutes = budget_minutes * stage.minutes / total
        final = train_stage(train_set, tune_set, out / stage.name, stage, minutes, dev, init_from=prev, batch=batch,
                            bf16=bf16, seed=seed, progress=progress)
        hist = [json.loads(line) for line in (out / stage.name / "log.jsonl").read_text().splitlines()]
        done.append({"stage": asdict(stage), "minutes": minutes, "epochs": len(hist),
                     "steps_per_s": _steps_per_s(hist, len(train_set), batch), "last": hist[-1] if hist else None,
                     "wall_s": time.time() - t1})
        print(f"{stage.name}: {len(hist)} epochs in {minutes:.2f} min of steps, last {hist[-1] if hist else None}",
              flush=True)
        prev = final
    timings["train_s"] = time.time() - t0 - timings["load_s"]
    del train_set, tune_set
    if dev.type == "cuda":
        torch.cuda.empty_cache()
    report: dict = {"pack": pack.meta, "device": _device_name(dev), "recipe": recipe, "budget_minutes": budget_minutes,
                    "stages": done, "weights": str(prev), "timings": timings}
    (out / "report.json").write_text(json.dumps(report, indent=1))
    if calibrate:
        t2 = time.time()
        photos = pack.unpack(out / "photos")
        report["test"] = finish(photos, prev.parent, fusion=fusion, progress=progress)
        cfg = json.loads((prev.parent / "nose_embed_v1.json").read_text())
        report["tune"] = {k: cfg.get(k) for k in ("input_size", "tta_flip", "match_threshold", "fusion")}
        report["tune"]["plain"] = cfg.get("tuning_report", {}).get("plain")
        timings["finish_s"] = time.time() - t2
    timings["total_s"] = time.time() - t0
    (out / "report.json").write_text(json.dumps(report, indent=1))
    return report


def _steps_per_s(hist: list[dict], n: int, batch: int) -> float | None:
    if not hist or not hist[-1]["elapsed_min"]:
        return None
    return round(len(hist) * (n // min(batch, n)) / (hist[-1]["elapsed_min"] * 60), 2)


def _device_name(dev: torch.device) -> str:
    return torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"


def collect(out: Path, dest: Path, limit: int = 16 * 2 ** 20, max_files: int = 8) -> list[str]:
    """Copy what comes back from the device machine into dest (at most max_files files, each under `limit`): the last
    stage's weights, its ONNX file (when small enough: a larger backbone's is re-exported here from the .pt), JSON,
    whitening, the test report, every stage's log and report.json. Returns the names copied."""
    report = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else {}
    folder = Path(report["weights"]).parent if report.get("weights") else None
    wanted: list[Path] = [out / "report.json"]
    if folder is not None:
        cfg = json.loads((folder / "nose_embed_v1.json").read_text()) if (folder / "nose_embed_v1.json").exists() \
            else {}
        whitening = (cfg.get("whitening") or {}).get("file")
        wanted += [folder / n for n in (WEIGHTS_PT, "nose_embed_v1.onnx", "nose_embed_v1.json", "eval_test.json")]
        if whitening:
            wanted.append(folder / whitening)
    dest.mkdir(parents=True, exist_ok=True)
    logs = sorted(out.glob("*/log.jsonl"))
    if logs:  # every stage's log in one file
        (dest / "train_log.jsonl").write_text("".join(p.read_text() for p in logs))
    copied = ["train_log.jsonl"] if logs else []
    for p in wanted:
        if p.exists() and p.stat().st_size < limit and len(copied) < max_files:
            shutil.copy(p, dest / p.name)
            copied.append(p.name)
    return copied


def finish_here(argv: list[str]) -> None:
    """`device_run finish FOLDER --data DIR [--install]`: back from the device, the returned weights calibrated on
    the original photos with RootSIFT fusion and reported on their test dogs (recipes.finish), optionally installed."""
    from core.recognition.training.recipes import finish as finish_recipe

    ap = argparse.ArgumentParser(prog="device_run finish", description=finish_here.__doc__)
    ap.add_argument("folder", help="what the device call brought back (nose_embed_v1.pt at least)")
    ap.add_argument("--data", required=True, help="the folder-per-dog set the pack was made of")
    ap.add_argument("--install", action="store_true", help="then install into resources/models")
    a = ap.parse_args(argv)
    finish_recipe(a.data, Path(a.folder), install=a.install)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["finish"]:
        finish_here(argv[1:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pack")
    ap.add_argument("--out", default="runs/device")
    ap.add_argument("--recipe", default="v2", choices=list(RECIPES))
    ap.add_argument("--budget-minutes", type=float, default=5.0, help="training steps of every stage together")
    ap.add_argument("--from-stage", default=None, help="start at this stage of the recipe (with --init-from)")
    ap.add_argument("--init-from", default=None, help="warm start the first stage from these embedding weights")
    ap.add_argument("--arch", default=None, choices=ARCHS, help="every stage on this backbone")
    ap.add_argument("--frozen-blocks", type=int, default=None, help="every stage with this many blocks frozen")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--no-calibrate", action="store_true", help="train and export only")
    ap.add_argument("--fusion", action="store_true", help="also fit RootSIFT re-ranking (minutes of CPU)")
    ap.add_argument("--collect", default=None, help="then copy what comes back into this folder ($OUT)")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    try:
        report = run(a.pack, a.out, recipe=a.recipe, budget_minutes=a.budget_minutes, from_stage=a.from_stage,
                     init_from=a.init_from, arch=a.arch, frozen_blocks=a.frozen_blocks, device=a.device,
                     batch=a.batch, calibrate=not a.no_calibrate, fusion=a.fusion, progress=not a.no_progress)
    except (ValueError, OSError) as exc:  # a bad option or pack, a missing file
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        if a.collect:
            print("collected:", ", ".join(collect(Path(a.out), Path(a.collect))), flush=True)
    summary = {k: report.get(k) for k in ("device", "timings", "tune")}
    summary["test"] = {k: report.get("test", {}).get(k) for k in ("closed_set", "verification")}
    print(json.dumps(summary, indent=1), flush=True)


if __name__ == "__main__":
    main()
