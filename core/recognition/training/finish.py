"""After training, a stage's weights become what the product runs: exported to ONNX (checked against torch on real
photos), the operating point fitted on the tune dogs, the report on the held-out test dogs, and on request copied
into resources/models (install_folder). Below both train (a stage's --install) and recipes (the last stage of a
recipe): neither of those is imported here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from core.recognition.calibration import calibrate_learned
from core.recognition.data import list_dogs
from core.recognition.evaluate import evaluate
from core.recognition.learned import CONFIG, MODEL_DIR, TORCH_WEIGHTS, WEIGHTS, LearnedEngine
from core.recognition.protocols import EmbeddedSet
from core.recognition.training.export import export_checked, sample_photos
from core.recognition.whitening import Whitening


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
