"""Fine-tune the nose embedding (EfficientNet-Lite + GeM + 256-d) with a sub-center ArcFace loss: one stage.

    savepets train DATA_DIR [--recipe v2] [--device cuda] [--max-minutes 30] [--install]   (recipes.RECIPES)
    python -m core.recognition.training.train DATA_DIR --out runs/x --budget-minutes 58 [--init-from W.pt]  (one stage)

DATA_DIR is a folder per dog (any ids); the training dogs are those of split 'train' (see data.split_of), the
'tune' dogs are evaluated after every epoch. The whole schedule (learning rate, input resolution) is a function
of the fraction of --budget-minutes of training time spent, so a run can be stopped (--max-minutes, Ctrl-C) and
resumed (same command) and still ends annealed. A checkpoint is written after every epoch; at the end the
embedding network is saved (fp16 state dict, a few MB) to OUT/nose_embed_v1.pt and exported to ONNX (what the
product runs, checked against torch); `--install` fits the operating threshold / calibration on the tune dogs (see
finish.finish, calibration.calibrate_learned) and copies both to resources/models/.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from core.recognition.data import list_dogs, read_bgr
from core.recognition.preprocess import to_square
from core.recognition.training.augment import CACHE_SIDE, STRENGTHS
from core.recognition.training.batches import EpochViews, augment_workers, epoch_loader, to_network
from core.recognition.training.finish import finish
from core.recognition.training.model import ARCHS, NoseNet, preprocess


class SubCenterArcFace(nn.Module):
    """Sub-center ArcFace (Deng et al. 2020): k centres per class, the closest counts; additive angular margin."""

    def __init__(self, dim: int, classes: int, k: int = 3, margin: float = 0.4, scale: float = 30.0):
        super().__init__()
        self.k, self.classes, self.margin, self.scale = k, classes, margin, scale
        self.weight = nn.Parameter(torch.empty(classes * k, dim))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, emb: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        cos = F.linear(F.normalize(emb), F.normalize(self.weight))
        cos = cos.view(-1, self.classes, self.k).max(dim=2).values.clamp(-1 + 1e-7, 1 - 1e-7)
        theta = torch.acos(cos)
        target = torch.cos(theta + self.margin)
        # keep the target logit monotonic past pi - m (the usual easy-margin fallback)
        target = torch.where(theta + self.margin < math.pi, target, cos - self.margin * math.sin(self.margin))
        onehot = F.one_hot(labels, self.classes).bool()
        return self.scale * torch.where(onehot, target, cos)


def load_cache(dogs: dict[str, list[Path]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    ids = sorted(dogs)
    n = sum(len(v) for v in dogs.values())
    images = np.empty((n, CACHE_SIDE, CACHE_SIDE, 3), np.uint8)
    labels = np.empty(n, np.int64)
    i = 0
    for label, dog in enumerate(ids):
        for path in dogs[dog]:
            img = to_square(read_bgr(path)[:, :, ::-1])
            images[i] = cv2.resize(img, (CACHE_SIDE, CACHE_SIDE), interpolation=cv2.INTER_LINEAR)
            labels[i] = label
            i += 1
    return images, labels, ids


# ---------------------------------------------------------------------------------------------- schedule
def resolution_at(frac: float, schedule: list[tuple[float, int]]) -> int:
    res = schedule[0][1]
    for start, r in schedule:
        if frac >= start:
            res = r
    return res


def lr_factor(frac: float, warmup: float = 0.03) -> float:
    if frac < warmup:
        return 0.1 + 0.9 * frac / warmup
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (frac - warmup) / (1 - warmup)))) * 0.99 + 0.01


# ---------------------------------------------------------------------------------------------- quick tune eval
def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def embed_paths(model: NoseNet, paths: list[Path], res: int, batch: int = 64) -> np.ndarray:
    model.eval()
    out = []
    for i in range(0, len(paths), batch):
        x = preprocess([read_bgr(p) for p in paths[i: i + batch]], res)
        out.append(F.normalize(model(x.to(_device(model)))).cpu().numpy())
    return np.concatenate(out).astype(np.float32)


def quick_eval(model: NoseNet, dogs: dict[str, list[Path]], res: int) -> dict[str, float]:
    """Closed set, all-but-last enrollment (dogs with >= 3 photos; the others only enroll), rank-1, and
    TAR at FAR 1e-3 over all pairs of the set."""
    paths, owner = [], []
    for d, ps in dogs.items():
        paths += ps
        owner += [d] * len(ps)
    emb = embed_paths(model, paths, res)
    owner_arr = np.array(owner)
    probe = np.zeros(len(paths), bool)
    k = 0
    for _d, ps in dogs.items():
        if len(ps) >= 3:
            probe[k + len(ps) - 1] = True
        k += len(ps)
    sims = emb[probe] @ emb[~probe].T
    g_owner = owner_arr[~probe]
    hits = 0
    for i, row in enumerate(sims):
        hits += g_owner[int(row.argmax())] == owner_arr[probe][i]
    all_s = emb @ emb.T
    iu = np.triu_indices(len(paths), 1)
    same = (owner_arr[:, None] == owner_arr[None, :])[iu]
    s = all_s[iu]
    imp = np.sort(s[~same])[::-1]
    thr = imp[max(0, int(len(imp) * 1e-3) - 1)]
    return {"rank1": float(hits / max(1, probe.sum())), "tar@1e-3": float((s[same] > thr).mean())}


# ---------------------------------------------------------------------------------------------- main
def warm_start(model: NoseNet, head: SubCenterArcFace, weights: Path, images: np.ndarray, labels: np.ndarray,
               res: int, batch: int = 128) -> None:
    """Start from exported embedding weights (a shipped nose_embed_v1.pt) instead of ImageNet: load them, then put
    every sub-center of each training dog at that dog's mean embedding (plus a little noise, so the k sub-centers
    can separate), so the new ArcFace head starts where the network already is instead of at random."""
    blob = torch.load(weights, map_location="cpu", weights_only=False)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()})
    model.eval()
    sums = torch.zeros(head.classes, head.weight.shape[1])
    with torch.no_grad():
        for i in range(0, len(labels), batch):
            views = np.stack([cv2.resize(im, (res, res), interpolation=cv2.INTER_AREA) for im in images[i: i + batch]])
            e = F.normalize(model(to_network(torch.from_numpy(views), _device(model)))).cpu()
            sums.index_add_(0, torch.from_numpy(labels[i: i + batch]), e)
        centres = F.normalize(sums).repeat_interleave(head.k, dim=0)
        head.weight.copy_(F.normalize(centres + 0.01 * torch.randn_like(centres)))


def train_step(model: NoseNet, head: SubCenterArcFace, crit, opt, averaged, autocast, x: torch.Tensor,
               y: torch.Tensor, frac: float) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimiser step at `frac` of the budget (the learning rate of the schedule there): forward under
    `autocast`, the margin loss, clipped gradients, and the moving average (`averaged`, or None) updated. Returns the
    loss (detached) and the logits, left on the device: the caller decides when to wait for them."""
    for g in opt.param_groups:
        g["lr"] = g["base"] * lr_factor(frac)
    with autocast:
        emb = model(x)
    logits = head(emb.float(), y)
    loss = crit(logits, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    if averaged is not None:
        averaged.update_parameters(model)
    return loss.detach(), logits


def export(model: NoseNet, path: Path, meta: dict) -> None:
    state = {k: (v.half() if v.is_floating_point() else v).cpu() for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "meta": meta}, path)


