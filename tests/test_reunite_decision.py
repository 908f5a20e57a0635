"""Reunite, the recognition side (core.recognition.reunite): a found dog searched among the dogs reported lost first,
at the registry-size rule for their number; a lost report searched among the open found cases; the possible
reunions a person confirms; and `savepets eval DIR --distractors DIR2 --lost N` on a few real dogs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from core.recognition.base import Decision
from core.recognition.data import list_dogs
from core.recognition.decision import decide
from core.recognition.reunite import (
    LOST,
    LOST_CANDIDATES,
    REGISTRY,
    ReuniteVerdict,
    rank_found_cases,
    search_lost_first,
)
from core.recognition.scale import is_stranger
from core.recognition.scale_rule import ScaleRule
from kiosk.cli import app

RULE = ScaleRule(tail_start=0.471, tail_share=1e-3, shape=-0.085, scale=0.047, stranger_rate=0.002, review_rate=0.05,
                 margin=0.02, floor=0.60, review_floor=0.534)  # the shipped engine's rule, rounded
DIM = 64
REGISTERED = 2_700


class FakeEngine:
    """Templates given directly; no geometric verification."""

    reranks = False
    scale_rule = RULE


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _dogs(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"dog{i}": _unit(rng.normal(size=DIM)).astype(np.float32) for i in range(n)}


def _photo_like(center: np.ndarray, similarity: float, seed: int) -> np.ndarray:
    """A unit vector whose cosine with `center` (a unit vector) is `similarity`."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=DIM)
    noise -= (noise @ center) * center
    noise = _unit(noise)
    return (similarity * center + np.sqrt(1 - similarity ** 2) * noise).astype(np.float32)


def _templates(centers: dict[str, np.ndarray]) -> dict:
    return {d: ([None, None], np.stack([c, c])) for d, c in centers.items()}


def test_a_lost_dog_found_again_is_matched_among_the_lost_dogs_when_the_registry_is_not_sure():
    centers = _dogs(40)
    # between the review and the match threshold of 2,700 dogs: sure among 40 lost dogs, not among all
    score = (RULE.review_threshold(REGISTERED) + RULE.match_threshold(REGISTERED)) / 2
    assert RULE.match_threshold(40) < score < RULE.match_threshold(REGISTERED)
    probe = _photo_like(centers["dog7"], score, seed=1)[None]
    registry = decide([("dog7", score), ("other", 0.55)], REGISTERED, RULE)
    assert registry.decision == Decision.UNCERTAIN
    v = search_lost_first(FakeEngine(), probe, [np.zeros((4, 4, 3), np.uint8)], _templates(centers), registry)
    assert isinstance(v, ReuniteVerdict)
    assert v.lost.decision == Decision.MATCH and v.lost.gallery_dogs == 40
    assert v.lost.threshold == pytest.approx(RULE.match_threshold(40))
    assert v.matched == "dog7"
    assert v.possible[0][0] == "dog7" and v.possible[0][2] == Decision.MATCH and v.possible[0][3] == LOST


def test_an_unrelated_stray_is_matched_to_no_lost_dog():
    centers = _dogs(40)
    rng = np.random.default_rng(5)
    stray = _unit(rng.normal(size=(1, DIM))).astype(np.float32)
    registry = decide([("someone", 0.3)], REGISTERED, RULE)
    v = search_lost_first(FakeEngine(), stray, [np.zeros((4, 4, 3), np.uint8)], _templates(centers), registry)
    assert v.lost.decision == Decision.NO_MATCH and v.matched is None
    # the closest lost dogs are still offered for a person to compare, each marked as no match
    assert [c[3] for c in v.possible] == [LOST] * LOST_CANDIDATES
    assert {c[2] for c in v.possible} == {Decision.NO_MATCH}


def test_no_lost_dogs_is_an_empty_lost_verdict_and_the_registry_still_answers():
    registry = decide([("dog1", 0.95), ("dog2", 0.4)], REGISTERED, RULE)
    v = search_lost_first(FakeEngine(), _dogs(1)["dog0"][None], [np.zeros((4, 4, 3), np.uint8)], {}, registry)
    assert (v.lost.decision, v.lost.reason, v.lost.shown, v.lost.gallery_dogs) == (Decision.NO_MATCH,
                                                                                 "empty_registry", [], 0)
    assert v.matched == "dog1"
    assert v.possible == [("dog1", 0.95, Decision.MATCH, REGISTRY)]


