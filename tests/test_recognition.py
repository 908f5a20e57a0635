"""The recognition engine: quality gate, split rule, engines on real nose photos, RootSIFT, gallery (exact and
approximate), the evaluation protocol. Real photos come from ../shared/data (skipped where it is absent)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.recognition.base import QUALITY_REASONS, Decision, StoredPhoto
from core.recognition.data import list_dogs, read_bgr, split_of
from core.recognition.gallery import Gallery
from core.recognition.quality import assess


def _real_photos(nose_data: Path, n_dogs: int = 4, per_dog: int = 3, split: str = "tune") -> dict[str, list]:
    dogs = {d: ps for d, ps in list_dogs(nose_data, split).items() if len(ps) >= per_dog}
    return {d: [read_bgr(p) for p in ps[:per_dog]] for d, ps in list(dogs.items())[:n_dogs]}


# ------------------------------------------------------------------------------------------ split rule
def test_split_rule_by_dog_id():
    assert split_of("0010") == "test" and split_of("0105") == "tune" and split_of("0007") == "train"
    assert {split_of(f"{i:04d}") for i in range(20)} == {"train", "tune", "test"}
    # non-numeric ids: by their CRC-32, the same on every run and machine (not Python's salted hash())
    assert split_of("dog-abc") == "tune" and split_of("dog-d") == "test" and split_of("dog-b") == "train"
    assert [split_of(s) for s in ("choco", "bori", "dog-g", "x")] == ["train", "train", "test", "train"]


# ------------------------------------------------------------------------------------------ quality gate
def test_quality_gate_passes_real_photos(nose_data):
    photos = [img for imgs in _real_photos(nose_data, 10, 2, "test").values() for img in imgs]
    verdicts = [assess(img) for img in photos]
    assert sum(q.ok for q in verdicts) >= len(photos) - 1
    assert all(0.0 <= q.score <= 1.0 for q in verdicts)


def _frame(nose_data: Path | None = None) -> np.ndarray:
    if nose_data is not None and nose_data.is_dir():
        img = next(iter(_real_photos(nose_data, 1, 1, "test").values()))[0]
        frame = cv2.resize(img, (480, 480))
        return cv2.copyMakeBorder(frame, 0, 0, 80, 80, cv2.BORDER_REFLECT)
    from tests.imaging import dog_texture

    return cv2.resize(dog_texture(1), (640, 480))


@pytest.mark.parametrize("name, make, reason", [
    ("black", lambda f: np.zeros_like(f), "dark"),
    ("white", lambda f: np.full_like(f, 255), "bright"),
    ("flat grey", lambda f: np.full_like(f, 128), "no_texture"),
    ("blurred", lambda f: cv2.GaussianBlur(f, (0, 0), 12), "blurry"),
    ("tiny", lambda f: cv2.resize(f, (64, 48)), "small"),
    ("glare", lambda f: np.where(np.arange(f.shape[1])[None, :, None] < f.shape[1] * 0.6, 255, f).astype(np.uint8),
     "glare"),
])
def test_quality_gate_fails_bad_frames(name, make, reason):
    from tests.conftest import NOSE_DATA

    q = assess(make(_frame(NOSE_DATA)))
    assert not q.ok, name
    assert reason in q.reasons, (name, q.reasons)
    assert set(q.reasons) <= set(QUALITY_REASONS)


def test_quality_gate_is_fast():
    frame = _frame()
    assess(frame)
    t = time.process_time()  # CPU time: stable on a machine busy with other work
    for _ in range(50):
        assess(frame)
    assert (time.process_time() - t) / 50 < 0.01


# ------------------------------------------------------------------------------------------ classical matcher
def test_rootsift_matches_a_rotated_cropped_copy(nose_data):
    from core.recognition.matcher import RootSiftMatcher

    photos = _real_photos(nose_data, 2, 1, "test")
    a, b = (imgs[0] for imgs in photos.values())
    h, w = a.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 15, 1.1)
    copy = cv2.warpAffine(a, m, (w, h), borderMode=cv2.BORDER_REFLECT)[12:-8, 10:-6]
    matcher = RootSiftMatcher()
    same = matcher.inliers(matcher.features(a), matcher.features(copy))
    other = matcher.inliers(matcher.features(a), matcher.features(b))
    assert same >= 30 and same > 3 * max(other, 5), (same, other)


def test_classical_rerank_raises_the_right_dog(nose_data):
    from core.recognition.classical import ClassicalEngine

    photos = _real_photos(nose_data, 2, 1, "test")
    (da, (a,)), (db, (b,)) = photos.items()
    engine = ClassicalEngine(config={"match_threshold": 0.8, "fusion": {"weight": 0.3, "low": 8, "high": 40}})
    h, w = a.shape[:2]
    probe = cv2.warpAffine(a, cv2.getRotationMatrix2D((w / 2, h / 2), -10, 1.0), (w, h))
    loaded = []

    def stored(key, img):
        return StoredPhoto(key, lambda: loaded.append(key) or img)

    every = float("inf")  # a margin no candidate is out of reach of: verify them all
    out = engine.rerank(probe, {da: [stored("a", a)], db: [stored("b", b)]}, {da: 0.5, db: 0.5}, margin=every)
    assert out[da] > out[db] and out[db] == pytest.approx(0.5, abs=0.05)
    # a stored photo's features are cached by its key: the next look-up decodes neither photo again
    again = engine.rerank(probe, {da: [stored("a", a)], db: [stored("b", b)]}, {da: 0.5, db: 0.5}, margin=every)
    assert again == out and sorted(loaded) == ["a", "b"]
    # with no margin to keep, a candidate that can no longer reach the best fused score is not verified
    lazy = engine.rerank(probe, {da: [stored("a2", a)], db: [stored("b2", b)]}, {da: 0.5, db: 0.2})
    assert lazy[da] == out[da] and lazy[db] == 0.2 and "b2" not in loaded
    # and nothing is verified when even the best could not reach the review floor
    assert engine.rerank(probe, {da: [stored("a3", a)]}, {da: 0.1}, floor=0.5) == {da: 0.1} and "a3" not in loaded


# ------------------------------------------------------------------------------------------ learned engine
def test_learned_engine_same_dog_is_closer_than_other_dogs(nose_data):
    from core.recognition.learned import LearnedEngine, weights_installed

    if not weights_installed():
        pytest.skip("no learned weights in resources/models")
    engine = LearnedEngine()
    photos = _real_photos(nose_data, 5, 2, "test")
    emb = engine.embed([img for imgs in photos.values() for img in imgs])
    assert emb.shape == (10, engine.dim) and emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    sims = emb @ emb.T
    same = [sims[2 * i, 2 * i + 1] for i in range(5)]
    other = [sims[i, j] for i in range(10) for j in range(10) if i // 2 != j // 2]
    assert np.mean(same) > np.mean(other) + 0.2
    assert sum(s > max(sims[2 * i, j] for j in range(10) if j // 2 != i) for i, s in enumerate(same)) >= 4
    assert engine.decide(1.0) == Decision.MATCH and engine.decide(-1.0) == Decision.NO_MATCH
    assert 0.0 <= engine.probability(float(np.mean(other))) < engine.probability(0.99) <= 1.0
    assert engine.quality(photos[next(iter(photos))][0]).ok


def test_factory_kinds():
    from core.recognition.classical import ClassicalEngine
    from core.recognition.factory import load_engine
    from core.recognition.learned import weights_installed
    from core.recognition.standin import StandInEngine

    assert isinstance(load_engine("standin"), StandInEngine)
    assert isinstance(load_engine("classical"), ClassicalEngine)
    auto = load_engine("auto")
    assert (auto.name == "nose-embed") == weights_installed()
    with pytest.raises(ValueError):
        load_engine("nonsense")


# ------------------------------------------------------------------------------------------ gallery
def _unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_gallery_add_remove_save_load(tmp_path):
    g = Gallery(32)
    v = _unit(10, 32)
    g.add([f"k{i}" for i in range(10)], [f"dog{i // 2}" for i in range(10)], v)
    g.add(["k0"], ["dog0"], v[:1])  # a known key is not added twice
    assert len(g) == 10 and "k3" in g and not g.approximate
    assert g.search(v[3], k=1)[0][0] == "dog1"
    g.remove(["k3", "k2"])
    assert all(d != "dog1" for d, _ in g.search(v[3], k=10))
    g.remove_dog("dog4")
    assert len(g) == 6
    g.save(tmp_path / "g", "stamp-1")
    assert Gallery.load(tmp_path / "g", "stamp-2", 32) is None
    h = Gallery.load(tmp_path / "g", "stamp-1", 32)
    assert len(h) == 6 and h.search(v[0], k=1)[0] == ("dog0", pytest.approx(1.0, abs=1e-5))
    # per dog, its templates among the nearest, most similar first (re-ranking verifies those photos)
    dog, score, keys = h.search_templates(v[1], k=1)[0]
    assert (dog, keys) == ("dog0", ["k1", "k0"]) and score == pytest.approx(1.0, abs=1e-5)


def test_gallery_switches_to_ann_and_keeps_working(tmp_path, monkeypatch):
    monkeypatch.setattr(Gallery, "ANN_MIN", 3000)
    dim, dogs = 64, 1000
    centres = _unit(dogs, dim, 1)
    noise = np.random.default_rng(2).normal(scale=0.08, size=(4 * dogs, dim)).astype(np.float32)
    v = np.repeat(centres, 4, axis=0) + noise
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    keys, owners = [f"k{i}" for i in range(len(v))], [f"dog{i // 4}" for i in range(len(v))]
    g = Gallery(dim)
    g.add(keys[:2000], owners[:2000], v[:2000])
    assert not g.approximate
    g.add(keys[2000:], owners[2000:], v[2000:])
    assert g.approximate and len(g) == 4000
    probes = centres + np.random.default_rng(3).normal(scale=0.08, size=centres.shape).astype(np.float32)
    hits = sum(g.search(p, k=1)[0][0] == f"dog{i}" for i, p in enumerate(probes[:200]))
    assert hits >= 195
    g.remove_dog("dog7")
    assert all(d != "dog7" for d, _ in g.search(centres[7], k=5)) and len(g) == 3996
    g.save(tmp_path / "ann", "s")
    h = Gallery.load(tmp_path / "ann", "s", dim)
    assert h.approximate and len(h) == 3996 and h.search(centres[9], k=1)[0][0] == "dog9"
    h.add(["new"], ["dog-new"], _unit(1, dim, 9))
    assert h.search(_unit(1, dim, 9)[0], k=1)[0][0] == "dog-new"


# ------------------------------------------------------------------------------------------ evaluation protocol
def test_evaluate_protocol_on_a_few_real_dogs(nose_data):
    from core.recognition.evaluate import evaluate
    from core.recognition.standin import StandInEngine

    few = [d for d, ps in list_dogs(nose_data, "test").items() if len(ps) >= 6][:8]
    res = evaluate(nose_data, StandInEngine(), enroll=5, dogs_filter=few, progress=False, split="test")
    json.dumps(res)
    assert res["dogs"] == 8 and res["closed_set"]["probes"] == 8 and res["enroll5"]["probes"] >= 8
    assert 0.0 <= res["closed_set"]["rank1"] <= res["closed_set"]["rank5"] <= 1.0
    # what a person is told: matched, uncertain and wrongly matched cannot add up to more than every probe
    a = res["enroll5"]["answers"]
    assert a["right_dog_matched"] + a["right_dog_uncertain"] + a["wrong_dog_matched"] <= 1.0 + 1e-9
    assert a["right_dog_matched"] <= res["enroll5"]["rank1"] and not a["reranked"]  # a match of the right dog is a hit
    v = res["verification"]
    assert 0.0 <= v["auc"] <= 1.0 and 0.0 <= v["eer"] <= 1.0 and v["genuine_pairs"] > 0
    o = res["open_set"]
    assert set(o) >= {"false_accept_rate", "false_reject_rate", "threshold", "review_threshold"}
    # a genuine probe is matched, shown for review, or missed: the shares add up
    matched = 1 - o["false_reject_rate"]
    assert 0.0 <= o["genuine_right_dog_for_review"] <= 1.0 - matched + 1e-9


def test_threshold_rule_keeps_strangers_below_half_a_percent():
    from core.recognition.calibration import isotonic_table, threshold_for

    s = np.random.default_rng(0).normal(size=1000)
    t = threshold_for(s, 0.005)
    assert (s >= t).mean() < 0.005 and (s >= t - 0.05).mean() >= 0.003
    table = isotonic_table(np.r_[s, s + 3], np.r_[np.zeros(1000), np.ones(1000)])
    assert np.all(np.diff(table["y"]) >= 0) and table["y"][0] < 0.1 and table["y"][-1] > 0.9


# ------------------------------------------------------------------------------------------ use case, real engine
def test_lookup_with_the_real_engine_when_a_registered_photo_is_not_on_this_machine(nose_data, tmp_path):
    """A dog pulled by sync whose photo files have not arrived yet: its templates still count, re-ranking skips
    the missing files instead of failing the look-up."""
    from core.photos import decode_photo
    from core.recognition.learned import LearnedEngine
    from core.schemas import DogIn, OwnerIn
    from core.settings import Settings
    from core.usecases import SavePets

    dog, photos = next((d, ps) for d, ps in list_dogs(nose_data, "test").items() if len(ps) >= 7)
    sp = SavePets(Settings(data_dir=tmp_path), engine=LearnedEngine())
    assert sp.engine.reranks
    decoded = [decode_photo(p.read_bytes(), label=p.name) for p in photos[:5]]
    registered = sp.register(OwnerIn(phone="010-1234-5678"), DogIn(name="초코"), decoded).dog
    for p in registered.photos:
        sp.store.remove(p.sha256)
    found = sp.lookup([decode_photo(p.read_bytes(), label=p.name) for p in photos[5:7]])
    assert found.candidates and found.candidates[0].dog.id == registered.id
    sp.close()


def test_far_tail_is_exact_over_every_cross_dog_pair():
    """Block by block, keeping only the top impostor scores, it must give what sorting every pair gives."""
    from core.recognition.protocols import far_tail

    rng = np.random.default_rng(3)
    dogs = np.repeat(np.arange(120), 3)
    centres = rng.normal(size=(120, 16))
    emb = centres[dogs] + rng.normal(size=(len(dogs), 16)) * 0.9
    emb = (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype(np.float32)
    out = far_tail(emb, dogs.astype(str), fars=(1e-2, 1e-3, 1e-4, 1e-6), block=37)

    iu = np.triu_indices(len(dogs), 1)
    s = (emb @ emb.T)[iu]
    same = dogs[iu[0]] == dogs[iu[1]]
    imp, gen = np.sort(s[~same])[::-1], s[same]
    assert out["impostor_pairs"] == len(imp) == 64_260 and out["genuine_pairs"] == len(gen) == 360
    for far in (1e-2, 1e-3, 1e-4):
        t = out[f"threshold@far{far:g}"]
        assert (imp > t).sum() <= far * len(imp) < (imp >= t).sum()  # the tightest threshold at that rate
        assert out[f"tar@far{far:g}"] == pytest.approx(np.mean(gen > t))
    assert out["tar@far1e-06"] is None  # fewer than one impostor pair to spare: not measurable on this set
    assert out["tar@far0.01"] > out["tar@far0.0001"]
