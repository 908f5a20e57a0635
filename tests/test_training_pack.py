"""The training pack (savepets train pack): every photo of a folder-per-dog set cropped and resized once, re-encoded,
in one .npz with its dog and split; read back, decoded and written out again as a folder per dog. No PyTorch."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from core.recognition.data import list_dogs, read_bgr, split_of
from core.recognition.training.augment import CACHE_SIDE
from core.recognition.training.pack import PACK_SIDE, read_pack, square, write_pack


@pytest.fixture(scope="module")
def small_set(nose_data, tmp_path_factory):
    """Symlinks to a few real dogs of each split (nothing copied)."""
    root = tmp_path_factory.mktemp("dogs")
    want = {"train": 3, "tune": 2, "test": 2}
    for dog, photos in list_dogs(nose_data).items():
        if want.get(split_of(dog), 0) and len(photos) >= 3:
            (root / dog).mkdir()
            for p in photos:
                (root / dog / p.name).symlink_to(p)
            want[split_of(dog)] -= 1
    assert not any(want.values())
    return root


def test_the_pack_side_is_the_one_training_views_are_cut_from():
    assert PACK_SIDE == CACHE_SIDE


def test_a_pack_holds_every_photo_with_its_dog_and_split_and_decodes_close_to_the_photo(small_set, tmp_path):
    dogs = list_dogs(small_set)
    meta = write_pack(small_set, tmp_path / "p.npz", threads=2)
    pack = read_pack(tmp_path / "p.npz")
    n = sum(len(v) for v in dogs.values())
    assert len(pack) == meta["photos"] == n and meta["dogs"] == len(dogs) == 7
    assert meta["splits"]["tune"]["dogs"] == 2 and meta["splits"]["test"]["dogs"] == 2
    assert [str(d) for d in pack.dog] == [d for d, ps in dogs.items() for _ in ps]
    assert all(s == split_of(str(d)) for d, s in zip(pack.dog, pack.split, strict=True))
    assert [str(x) for x in pack.name] == [p.name for ps in dogs.values() for p in ps]
    # decoded: the training square, RGB, within WebP 75's loss of the photo's own square
    first = next(iter(dogs.values()))[0]
    img = pack.decode(np.array([0]))[0]
    assert img.shape == (PACK_SIDE, PACK_SIDE, 3) and img.dtype == np.uint8
    ref = square(read_bgr(first))[:, :, ::-1].astype(np.float32)
    assert np.abs(img.astype(np.float32) - ref).mean() < 4.0
    # far smaller than the photos; JPEG is the other format
    assert meta["bytes"] < 0.6 * sum(p.stat().st_size for ps in dogs.values() for p in ps)
    labels, ids = pack.labels(pack.indices("train"))
    assert ids == sorted(d for d in dogs if split_of(d) == "train") and labels.max() == len(ids) - 1
    assert write_pack(small_set, tmp_path / "q.npz", fmt="jpeg", quality=90)["format"] == "jpeg"
    assert read_pack(tmp_path / "q.npz").decode().shape == (n, PACK_SIDE, PACK_SIDE, 3)


def test_a_pack_unpacks_to_a_folder_per_dog_the_tools_read(small_set, tmp_path):
    write_pack(small_set, tmp_path / "p.npz", threads=2)
    out = read_pack(tmp_path / "p.npz").unpack(tmp_path / "photos")
    back, orig = list_dogs(out), list_dogs(small_set)
    assert list(back) == list(orig)
    assert [[p.stem for p in ps] for ps in back.values()] == [[p.stem for p in ps] for ps in orig.values()]
    assert read_bgr(next(iter(back.values()))[0]).shape == (PACK_SIDE, PACK_SIDE, 3)
    assert list(list_dogs(read_pack(tmp_path / "p.npz").unpack(tmp_path / "tune", split="tune"))) == \
        [d for d in orig if split_of(d) == "tune"]


def test_savepets_train_pack_writes_the_file_and_says_its_size(small_set, tmp_path):
    from kiosk.cli import app

    res = CliRunner().invoke(app, ["train", "pack", str(small_set), "--out", str(tmp_path / "p.npz")])
    assert res.exit_code == 0, res.output
    assert "7 dogs" in res.output and "MiB" in res.output
    meta = json.loads(str(np.load(tmp_path / "p.npz")["meta"]))
    assert meta["side"] == PACK_SIDE and meta["format"] == "webp" and meta["quality"] == 75
    bad = CliRunner().invoke(app, ["train", "pack", str(small_set), "--out", str(tmp_path / "x.npz"),
                                   "--format", "gif"])
    assert bad.exit_code == 2 and not (tmp_path / "x.npz").exists()


def test_nothing_is_packed_from_a_folder_without_dogs(tmp_path):
    with pytest.raises(ValueError, match="no dog folders"):
        write_pack(tmp_path, tmp_path / "p.npz")