def test_possible_reunions_name_each_dog_once_best_first():
    lost = decide([("a", 0.62), ("b", 0.6), ("c", 0.2)], 100, RULE)  # uncertain among 100 lost dogs
    registry = decide([("b", 0.66), ("d", 0.65), ("a", 0.64), ("e", 0.1)], REGISTERED, RULE)
    assert (lost.decision, registry.decision) == (Decision.UNCERTAIN, Decision.UNCERTAIN)
    v = ReuniteVerdict(lost=lost, registry=registry)
    assert v.matched is None
    ids = [c[0] for c in v.possible]
    assert len(ids) == len(set(ids)) and {"a", "b", "d"} <= set(ids) and "e" not in ids
    source = {c[0]: c[3] for c in v.possible}
    assert (source["a"], source["b"], source["d"]) == (LOST, LOST, REGISTRY)
    scores = [c[1] for c in v.possible]
    assert scores == sorted(scores, reverse=True)  # all 'uncertain': by score


def test_two_sure_answers_about_different_dogs_are_no_match_but_both_are_offered():
    lost = decide([("a", 0.9), ("b", 0.2)], 100, RULE)
    registry = decide([("z", 0.95), ("a", 0.6)], REGISTERED, RULE)
    v = ReuniteVerdict(lost=lost, registry=registry)
    assert v.matched is None
    assert {c[0] for c in v.possible} >= {"a", "z"}
    assert all(c[2] != Decision.MATCH for c in v.possible)


def test_a_lost_report_is_searched_among_the_open_found_cases():
    centers = _dogs(30, seed=3)
    rng = np.random.default_rng(4)
    cases = {f"case{i}": _unit(rng.normal(size=(2, DIM))).astype(np.float32) for i in range(30)}
    cases["case_lost"] = np.stack([_photo_like(centers["dog3"], 0.8, seed=s) for s in (7, 8)])
    v = rank_found_cases(FakeEngine(), np.stack([centers["dog3"]] * 3), cases, RULE)
    assert v.gallery_dogs == 31 and v.decision == Decision.MATCH and v.shown[0][0] == "case_lost"
    other = rank_found_cases(FakeEngine(), centers["dog9"][None], cases, RULE)
    assert other.decision != Decision.MATCH
    empty = rank_found_cases(FakeEngine(), centers["dog3"][None], {}, RULE)
    assert (empty.decision, empty.reason) == (Decision.NO_MATCH, "empty_registry")


def _link(folder, dogs, root):
    folder.mkdir()
    for d in dogs:
        (folder / d).symlink_to(root / d, target_is_directory=True)


def test_eval_lost_reports_found_dogs_searched_among_the_lost_first(nose_data, tmp_path):
    test_dogs = [d for d, ps in list_dogs(nose_data, "test").items() if len(ps) >= 4][:12]
    others = list(list_dogs(nose_data, "train"))[:20]
    _link(tmp_path / "probe", test_dogs, nose_data)
    _link(tmp_path / "distr", others, nose_data)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "probe"), "--engine", "learned", "--distractors",
                                      str(tmp_path / "distr"), "--lost", "3", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    scale = json.loads(out.read_text())["scale"]
    lf = scale["lost_first"]
    strangers = sum(is_stranger(d) for d in test_dogs)
    enrolled = len(test_dogs) - strangers
    assert lf["lost_dogs"] == lf["lost_gallery"]["dogs"] == 3
    assert lf["found_lost_dogs"]["probes"] == 3
    assert lf["strays_not_lost"]["probes"] == strangers
    assert lf["registered_not_lost"]["probes"] == enrolled - 3
    assert lf["whole_registry"]["dogs"] == scale["gallery_dogs"] == enrolled + 20
    assert lf["lost_gallery"]["match_threshold"] <= lf["whole_registry"]["match_threshold"]
    fl = lf["found_lost_dogs"]
    for k in ("right_dog_possible", "right_dog_matched", "wrong_dog_matched"):
        assert 0.0 <= fl[k] <= 1.0 and 0.0 <= fl["whole_registry_only"].get(k, 0.0) <= 1.0
    assert fl["right_dog_matched"] + fl["wrong_dog_matched"] <= 1.0
    assert lf["strays_every_photo"]["probes"] >= strangers
    assert lf["lost_report_search"]["lost_reports"] == 3


def test_eval_lost_needs_distractors(nose_data, tmp_path):
    _link(tmp_path / "probe", list(list_dogs(nose_data, "test"))[:3], nose_data)
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "probe"), "--lost", "2"])
    assert result.exit_code == 2 and "--distractors" in result.output
