"""The shipped training recipes, run stage by stage (`savepets train DIR [--recipe v2] [--device cuda]`).

A recipe is a list of stages, each warm-started from the one before; a stage's budget is minutes of training
steps, so a CPU run can be cut in pieces (--max-minutes, then the same command again) and a GPU runs more epochs
in the same minutes. After the last stage the weights are exported to ONNX, calibrated on the tune dogs and
reported on the test dogs (finish). With all_dogs the last stage is then trained once more on every dog of the
set (the shipped weights learn from 25 % more dogs) and takes the operating point of the split run (finish_all_dogs).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from core.recognition.calibration import calibrate_learned
from core.recognition.data import list_dogs
from core.recognition.evaluate import evaluate
from core.recognition.learned import CONFIG, MODEL_DIR, TORCH_WEIGHTS, WEIGHTS, LearnedEngine
from core.recognition.protocols import EmbeddedSet
from core.recognition.training.export import export_checked, sample_photos
from core.recognition.training.train import train
from core.recognition.whitening import Whitening


@dataclass(frozen=True)
class Stage:
    name: str
    minutes: float  # on 2 CPU cores; a budget given to run_recipe is shared out in these proportions
    lr: float
    res_schedule: str
    eval_res: int
    frozen_blocks: int = 3
    augmentation: str = "mild"
    ema: float = 0.0
    arch: str = "lite0"


V1 = (
    Stage("stage1", 58, 4e-4, "0:112,0.35:128,0.65:160", 160),
    Stage("stage2", 95, 3e-4, "0:144,0.5:160,0.8:176", 176),
)
RECIPES: dict[str, tuple[Stage, ...]] = {
    "v1": V1,
    # v2: v1, then the nose-specific augmentation with a moving average of the weights, at the engine's 192 px
    "v2": (*V1, Stage("stage3", 50, 1e-4, "0:192", 192, augmentation="nose", ema=0.995)),
}
DEFAULT_RECIPE = "v1"
ALL_DOGS = "all_dogs"


def recipe_minutes(recipe: str, all_dogs: bool = False) -> float:
    stages = RECIPES[recipe]
    return sum(s.minutes for s in stages) + (stages[-1].minutes if all_dogs else 0)


def run_recipe(data_dir: str, out: str = "runs/nose", recipe: str = DEFAULT_RECIPE,
               budget_minutes: float | None = None, max_minutes: float | None = None, install: bool = False,
               device: str = "auto", all_dogs: bool = False, progress: bool = True) -> Path | None:
    """Train every stage of `recipe` (resuming what a previous piece left), finish, and with all_dogs train the last
    stage again on every dog. Returns the weights installed (or that would be), or None when this piece ended first.
    budget_minutes: the whole recipe's training time (default: its CPU minutes)."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}: one of {', '.join(RECIPES)}")
    stages = RECIPES[recipe]
    factor = (budget_minutes or recipe_minutes(recipe, all_dogs)) / recipe_minutes(recipe, all_dogs)
    start, prev, before_last = time.time(), None, None

    def left() -> float | None:
        return None if max_minutes is None else max_minutes - (time.time() - start) / 60

    def stage_run(stage: Stage, folder: str, init_from: Path | None, dogs: str) -> Path | None:
        remaining = left()
        if remaining is not None and remaining <= 0:
            return None
        final = train(data_dir, out=Path(out) / folder, budget_minutes=stage.minutes * factor, max_minutes=remaining,
                      lr=stage.lr, res_schedule=stage.res_schedule, eval_res=stage.eval_res, init_from=init_from,
                      frozen_blocks=stage.frozen_blocks, augmentation=stage.augmentation, ema=stage.ema,
                      arch=stage.arch, device=device, dogs=dogs, progress=progress)
        return final if final.exists() else None

    for stage in stages:
        before_last = prev
        prev = stage_run(stage, stage.name, prev, "train")
        if prev is None:
            return None
    split = prev.parent
    if not (split / CONFIG).exists():  # a resumed all-dogs run does not fit the split run again
        finish(data_dir, split, progress=progress)
    chosen = split
    if all_dogs:
        final = stage_run(stages[-1], ALL_DOGS, before_last, "all")
        if final is None:
            return None
        finish_all_dogs(data_dir, final.parent, split, progress=progress)
        chosen = final.parent
        print(f"{chosen}: trained on every dog, with the operating point of {split} (its figures, on dogs it never "
              f"saw, are {split / 'eval_test.json'})", flush=True)
    (chosen / "recipe.json").write_text(json.dumps({"recipe": recipe, "stages": [asdict(s) for s in stages],
                                                    "budget_factor": factor, "all_dogs": all_dogs}, indent=1))
    if install:
        install_folder(chosen)
    return chosen / TORCH_WEIGHTS


