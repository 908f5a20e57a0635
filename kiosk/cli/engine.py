"""`savepets eval` and `savepets train` (run, pack, device): measure and fine-tune the recognition engine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from kiosk.cli.common import (
    app,
    errors_to_exit,
    fail,
)


class _TrainModes(TyperGroup):
    """`savepets train FOLDER ...` runs a recipe (the mode `run`, as before); `pack` and `device` are its other
    modes."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


train_app = typer.Typer(cls=_TrainModes, no_args_is_help=True, help=(
    "Fine-tune the nose embedding: `savepets train FOLDER` runs a recipe (the mode run); `train pack` packs a "
    "photo set for a GPU machine, `train device` trains from a pack there. Needs the training extra (PyTorch) but "
    "for pack."))
app.add_typer(train_app, name="train")


@app.command("eval")
def eval_cmd(
    folder: Annotated[Path, typer.Argument(help="A folder per dog, each holding that dog's nose photos",
                                           exists=True, file_okay=False)],
    enroll: Annotated[int | None, typer.Option("--enroll", help="Also: enroll N photos, probe with the rest")] = None,
    split: Annotated[str, typer.Option("--split", help="all | train | tune | test (by dog id)")] = "all",
    engine: Annotated[str, typer.Option(help="Recognition engine: auto, learned, classical, standin")] = "auto",
    output: Annotated[Path | None, typer.Option("--out", help="Also write the JSON result here")] = None,
    distractors: Annotated[Path | None, typer.Option(
        "--distractors", help="Also register every dog of this folder-per-dog set (up to 5 photos each, never probed; "
                              "dogs named as evaluated ones are skipped) and report the decisions at that registry "
                              "size ('scale')", exists=True, file_okay=False)] = None,
    distractors_max: Annotated[int | None, typer.Option("--distractors-max", min=0,
                                                        help="At most this many distractor dogs")] = None,
    lost: Annotated[int | None, typer.Option(
        "--lost", min=1, help="With --distractors: N of the enrolled dogs are reported lost, their other photos and "
                              "the strangers come in as found dogs, searched among the lost dogs first "
                              "('scale.lost_first')")] = None,
) -> None:
    """Measure the recognition engine on a photo set: rank-1/5, ROC AUC, EER, TAR@FAR, open set, latency, and with
    --distractors the decisions at registry scale (with --lost N: found dogs searched among N lost dogs first)."""
    import importlib.util

    missing = [m for m in ("sklearn", "scipy") if importlib.util.find_spec(m) is None]
    if missing:  # the desktop bundle leaves the fitting and evaluation libraries out
        fail(f"savepets eval needs {', '.join(missing)}, which this install leaves out (the desktop bundle does): "
             "run it from the Python install (bash scripts/setup.sh; .venv/bin/savepets eval ...).")
    if lost and distractors is None:
        fail("--lost needs --distractors DIR2: the lost dogs are searched beside a whole registry.")
    from core.recognition.evaluate import eval_command

    eval_command(str(folder), engine=engine, enroll=enroll, split=split, out=str(output) if output else None,
                 distractors=str(distractors) if distractors else None, distractors_max=distractors_max, lost=lost)


@train_app.command("run")
def train_cmd(
    folder: Annotated[Path, typer.Argument(help="A folder per dog (FOLDER/<dog id>/<photo>): dogs whose id ends in "
                                                "5 tune the thresholds, in 0 are held out for the report, the rest "
                                                "train", exists=True, file_okay=False)],
    out_dir: Annotated[Path, typer.Option("--out", help="Run folder (checkpoints; resumes)")] = Path("runs/nose"),
    recipe: Annotated[str, typer.Option(help="Training recipe: v1 (the shipped weights) or v2 (v1, then nose-specific "
                                             "augmentation and a moving average of the weights)")] = "v1",
    device: Annotated[str, typer.Option(help="auto (a GPU if torch sees one), cpu or cuda")] = "auto",
    budget_minutes: Annotated[float | None, typer.Option(help="Total training time of the recipe's stages "
                                                              "(default: its 2-core CPU minutes; about 10 on a "
                                                              "GPU)")] = None,
    max_minutes: Annotated[float | None, typer.Option(help="Stop this piece after about this long")] = None,
    all_dogs: Annotated[bool, typer.Option(help="Then train the last stage again on every dog, for the weights "
                                                "to ship (they take the split run's operating point)")] = False,
    install: Annotated[bool, typer.Option(help="Also install the result into resources/models (used from the next "
                                               "start)")] = False,
) -> None:
    """Fine-tune the nose embedding on your own photos with a shipped recipe (resumable: run it again).
    Needs the training extra (PyTorch): pip install -e '.\\[train]'."""
    try:
        from core.recognition.training.recipes import run_recipe
    except ModuleNotFoundError as exc:
        fail(f"Training needs PyTorch (missing: {exc.name}). Install the training extra: "
             "pip install -e '.[train]' (see the README's Training section for the CPU-only wheel).")
    with errors_to_exit():
        final = run_recipe(str(folder), out=str(out_dir), recipe=recipe, budget_minutes=budget_minutes,
                           max_minutes=max_minutes, install=install, device=device, all_dogs=all_dogs)
    if final is None:
        typer.echo("Stopped before the end of the schedule; run the same command again to continue.")


@train_app.command("pack")
def train_pack_cmd(
    folder: Annotated[Path, typer.Argument(help="A folder per dog (FOLDER/<dog id>/<photo>)", exists=True,
                                           file_okay=False)],
    out_file: Annotated[Path, typer.Option("--out", help="The pack (.npz); it holds the photos: keep it out of the "
                                                         "repository")],
    fmt: Annotated[str, typer.Option("--format", help="webp or jpeg")] = "webp",
    quality: Annotated[int, typer.Option(help="Encoder quality, 1-100")] = 75,
) -> None:
    """Pack a photo set for a GPU machine: each photo cropped and resized once to the training square, re-encoded,
    in one file with its dog and split (scripts/train_on_device.sh)."""
    from core.recognition.training.pack import write_pack

    with errors_to_exit():
        meta = write_pack(folder, out_file, fmt=fmt, quality=quality)
    s = meta["splits"]
    typer.echo(f"{out_file}: {meta['photos']} photos of {meta['dogs']} dogs (train {s['train']['dogs']}, tune "
               f"{s['tune']['dogs']}, test {s['test']['dogs']}), {meta['side']} px {meta['format']} {meta['quality']}, "
               f"{out_file.stat().st_size / 2 ** 20:.1f} MiB")


@train_app.command("device", add_help_option=False,
                   context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def train_device_cmd(ctx: typer.Context) -> None:
    """Train a recipe from a pack on a GPU machine in one go, then calibrate, evaluate and export (the options of
    python -m core.recognition.training.device_run --help; what scripts/train_on_device.sh runs)."""
    try:
        from core.recognition.training.device_run import main
    except ModuleNotFoundError as exc:
        fail(f"Training needs PyTorch (missing: {exc.name}). Install the training extra: pip install -e '.[train]'.")
    main(list(ctx.args))
