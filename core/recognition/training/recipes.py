"""The shipped training recipes, run stage by stage (`savepets train DIR [--recipe v2] [--device cuda]`).

A recipe is a list of stages, each warm-started from the one before; a stage's budget is minutes of training
steps, so a CPU run can be cut in pieces (--max-minutes, then the same command again) and a GPU runs more epochs
in the same minutes. After the last stage the weights are exported to ONNX, calibrated on the tune dogs and
reported on the test dogs (finish). With all_dogs the last stage is then trained once more on every dog of the
set (the shipped weights learn from 25 % more dogs) and takes the operating point of the split run (finish_all_dogs).

Imports go one way: recipes -> train (one stage) -> finish (export, calibrate, report, install), never back
(an import-linter contract in pyproject.toml holds it).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from core.recognition.learned import CONFIG, TORCH_WEIGHTS
from core.recognition.training.finish import finish, finish_all_dogs, install_folder
from core.recognition.training.train import train

__all__ = ["ALL_DOGS", "DEFAULT_RECIPE", "RECIPES", "Stage", "finish", "finish_all_dogs", "install_folder",
           "recipe_minutes", "run_recipe"]


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