def pick_device(name: str = "auto") -> torch.device:
    """auto: the GPU when torch sees one, else the CPU. cuda without a GPU is an error, not a silent CPU run."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda: torch sees no GPU here (torch.cuda.is_available() is False); "
                         "use --device cpu, or install a CUDA build of torch on the GPU machine")
    return torch.device(name)


def train(data_dir: str | Path, out: str | Path = "runs/nose_v1", budget_minutes: float = 58.0,
          max_minutes: float | None = None, batch: int = 64, dim: int = 256, frozen_blocks: int = 3,
          lr: float = 4e-4, head_lr_mult: float = 10.0, weight_decay: float = 0.02, margin: float = 0.4,
          scale: float = 30.0, subcenters: int = 3, label_smoothing: float = 0.1,
          res_schedule: str = "0:112,0.35:128,0.65:160", eval_res: int = 160, seed: int = 0,
          install: bool = False, threads: int = 2, progress: bool = True, init_from: str | Path | None = None,
          arch: str = "lite0", augmentation: str = "mild", ema: float = 0.0, device: str = "auto",
          dogs: str = "train", tune_every: int | None = None, workers: int | None = None,
          bf16: bool | None = None) -> Path:
    """Train (or resume) and export. Returns the path of the exported embedding weights.

    dogs: "train" (the training split; the tune dogs are checked after each epoch) or "all" (every dog of the set,
    for shipped weights once the recipe is chosen; no tune check, the tune dogs are trained on). ema: the decay of
    an exponential moving average of the weights (0: none); the average is what is checked and exported. workers
    (augmentation processes) and bf16 (autocast) default to what suits the device: none and off on a CPU, all but two
    cores and on with a GPU."""
    dev = pick_device(device)
    if tune_every is None:  # on a GPU an epoch takes seconds, less than the check of the tune dogs
        tune_every = 1 if dev.type == "cpu" else 10
    if dev.type == "cpu":
        torch.set_num_threads(threads)
    else:
        torch.backends.cudnn.benchmark = True
    cv2.setNumThreads(1)
    torch.manual_seed(seed)
    if dogs not in ("train", "all"):
        raise ValueError(f"dogs must be 'train' or 'all', not {dogs!r}")
    train_dogs = list_dogs(data_dir, dogs)
    tune_dogs = list_dogs(data_dir, "tune") if dogs == "train" else {}
    if len(train_dogs) < 2 or (dogs == "train" and len(tune_dogs) < 2):
        raise ValueError(f"{data_dir}: training needs at least 2 'train' dogs and 2 'tune' dogs (ids ending in 5), "
                         f"one folder per dog; found {len(train_dogs)} and {len(tune_dogs)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    schedule = [(float(a), int(b)) for a, b in (x.split(":") for x in res_schedule.split(","))]
    log = open(out / "log.jsonl", "a")

    t0 = time.time()
    images, labels, ids = load_cache(train_dogs)
    batch = min(batch, len(labels))
    print(f"train: {len(ids)} dogs ({dogs}), {len(labels)} photos (cached in {time.time() - t0:.0f}s); "
          f"tune: {len(tune_dogs)} dogs; {arch} on {dev}", flush=True)

    model = NoseNet(dim=dim, pretrained=True, frozen_blocks=frozen_blocks, arch=arch)
    model = model.to(dev, memory_format=torch.channels_last)
    head = SubCenterArcFace(dim, len(ids), k=subcenters, margin=margin, scale=scale).to(dev)
    for m in model.frozen_modules():
        for p in m.parameters():
            p.requires_grad_(False)
    backbone_params = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith("net.")]
    head_params = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("net.")]
    groups = [{"params": backbone_params, "lr": lr, "base": lr},
              {"params": head_params + list(head.parameters()), "lr": lr * head_lr_mult, "base": lr * head_lr_mult}]
    opt = torch.optim.AdamW(groups, weight_decay=weight_decay)

    state = {"epoch": 0, "elapsed": 0.0, "best": -1.0, "history": []}
    ckpt = out / "last.pt"
    if ckpt.exists():
        c = torch.load(ckpt, weights_only=False, map_location=dev)
        model.load_state_dict(c["model"])
        head.load_state_dict(c["head"])
        opt.load_state_dict(c["opt"])
        state = c["state"]
        print(f"resumed at epoch {state['epoch']}, {state['elapsed'] / 60:.1f} of {budget_minutes} min", flush=True)
    elif init_from:
        t1 = time.time()
        warm_start(model, head, Path(init_from), images, labels, schedule[0][1])
        print(f"warm start from {init_from} ({time.time() - t1:.0f}s)", flush=True)
    averaged = None
    if ema:
        averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(ema), use_buffers=True)
        if ckpt.exists() and c.get("ema"):
            averaged.load_state_dict(c["ema"])
    final_net = averaged.module if averaged is not None else model

    workers = augment_workers(dev) if workers is None else workers
    bf16 = dev.type == "cuda" if bf16 is None else bf16
    recipe = {"budget_minutes": budget_minutes, "batch": batch, "lr": lr, "margin": margin, "scale": scale,
              "subcenters": subcenters, "label_smoothing": label_smoothing, "res_schedule": res_schedule,
              "weight_decay": weight_decay, "init_from": str(init_from or "imagenet"), "arch": arch,
              "augmentation": augmentation, "ema": ema, "dogs": dogs, "device": dev.type,
              "bf16": bf16}

    def meta(tune: dict) -> dict:
        return {"dim": dim, "arch": arch, "input_size": eval_res, "frozen_blocks": frozen_blocks,
                "epoch": state["epoch"], "tune": tune, "recipe": recipe}

    budget = budget_minutes * 60
    piece_start = time.time()
    crit = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    autocast = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16)
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        tqdm = None

    while state["elapsed"] < budget:
        if max_minutes is not None and time.time() - piece_start > max_minutes * 60:
            print("piece time is up; run the same command again to resume", flush=True)
            break
        frac = state["elapsed"] / budget
        res = resolution_at(frac, schedule)
        model.train()
        for m in model.frozen_modules():
            m.eval()
        order = np.random.default_rng([seed, state["epoch"]]).permutation(len(labels))
        views = EpochViews(images, labels, order, batch, res, augmentation, (seed, state["epoch"]))
        bar = tqdm(epoch_loader(views, workers), total=len(views), desc=f"epoch {state['epoch'] + 1} @{res}px",
                   disable=not progress, mininterval=5, file=sys.stdout)
        tot, seen, correct = 0.0, 0, 0
        t_step = time.time()
        for x_views, y in bar:
            frac = state["elapsed"] / budget
            if frac >= 1.0:
                break
            x, y = to_network(x_views, dev), y.to(dev, non_blocking=True)
            loss, logits = train_step(model, head, crit, opt, averaged, autocast, x, y, frac)
            tot += loss.item() * len(y)
            seen += len(y)
            correct += int((logits.argmax(1) == y).sum())
            now = time.time()
            state["elapsed"] += now - t_step  # the time of the step, waiting for its batch included
            t_step = now
            bar.set_postfix(loss=f"{tot / seen:.3f}", acc=f"{correct / seen:.2f}",
                            lr=f"{opt.param_groups[0]['lr']:.1e}", used=f"{state['elapsed'] / 60:.1f}m")
        bar.close()
        state["epoch"] += 1
        t_ev = time.time()
        last = state["elapsed"] >= budget
        # the tune check costs ~40 s on 2 cores: skip it in the first 40 % of the schedule
        check = tune_dogs and (last or (frac >= 0.4 and state["epoch"] % tune_every == 0))
        ev = quick_eval(final_net, tune_dogs, eval_res) if check else {"rank1": -1.0, "tar@1e-3": -1.0}
        rec = {"epoch": state["epoch"], "res": res, "loss": tot / max(1, seen), "train_acc": correct / max(1, seen),
               "elapsed_min": state["elapsed"] / 60, "tune": ev, "eval_s": time.time() - t_ev}
        state["history"].append(rec)
        print(json.dumps(rec), flush=True)
        log.write(json.dumps(rec) + "\n")
        log.flush()
        if ev["rank1"] > state["best"]:
            state["best"] = ev["rank1"]
            export(final_net, out / "best_embed.pt", meta(ev))
        torch.save({"model": model.state_dict(), "head": head.state_dict(), "opt": opt.state_dict(),
                    "ema": averaged.state_dict() if averaged is not None else None, "state": state},
                   out / "last.pt.tmp")
        (out / "last.pt.tmp").replace(ckpt)

    final = out / "nose_embed_v1.pt"
    if state["elapsed"] >= budget:
        export(final_net, final, meta(state["history"][-1]["tune"] if state["history"] else {}))
        print(f"done: {final}", flush=True)
        if install:
            finish(data_dir, out, install=True, progress=progress)
    return final


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("--out", default="runs/nose_v1")
    ap.add_argument("--budget-minutes", type=float, default=58.0, help="total training time of the schedule")
    ap.add_argument("--max-minutes", type=float, default=None, help="stop this piece after about this long")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--frozen-blocks", type=int, default=3)
    ap.add_argument("--lr", type=float, default=4e-4)
    ap.add_argument("--margin", type=float, default=0.4)
    ap.add_argument("--scale", type=float, default=30.0)
    ap.add_argument("--subcenters", type=int, default=3)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--res-schedule", default="0:112,0.35:128,0.65:160")
    ap.add_argument("--eval-res", type=int, default=160)
    ap.add_argument("--init-from", default=None,
                    help="start from these exported embedding weights (e.g. resources/models/nose_embed_v1.pt)")
    ap.add_argument("--head-lr-mult", type=float, default=10.0)
    ap.add_argument("--weight-decay", type=float, default=0.02)
    ap.add_argument("--install", action="store_true", help="copy to resources/models and calibrate on tune dogs")
    ap.add_argument("--arch", default="lite0", choices=ARCHS, help="EfficientNet-Lite backbone")
    ap.add_argument("--augmentation", default="mild", choices=STRENGTHS)
    ap.add_argument("--ema", type=float, default=0.0, help="decay of a moving average of the weights (0: none)")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda")
    ap.add_argument("--dogs", default="train", choices=("train", "all"), help="train on the training split or all")
    ap.add_argument("--tune-every", type=int, default=None,
                    help="check the tune dogs every N epochs (default: 1 on a CPU, 10 on a GPU)")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    train(a.data_dir, out=a.out, budget_minutes=a.budget_minutes, max_minutes=a.max_minutes, batch=a.batch,
          dim=a.dim, frozen_blocks=a.frozen_blocks, lr=a.lr, margin=a.margin, scale=a.scale,
          subcenters=a.subcenters, label_smoothing=a.label_smoothing, res_schedule=a.res_schedule,
          eval_res=a.eval_res, install=a.install, progress=not a.no_progress, init_from=a.init_from,
          head_lr_mult=a.head_lr_mult, weight_decay=a.weight_decay, arch=a.arch, augmentation=a.augmentation,
          ema=a.ema, device=a.device, dogs=a.dogs, tune_every=a.tune_every)


if __name__ == "__main__":
    main()
