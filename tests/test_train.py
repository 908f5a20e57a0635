"""`savepets train`: the shipped recipes on a small folder-per-dog set (links to real photos), cut in pieces and
resumed, ending with the operating point fitted on the tune dogs and a report on the test dogs; v2 with the weights
trained again on every dog; the device and recipe refused with a clear message."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from core.recognition.data import list_dogs, split_of

pytestmark = pytest.mark.train  # needs PyTorch: scripts/test_train.sh


def _small_set(nose_data, root, per_split: dict | None = None):
    """Symlinks (nothing copied) to a few real dogs of each split, dogs with >= 6 photos."""
    want = dict(per_split or {"train": 6, "tune": 4, "test": 3})
    for dog, photos in list_dogs(nose_data).items():
        split = split_of(dog)
        if want.get(split, 0) and len(photos) >= 6:
            (root / dog).mkdir(parents=True)
            for p in photos:
                (root / dog / p.name).symlink_to(p)
            want[split] -= 1
    assert not any(want.values())
    return root


def test_train_in_pieces_then_calibrate_and_report(nose_data, tmp_path, capsys):
    import torch

    from core.recognition.training.recipes import RECIPES, run_recipe

    data = _small_set(nose_data, tmp_path / "dogs")
    out = tmp_path / "run"
    # a piece of one epoch of a long schedule: a checkpoint, no final weights
    assert run_recipe(str(data), out=str(out), budget_minutes=30, max_minutes=0.001) is None
    first = [json.loads(line) for line in (out / "stage1" / "log.jsonl").read_text().splitlines()]
    assert first and (out / "stage1" / "last.pt").exists() and not (out / "stage1" / "nose_embed_v1.pt").exists()

    # the same run resumed (here with a shorter schedule, so that the test ends soon)
    final = run_recipe(str(data), out=str(out), budget_minutes=0.5)
    log = [json.loads(line) for line in (out / "stage1" / "log.jsonl").read_text().splitlines()]
    assert log[0] == first[0] and [r["epoch"] for r in log] == list(range(1, len(log) + 1))  # resumed, not redone
    assert final == out / RECIPES["v1"][-1].name / "nose_embed_v1.pt"
    assert (final.parent / "nose_embed_v1.onnx").exists()  # what the product runs, checked against torch
    meta = torch.load(final, weights_only=False)["meta"]
    assert meta["recipe"]["init_from"] == str(out / "stage1" / "nose_embed_v1.pt")
    cfg = json.loads((final.parent / "nose_embed_v1.json").read_text())
    assert 0 < cfg["match_threshold"] < 1.5 and "agreement_threshold" in cfg and cfg["calibration"]["x"]
    # the whitening was fitted on the training dogs and tried on the tune dogs; kept only with its file
    tried = cfg["tuning_report"]["whitening"]
    assert set(tried) == {"none", "0.1", "0.3", "0.5"}
    assert not cfg.get("whitening") or (final.parent / cfg["whitening"]["file"]).exists()
    report = json.loads((final.parent / "eval_test.json").read_text())
    assert report["split"] == "test" and report["dogs"] == 3 and 0 <= report["closed_set"]["rank1"] <= 1
    assert "auc" in report["verification"] and report["enroll5"]["probes"] >= 3
    assert '"closed_set"' in capsys.readouterr().out  # the report is printed at the end


def test_train_refuses_a_folder_without_tune_dogs(nose_data, tmp_path):
    from kiosk.cli import app

    data = _small_set(nose_data, tmp_path / "dogs", {"train": 3, "tune": 0, "test": 0})
    res = CliRunner().invoke(app, ["train", str(data), "--out", str(tmp_path / "run")])
    assert res.exit_code == 2 and "2 'tune' dogs" in res.output and not (tmp_path / "run").exists()


def test_train_without_pytorch_says_which_extra_to_install(nose_data, tmp_path, monkeypatch):
    import sys

    from kiosk.cli import app

    monkeypatch.setitem(sys.modules, "torch", None)  # as on an install without the train extra
    for name in ("recipes", "train", "model", "batches"):
        monkeypatch.delitem(sys.modules, f"core.recognition.training.{name}", raising=False)
    data = _small_set(nose_data, tmp_path / "dogs", {"train": 2, "tune": 2, "test": 0})
    res = CliRunner().invoke(app, ["train", str(data), "--out", str(tmp_path / "run")])
    said = " ".join(res.output.split())  # as printed, wrapped at the terminal's width
    assert res.exit_code == 2 and "pip install -e '.[train]'" in said and not (tmp_path / "run").exists()


def test_v2_trains_again_on_every_dog_with_the_split_runs_operating_point(nose_data, tmp_path):
    import torch

    from core.recognition.learned import LearnedEngine
    from core.recognition.training.recipes import ALL_DOGS, RECIPES, run_recipe

    data = _small_set(nose_data, tmp_path / "dogs")
    out = tmp_path / "run"
    final = run_recipe(str(data), out=str(out), recipe="v2", budget_minutes=0.5, all_dogs=True, progress=False)
    assert final == out / ALL_DOGS / "nose_embed_v1.pt"
    last = RECIPES["v2"][-1]
    split_meta = torch.load(out / last.name / "nose_embed_v1.pt", weights_only=False)["meta"]
    meta = torch.load(final, weights_only=False)["meta"]
    # the split run of the last stage and its all-dogs twin: the same stage, the same warm start
    assert split_meta["recipe"]["dogs"] == "train" and meta["recipe"]["dogs"] == "all"
    assert meta["recipe"]["init_from"] == split_meta["recipe"]["init_from"] == str(out / "stage2" / "nose_embed_v1.pt")
    assert meta["recipe"]["augmentation"] == "nose" and meta["recipe"]["ema"] == last.ema > 0
    trained = [json.loads(line) for line in (out / ALL_DOGS / "log.jsonl").read_text().splitlines()]
    assert trained and all(r["tune"]["rank1"] == -1.0 for r in trained)  # no tune check: the tune dogs are trained on
    assert (out / last.name / "eval_test.json").exists()  # the recipe's figures come from the split run
    split_cfg = json.loads((out / last.name / "nose_embed_v1.json").read_text())
    cfg = json.loads((out / ALL_DOGS / "nose_embed_v1.json").read_text())
    assert cfg["match_threshold"] == split_cfg["match_threshold"] and "split run" in cfg["fitted_on"]
    if split_cfg.get("whitening"):  # re-fitted for these weights, on every dog
        assert "every dog (13 dogs" in cfg["whitening"]["fitted_on"]
        assert (out / ALL_DOGS / cfg["whitening"]["file"]).exists()
    assert LearnedEngine(out / ALL_DOGS).version != LearnedEngine(out / last.name).version


def test_train_refuses_an_unknown_recipe_and_a_gpu_it_does_not_have(nose_data, tmp_path):
    import torch

    from kiosk.cli import app

    data = _small_set(nose_data, tmp_path / "dogs", {"train": 2, "tune": 2, "test": 0})
    res = CliRunner().invoke(app, ["train", str(data), "--recipe", "v9", "--out", str(tmp_path / "run")])
    assert res.exit_code == 2 and "unknown recipe 'v9'" in res.output and not (tmp_path / "run").exists()
    if not torch.cuda.is_available():
        res = CliRunner().invoke(app, ["train", str(data), "--device", "cuda", "--out", str(tmp_path / "run")])
        said = " ".join(res.output.split())
        assert res.exit_code == 2 and "torch sees no GPU" in said and not (tmp_path / "run").exists()


def test_a_stage_trains_the_gpu_way_on_the_cpu_and_resumes_its_moving_average(nose_data, tmp_path):
    """What --device cuda changes, short of the GPU itself: augmentation in worker processes and bf16 autocast
    (torch's CPU autocast runs the same code path), with the EMA checkpointed and resumed."""
    import torch

    from core.recognition.training.train import train

    data = _small_set(nose_data, tmp_path / "dogs", {"train": 4, "tune": 2, "test": 0})
    out = tmp_path / "stage"
    # a budget that one epoch cannot use up even on a loaded 2-core machine (the first piece must stop unfinished)
    kw = dict(out=out, budget_minutes=1.0, batch=8, res_schedule="0:64", eval_res=64, augmentation="nose",
              ema=0.9, workers=2, bf16=True, progress=False)
    assert not train(str(data), max_minutes=0.001, **kw).exists()  # one epoch, then the piece ends
    first = torch.load(out / "last.pt", weights_only=False)
    assert first["ema"] is not None and first["state"]["epoch"] == 1
    final = train(str(data), **kw)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == list(range(1, len(log) + 1)) and len(log) >= 2
    meta = torch.load(final, weights_only=False)["meta"]
    assert meta["recipe"]["bf16"] is True and meta["recipe"]["ema"] == 0.9
    # what is exported is the moving average, not the last step's weights (fc: trained, unlike the frozen stem)
    last = torch.load(out / "last.pt", weights_only=False)
    averaged = last["ema"]["module.fc.weight"]
    exported = torch.load(final, weights_only=False)["state_dict"]["fc.weight"]
    assert torch.allclose(exported.float(), averaged.float(), atol=1e-3)
    assert not torch.allclose(averaged, last["model"]["fc.weight"], atol=1e-4)
