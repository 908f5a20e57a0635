"""`savepets eval DIR --distractors DIR2`: the decisions a person gets, by registry size, on real photos with the
shipped engine (a small set, so that it runs in seconds)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from core.recognition.data import list_dogs
from core.recognition.scale import is_stranger
from core.recognition.scale_rule import ScaleRule
from kiosk.cli import app

SHARES = ("stranger_matched", "stranger_uncertain", "wrong_dog_matched", "wrong_dog_uncertain", "right_dog_matched",
          "right_dog_uncertain", "right_dog_in_candidates", "missed")


def _link(folder, dogs, root):
    folder.mkdir()
    for d in dogs:
        (folder / d).symlink_to(root / d, target_is_directory=True)


def test_eval_with_distractors_reports_decisions_by_registry_size(nose_data, tmp_path):
    test_dogs = [d for d, ps in list_dogs(nose_data, "test").items() if len(ps) >= 4][:12]
    others = [d for d in list_dogs(nose_data, "train")][:30]
    _link(tmp_path / "probe", test_dogs, nose_data)
    _link(tmp_path / "distr", test_dogs + others, nose_data)  # its own dogs are skipped by folder name
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "probe"), "--engine", "learned", "--distractors",
                                      str(tmp_path / "distr"), "--distractors-max", "25", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    scale = json.loads(out.read_text())["scale"]
    assert scale["distractor_dogs"] == 25
    strangers = sum(is_stranger(d) for d in test_dogs)
    assert (scale["stranger_probes"], scale["enrolled_probes"]) == (strangers, len(test_dogs) - strangers)
    sizes = [row["gallery_dogs"] for row in scale["by_gallery_size"]]
    assert sizes == sorted(set(sizes)) and sizes[0] == len(test_dogs) - strangers and sizes[-1] == scale["gallery_dogs"]
    assert scale["gallery_dogs"] == len(test_dogs) - strangers + 25
    rule = ScaleRule.from_config(scale["rule"])  # the threshold follows the size, as the shipped rule says
    assert [row["match_threshold"] for row in scale["by_gallery_size"]] == [round(rule.match_threshold(n), 4)
                                                                             for n in sizes]
    assert rule.match_threshold(3000) > rule.match_threshold(sizes[-1])
    for row in scale["by_gallery_size"]:
        assert all(0.0 <= row[k] <= 1.0 for k in SHARES)
        told = (row["right_dog_matched"] + row["right_dog_uncertain"] + row["wrong_dog_matched"]
                + row["wrong_dog_uncertain"] + row["missed"])
        assert told == pytest.approx(1.0, abs=1e-3)  # every enrolled probe gets exactly one of these answers
    assert scale["several_photos"]["dogs"] >= 1 and "two_photos_fused" in scale["several_photos"]
    reg = scale["registration"]
    assert reg["new_refused"] + reg["new_flagged"] + reg["new_registered"] == pytest.approx(1.0, abs=1e-3)
    assert "trained on" in scale["note"]  # training dogs of the weights among the distractors: said so
