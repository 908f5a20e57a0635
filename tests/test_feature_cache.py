"""Re-ranking's features of stored photos, kept beside the photo store (core/recognition/feature_store.py): read
instead of extracted again, bit for bit what a fresh extraction gives, extracted at registration, gone with the
photo (an erasure), and never needed: a store that cannot be written or a damaged file only costs an extraction.
Real photos come from ../shared/data (skipped where it is absent)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.photos import PhotoStore, decode_photo
from core.recognition.base import StoredPhoto
from core.recognition.data import list_dogs
from core.recognition.feature_store import FeatureFiles
from core.recognition.matcher import RootSiftMatcher, fused_rerank

RULE = {"weight": 0.3, "low": 8, "high": 40}


def _photos(nose_data, n_dogs: int = 4, per_dog: int = 3):
    """{dog: [decoded photos]} of a few test dogs with their files' bytes (what the store keeps)."""
    dogs = [(d, ps) for d, ps in list_dogs(nose_data, "test").items() if len(ps) >= per_dog][:n_dogs]
    return {d: [decode_photo(p.read_bytes(), label=p.name) for p in ps[:per_dog]] for d, ps in dogs}


def _stored(store: PhotoStore, files: FeatureFiles | None, photo, loads: list | None = None) -> StoredPhoto:
    sha, _ = store.put(photo.data)

    def load():
        if loads is not None:
            loads.append(sha)
        return store.load(sha).image

    return StoredPhoto(sha, load, files)


def test_kept_features_are_those_of_a_fresh_extraction_bit_for_bit(nose_data, tmp_path):
    store = PhotoStore(tmp_path / "photos", derived=tmp_path / "features")
    files = FeatureFiles(store.derived_path)
    photos = [p for ps in _photos(nose_data).values() for p in ps]
    fresh = RootSiftMatcher()
    keeper = RootSiftMatcher()
    for p in photos:
        keeper.keep(_stored(store, files, p))
    reader = RootSiftMatcher()  # another process: nothing in memory
    loads: list[str] = []
    for p in photos:
        xy, desc = fresh.features(p.image)
        kept_xy, kept_desc = reader.features(_stored(store, files, p, loads))
        assert kept_xy.dtype == xy.dtype == np.float32 and kept_desc.dtype == desc.dtype == np.float32
        assert np.array_equal(kept_xy, xy) and np.array_equal(kept_desc, desc)
    assert loads == [], "a kept photo was decoded again"
    # and what the matcher extracted before features were kept (RootSIFT straight from OpenCV's float descriptors)
    from core.recognition.matcher import CLAHE, CONTRAST, SIFT_SIDE
    from core.recognition.preprocess import to_square

    sift = cv2.SIFT_create(nfeatures=400, contrastThreshold=CONTRAST)
    clahe = cv2.createCLAHE(clipLimit=CLAHE[0], tileGridSize=CLAHE[1])
    for p in photos:
        gray = to_square(cv2.cvtColor(p.image, cv2.COLOR_BGR2GRAY))
        gray = cv2.resize(gray, (SIFT_SIDE, SIFT_SIDE), interpolation=cv2.INTER_AREA if gray.shape[0] > SIFT_SIDE
                          else cv2.INTER_LINEAR)
        kps, desc = sift.detectAndCompute(clahe.apply(gray), None)
        desc = desc / (np.abs(desc).sum(axis=1, keepdims=True) + 1e-7)
        xy, now = fresh.features(p.image)
        assert np.array_equal(np.array([k.pt for k in kps], np.float32), xy)
        assert np.array_equal(np.sqrt(desc).astype(np.float32), now)
    sha = store.put(photos[0].data)[0]
    kept = store.derived_path(sha, fresh.version)
    assert kept.is_file() and kept.stat().st_size < 60_000  # about 54 KB a photo: xy and uint8 descriptors


def test_rerank_scores_from_kept_features_are_those_of_fresh_extraction(nose_data, tmp_path):
    store = PhotoStore(tmp_path / "photos", derived=tmp_path / "features")
    files = FeatureFiles(store.derived_path)
    dogs = _photos(nose_data, n_dogs=5, per_dog=3)
    keeper = RootSiftMatcher()
    for ps in dogs.values():
        for p in ps[1:]:
            keeper.keep(_stored(store, files, p))
    scores = {d: 0.5 for d in dogs}
    every = float("inf")  # verify every candidate
    raised = 0
    for d, ps in dogs.items():
        h, w = ps[1].image.shape[:2]
        turned = cv2.warpAffine(ps[1].image, cv2.getRotationMatrix2D((w / 2, h / 2), 12, 1.05), (w, h))
        for probe in (ps[0].image, turned):  # another photo of the dog, and a turned copy of a stored one
            fresh = fused_rerank(RootSiftMatcher(), RULE, probe, {o: [_stored(store, None, p) for p in qs[1:]]
                                                                  for o, qs in dogs.items()}, scores, every)
            loads: list[str] = []
            cached = fused_rerank(RootSiftMatcher(), RULE, probe,
                                  {o: [_stored(store, files, p, loads) for p in qs[1:]] for o, qs in dogs.items()},
                                  scores, every)
            assert cached == fresh and loads == []
            raised += fresh[d] > 0.5
    assert raised >= len(dogs)  # the right dog's score is raised: the scores compared are not all unchanged


