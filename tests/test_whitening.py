"""Within-dog whitening: it must help where photos of one dog vary along shared nuisance directions, survive a
save/load, and change the learned engine's templates, dimension and version (so registries re-embed)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from core.recognition.whitening import Whitening


def _dogs(n_dogs: int, photos: int, seed: int, dim: int = 16):
    """Dogs differ a little in every direction; their photos vary a lot along 3 nuisance directions that every
    set shares (fixed seed), as light and angle do."""
    rng = np.random.default_rng(seed)
    nuisance = np.random.default_rng(99).normal(size=(3, dim)) * 4
    x = np.repeat(rng.normal(size=(n_dogs, dim)), photos, 0) + rng.normal(size=(n_dogs * photos, 3)) @ nuisance
    x += 0.1 * rng.normal(size=x.shape)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), np.repeat(np.arange(n_dogs), photos)


def _rank1(x, owner):
    s = x @ x.T
    np.fill_diagonal(s, -9)
    return float((owner[s.argmax(1)] == owner).mean())


def test_whitening_fitted_on_some_dogs_helps_on_others(tmp_path):
    w = Whitening.fit(*_dogs(60, 4, seed=0), shrinkage=0.1)
    other, owner = _dogs(10, 3, seed=1)  # dogs the whitening never saw
    out = w(other)
    assert _rank1(out, owner) > _rank1(other, owner) + 0.2
    assert out.dtype == np.float32 and out.shape == (30, 16)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert Whitening.fit(*_dogs(5, 4, seed=0), shrinkage=0.1).dim == 4  # at most dogs - 1 directions
    w.save(tmp_path / "w.npz")
    np.testing.assert_allclose(Whitening.load(tmp_path / "w.npz")(other), out, atol=1e-6)


def test_learned_engine_applies_the_whitening_its_config_names(tmp_path):
    from core.recognition.learned import CONFIG, MODEL_DIR, WEIGHTS, LearnedEngine, weights_installed

    if not weights_installed():
        pytest.skip("no learned weights in resources/models")
    shutil.copy(MODEL_DIR / WEIGHTS, tmp_path / WEIGHTS)
    cfg = {k: v for k, v in json.loads((MODEL_DIR / CONFIG).read_text()).items() if k != "whitening"}
    plain = LearnedEngine(tmp_path, config=cfg)
    rng = np.random.default_rng(0)
    photos = [rng.integers(0, 255, (120, 120, 3), dtype=np.uint8) for _ in range(3)]
    raw = plain.embed(photos)
    matrix = rng.normal(size=(plain.dim, 8))
    Whitening(matrix).save(plain.whitening_path)
    whitened = LearnedEngine(tmp_path, config={**cfg, "whitening": {"file": plain.whitening_path.name}})
    out = whitened.embed(photos)
    assert whitened.dim == 8 and out.shape == (3, 8) and whitened.version != plain.version
    np.testing.assert_allclose(out, Whitening(matrix)(raw), atol=1e-4)
    # a config without the file is refused at start, not at the first photo
    with pytest.raises(FileNotFoundError):
        LearnedEngine(tmp_path, config={**cfg, "whitening": {"file": "missing.npz"}})