def finish(data_dir: str | Path, folder: Path, install: bool = False, progress: bool = True) -> dict | None:
    """After training: export the weights in `folder` to ONNX (checked against torch on real photos), fit the
    operating point on the tune dogs (nose_embed_v1.json beside them), print the evaluation report on the held-out
    test dogs (also written to folder/eval_test.json), and with install copy the ONNX file, the torch weights, the
    JSON and the whitening into resources/models. Returns the report (None without test dogs)."""
    folder = Path(folder)
    export_checked(folder, sample_photos(data_dir))
    print("fitting the operating point on the tune dogs ...", flush=True)
    calibrate_learned(data_dir, folder=folder, progress=progress)
    report = None
    if list_dogs(data_dir, "test"):
        report = evaluate(data_dir, LearnedEngine(folder), enroll=5, split="test", progress=progress)
        (folder / "eval_test.json").write_text(json.dumps(report, indent=1))
        print(json.dumps(report, indent=1), flush=True)
    else:
        print("no test dogs (ids ending in 0) in this set: no held-out report", flush=True)
    if install:
        install_folder(folder)
    return report


def finish_all_dogs(data_dir: str | Path, folder: Path, split_folder: Path, progress: bool = True) -> dict:
    """Weights trained on every dog have no unseen dog left to fit an operating point on: they take the split run's
    (same recipe, fitted on tune dogs it never saw), and the whitening is re-fitted for these weights, on every dog,
    with the split run's shrinkage. Writes folder/nose_embed_v1.json and returns it."""
    folder, split_folder = Path(folder), Path(split_folder)
    export_checked(folder, sample_photos(data_dir))
    cfg = json.loads((split_folder / CONFIG).read_text())
    cfg.pop("template_version", None)
    if cfg.get("whitening"):
        raw = LearnedEngine(folder, config={k: v for k, v in cfg.items() if k != "whitening"})
        dogs = list_dogs(data_dir, "all")
        es = EmbeddedSet(dogs, raw, progress=progress)
        w = Whitening.fit(es.emb, es.owner, cfg["whitening"]["shrinkage"])
        w.save(raw.whitening_path)
        cfg["whitening"] = {**cfg["whitening"], "file": raw.whitening_path.name,
                            "fitted_on": f"every dog ({len(dogs)} dogs, {len(es.owner)} photos)"}
    cfg["fitted_on"] = (f"{cfg.get('fitted_on', 'tune dogs')} of the split run ({split_folder.name}, the same recipe "
                        "on the training dogs); these weights were trained on every dog")
    (folder / CONFIG).write_text(json.dumps(cfg, indent=1))
    return cfg


def install_folder(folder: Path) -> None:
    """Copy the ONNX file, the torch weights, the JSON and its whitening into resources/models."""
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    whitening = (json.loads((folder / CONFIG).read_text()).get("whitening") or {}).get("file")
    for name in (WEIGHTS, TORCH_WEIGHTS, CONFIG, whitening):
        if name:
            shutil.copy(folder / name, MODEL_DIR / name)
    print(f"installed into {MODEL_DIR}", flush=True)