def test_a_store_that_cannot_be_written_or_a_damaged_file_costs_only_an_extraction(nose_data, tmp_path):
    photo = next(iter(_photos(nose_data, 1, 1).values()))[0]
    expected = RootSiftMatcher().features(photo.image)
    (tmp_path / "features").write_text("a file where the folder would be: nothing can be written under it")
    store = PhotoStore(tmp_path / "photos", derived=tmp_path / "features")
    files = FeatureFiles(store.derived_path)
    m = RootSiftMatcher()
    m.keep(_stored(store, files, photo))  # no error
    loads: list[str] = []
    got = RootSiftMatcher().features(_stored(store, files, photo, loads))
    assert len(loads) == 1 and all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))

    store = PhotoStore(tmp_path / "photos", derived=tmp_path / "kept")
    files = FeatureFiles(store.derived_path)
    m.keep(_stored(store, files, photo))
    path = store.derived_path(photo.sha256, m.version)
    path.write_bytes(path.read_bytes()[:-100])  # cut short (a full disk, a copy cut off)
    loads = []
    got = RootSiftMatcher().features(_stored(store, files, photo, loads))
    assert len(loads) == 1 and all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))
    assert files.read(photo.sha256, m.version) is not None  # written again whole
    assert files.read(photo.sha256, "rootsift-another") is None  # another extractor's version is never read


def test_derived_files_go_with_their_photo(tmp_path):
    store = PhotoStore(tmp_path / "photos", derived=tmp_path / "features")
    sha, _ = store.put(b"not really a photo")
    files = FeatureFiles(store.derived_path)
    assert files.write(sha, "rootsift-v1", np.zeros((3, 2), np.float32), np.ones((3, 128), np.uint8))
    assert files.write(sha, "rootsift-v2", np.zeros((0, 2), np.float32), np.ones((0, 128), np.uint8))
    assert store.derived_path("../../etc/passwd", "x") is None and store.derived_path(sha, "../x") is None
    store.remove(sha)
    assert not store.exists(sha) and not list((tmp_path / "features").rglob(f"{sha}*"))


@pytest.fixture
def learned_service(tmp_path):
    from core.recognition.learned import LearnedEngine, weights_installed
    from core.settings import Settings
    from core.usecases import SavePets

    if not weights_installed():
        pytest.skip("no learned weights installed")
    sp = SavePets(Settings(data_dir=tmp_path), engine=LearnedEngine())
    yield sp
    sp.close()


def test_registration_keeps_features_lookups_read_them_and_erasure_removes_them(nose_data, learned_service,
                                                                                monkeypatch):
    from core.schemas import DogIn, OwnerIn

    sp = learned_service
    assert sp.engine.reranks
    dogs = [(d, ps) for d, ps in list_dogs(nose_data, "test").items() if len(ps) >= 7][:2]
    registered = []
    for i, (d, ps) in enumerate(dogs):
        photos = [decode_photo(p.read_bytes(), label=p.name) for p in ps[:5]]
        registered.append(sp.register(OwnerIn(phone=f"010-1234-567{i}"), DogIn(name=f"Dog {d}"), photos).dog)
    version = sp.engine.matcher.version
    for dog in registered:
        for p in dog.photos:
            assert sp.store.derived_path(p.sha256, version).is_file()
    probe = [decode_photo(p.read_bytes(), label=p.name) for p in dogs[0][1][5:7]]
    sp.engine._matcher = None  # a fresh process: nothing in memory
    decoded: list[str] = []
    real = sp._stored_image
    monkeypatch.setattr(sp, "_stored_image", lambda sha: decoded.append(sha) or real(sha))
    found = sp.lookup(probe)
    assert decoded == [], "a registered photo was decoded to re-rank it"
    shown = [(c.dog.id, c.score) for c in ([found.match] if found.match else []) + found.candidates]
    assert shown and shown[0][0] == registered[0].id
    # the same answer when every feature is extracted afresh
    for dog in registered:
        for p in dog.photos:
            sp.store.derived_path(p.sha256, version).unlink()
    sp.engine._matcher = None
    again = sp.lookup(probe)
    assert decoded, "nothing was extracted afresh"
    assert [(c.dog.id, c.score) for c in ([again.match] if again.match else []) + again.candidates] == shown
    assert again.decision == found.decision
    # an owner's erasure takes the kept features with the photos
    sp._keep_features(p.sha256 for dog in registered for p in dog.photos)
    sp.erase_owner("010-1234-5670")
    for p in registered[0].photos:
        assert not sp.store.exists(p.sha256) and not sp.store.derived_path(p.sha256, version).exists()
    assert any(sp.store.derived_path(p.sha256, version).exists() for p in registered[1].photos)


def test_a_data_folder_where_features_cannot_be_kept_still_registers_and_looks_up(nose_data, tmp_path):
    """A read-only or odd data folder (here a file where the features folder would be): registration and look-up
    work as before, the features extracted at each use."""
    from core.recognition.learned import LearnedEngine, weights_installed
    from core.schemas import DogIn, OwnerIn
    from core.settings import Settings
    from core.usecases import SavePets

    if not weights_installed():
        pytest.skip("no learned weights installed")
    (tmp_path / "features").write_text("not a folder")
    sp = SavePets(Settings(data_dir=tmp_path), engine=LearnedEngine())
    try:
        d, ps = next((d, ps) for d, ps in list_dogs(nose_data, "test").items() if len(ps) >= 7)
        dog = sp.register(OwnerIn(phone="010-1234-5679"), DogIn(name=f"Dog {d}"),
                          [decode_photo(p.read_bytes(), label=p.name) for p in ps[:5]]).dog
        sp.engine._matcher = None
        found = sp.lookup([decode_photo(p.read_bytes(), label=p.name) for p in ps[5:7]])
        assert ([found.match] if found.match else found.candidates)[0].dog.id == dog.id
        assert (tmp_path / "features").read_text() == "not a folder"
    finally:
        sp.close()
