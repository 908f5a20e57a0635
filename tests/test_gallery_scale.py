"""The gallery as a cache of the templates table (issue 23): incremental updates across processes, the snapshot
(checksums, unique names, start from snapshot + the changes since), and the compact (SQ8 + exact re-rank) index."""

from __future__ import annotations

import os
import re
import threading
import time

import numpy as np
import pytest

from core.recognition.base import Decision
from core.recognition.gallery import MANIFEST, Gallery
from core.schemas import DogIn, OwnerIn
from tests.imaging import dog_photos
from tests.serverkit import REDIS_URL, Server, create_mysql_database, drop_mysql_database
from tests.test_server import lookup, new_dog, register


def _unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _dogs_like(dogs: int, per: int, dim: int, seed: int = 1, spread: float = 0.35):
    centres = _unit(dogs, dim, seed)
    v = np.repeat(centres, per, axis=0) + np.random.default_rng(seed + 1).normal(
        scale=spread / np.sqrt(dim), size=(dogs * per, dim)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    keys = [f"t{i:06d}" for i in range(len(v))]
    owners = [f"dog{i // per:05d}" for i in range(len(v))]
    return centres, v, keys, owners


def _chunks(keys, owners, v, n=700):
    for i in range(0, len(keys), n):
        yield keys[i:i + n], owners[i:i + n], v[i:i + n]


def _exact_dogs(v, owners, q, k):
    scores = v @ q
    best: dict[str, float] = {}
    for s, d in zip(scores.tolist(), owners, strict=True):
        best[d] = max(best.get(d, -9.0), s)
    return [d for d, _ in sorted(best.items(), key=lambda t: -t[1])[:k]]


# ------------------------------------------------------------------------------------------- the compact gallery
def test_compact_gallery_ranks_dogs_as_exact_search_does(tmp_path, monkeypatch):
    monkeypatch.setattr(Gallery, "ANN_MIN", 1000)
    dim = 64
    centres, v, keys, owners = _dogs_like(1200, 5, dim)  # 6,000 templates: the compressed, re-ranked index
    g = Gallery.build(dim, _chunks(keys, owners, v), len(keys), tmp_path / "index")
    assert g.approximate and len(g) == 6000 and g.dogs == 1200
    assert g.nbytes() < v.nbytes  # 8-bit codes, not float32
    probes = centres[:300] + np.random.default_rng(7).normal(scale=0.3 / np.sqrt(dim), size=(300, dim))
    probes = (probes / np.linalg.norm(probes, axis=1, keepdims=True)).astype(np.float32)
    exact = [_exact_dogs(v, owners, q, 5) for q in probes]
    first = sum(g.search(q, k=5)[0][0] == ex[0] for q, ex in zip(probes, exact, strict=True))
    assert first >= 297  # the right dog first, as exact search has it, for 99 % of the probes
    # every list searched: the 8-bit codes and the exact re-rank give exact search's five dogs in its order
    import faiss

    faiss.extract_index_ivf(g._index).nprobe = faiss.extract_index_ivf(g._index).nlist
    same = sum([d for d, _ in g.search(q, k=5)] == ex for q, ex in zip(probes, exact, strict=True))
    assert same >= 297
    dog, score, tkeys = g.search_templates(v[12], k=1)[0]
    assert dog == owners[12] and tkeys[0] == keys[12] and score == pytest.approx(1.0, abs=2e-3)
    # changes after the build: added to the trained index, removed, kept through a snapshot
    g.add(["new-1"], ["dog-new"], _unit(1, dim, 99))
    g.remove_dog("dog00002")
    assert g.search(_unit(1, dim, 99)[0], k=1)[0][0] == "dog-new"
    assert all(d != "dog00002" for d, _ in g.search(centres[2], k=5))
    g.save(tmp_path / "index", "s1")
    h = Gallery.load(tmp_path / "index", "s1", dim)
    assert h.approximate and len(h) == 5996 and h.dogs == 1200 and "new-1" in h and keys[10] not in h
    faiss.extract_index_ivf(h._index).nprobe = faiss.extract_index_ivf(h._index).nlist
    assert [d for d, _ in h.search(probes[5], k=5)] == [d for d, _ in g.search(probes[5], k=5)]


def test_snapshot_checksum_mismatch_is_not_loaded(tmp_path):
    g = Gallery(16)
    g.add(["a", "b"], ["d1", "d2"], _unit(2, 16))
    g.save(tmp_path, "s")
    assert Gallery.load(tmp_path, "s", 16) is not None
    import json

    manifest = json.loads((tmp_path / MANIFEST).read_text())
    keys_file = tmp_path / manifest["files"]["keys.npy"]["name"]
    data = bytearray(keys_file.read_bytes())
    data[-1] ^= 1
    keys_file.write_bytes(bytes(data))
    assert Gallery.load(tmp_path, "s", 16) is None


def test_snapshot_exact_vectors_checked_by_size_samples_and_in_the_background(tmp_path, monkeypatch):
    """The largest file (the exact vectors) is not read at start: a torn one (short, or a sampled block changed) is
    refused at once; a byte changed between the samples is found by the background check, which re-ranks on the
    8-bit codes and removes the manifest (the next start rebuilds)."""
    import json

    from core.recognition import gallery_store

    monkeypatch.setattr(Gallery, "ANN_MIN", 1000)
    monkeypatch.setattr(gallery_store, "SAMPLES", 4)  # blocks at 0, 64, 128 and 188 KB of a 192 KB file
    monkeypatch.setattr(gallery_store, "SAMPLE_BYTES", 4096)
    dim = 32
    centres, v, keys, owners = _dogs_like(600, 5, dim, spread=0.2)
    g = Gallery.build(dim, _chunks(keys, owners, v), len(keys), tmp_path)
    g.save(tmp_path, "s")
    h = Gallery.load(tmp_path, "s", dim)
    assert h is not None and h.verify(timeout=30) and not h.damaged
    vec = tmp_path / json.loads((tmp_path / MANIFEST).read_text())["files"]["vectors.f16"]["name"]
    whole = vec.read_bytes()
    vec.write_bytes(whole[:-2])  # torn: short
    assert Gallery.load(tmp_path, "s", dim) is None
    vec.write_bytes(b"\0\0" + whole[2:])  # the first block is always sampled
    assert Gallery.load(tmp_path, "s", dim) is None
    middle = bytearray(whole)
    middle[4096 + 11] ^= 0x40  # between the sampled blocks
    vec.write_bytes(bytes(middle))
    h = Gallery.load(tmp_path, "s", dim)
    assert h is not None  # started: the damage is found in the background
    assert not h.verify(timeout=30) and h.damaged and not (tmp_path / MANIFEST).exists()
    assert h.search(centres[3], k=1)[0][0] == owners[15]  # re-ranked on the 8-bit codes meanwhile
    with pytest.raises(OSError):
        h.save(tmp_path, "s")


def test_two_writers_on_one_folder_never_mix(tmp_path):
    """Two galleries saved into one folder at once, over and over: what loads is always one of them whole."""
    a, b = Gallery(32), Gallery(32)
    a.add([f"a{i}" for i in range(300)], [f"A{i // 3}" for i in range(300)], _unit(300, 32, 1))
    b.add([f"b{i}" for i in range(500)], [f"B{i // 5}" for i in range(500)], _unit(500, 32, 2))
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(g):
        try:
            while not stop.is_set():
                g.save(tmp_path, "s")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(g,)) for g in (a, b)]
    for t in threads:
        t.start()
    seen = set()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 4:
        h = Gallery.load(tmp_path, "s", 32)
        if h is None:
            continue
        probe = _unit(300, 32, 1)[7] if len(h) == 300 else _unit(500, 32, 2)[7]
        assert len(h) in (300, 500)
        dog = h.search(probe, k=1)[0][0]
        assert dog == ("A2" if len(h) == 300 else "B1")  # its index, keys and dogs belong together
        seen.add(len(h))
    stop.set()
    for t in threads:
        t.join()
    assert not errors and seen
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert not leftovers


# ------------------------------------------------------------------------------------------- the service
def _service(settings):
    from core.recognition.standin import StandInEngine
    from core.usecases import SavePets

    return SavePets(settings, engine=StandInEngine())


def _register(sp, dog: int, phone_tail: int):
    return sp.register(OwnerIn(phone=f"010-4444-{phone_tail:04d}"), DogIn(name=f"개{dog}"), dog_photos(dog)).dog


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_start_from_snapshot_plus_the_changes_since(settings):
    first = _service(settings)
    assert len(first.gallery) == 0 and first.gallery_counters()["full_loads"] == 1  # built, and saved
    one = _register(first, 11, 1)
    first.close()
    second = _service(settings)  # the snapshot (empty), then the dog registered since
    assert len(second.gallery) == 5 and second.gallery_counters()["snapshot_loads"] == 1
    assert second.gallery_counters()["full_loads"] == 0
    two = _register(second, 12, 2)
    second.delete_dog(one.id)
    second.close()
    third = _service(settings)
    try:
        c = third.gallery_counters()
        assert len(third.gallery) == 5 and c["full_loads"] == 0 and c["snapshot_loads"] == 1
        dogs = {d for d, _ in third.gallery.search(third.engine.embed([dog_photos(12, n=1)[0].image])[0], k=3)}
        assert dogs == {two.id}
    finally:
        third.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_damaged_snapshot_is_rebuilt_from_the_database(settings):
    sp = _service(settings)
    _register(sp, 21, 1)
    sp.close()
    sp = _service(settings)
    assert len(sp.gallery) == 5 and sp.gallery_counters()["snapshot_loads"] == 1
    sp.close()
    keys = next(p for p in settings.index_dir.iterdir() if p.name.endswith(".keys.npy"))
    keys.write_bytes(keys.read_bytes()[:-3] + b"xyz")
    sp = _service(settings)
    try:
        assert len(sp.gallery) == 5 and sp.gallery_counters()["full_loads"] == 1
    finally:
        sp.close()


def test_refresh_reads_only_the_changes(settings):
    """Two services on one registry: the second learns of the first's registration and deletion incrementally."""
    a, b = _service(settings), _service(settings)
    try:
        assert len(a.gallery) == 0 and len(b.gallery) == 0
        dog = _register(a, 31, 1)
        b.refresh_gallery()
        assert len(b.gallery) == 5 and dog.id in {d for d, _ in b.gallery.search(
            b.engine.embed([dog_photos(31, n=1)[0].image])[0], k=1)}
        a.delete_dog(dog.id)
        b.refresh_gallery()
        c = b.gallery_counters()
        assert len(b.gallery) == 0 and c["full_loads"] + c["snapshot_loads"] == 1 and c["incremental_updates"] == 2
        assert c["templates_added"] == 5 and c["templates_removed"] == 5
    finally:
        a.close()
        b.close()


# ------------------------------------------------------------------------------------------- real server processes
@pytest.fixture
def shared_db(tmp_path):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
        url = create_mysql_database()
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI"):
            raise
        pytest.skip(f"MariaDB or Redis not reachable: {exc}")
    try:
        yield url, tmp_path / "data"
    finally:
        drop_mysql_database(url)


def _loads(log: str) -> int:
    return len(re.findall(r"gallery: (full load from the database|\d+ templates of \d+ dogs from the snapshot)", log))


@pytest.mark.parametrize("with_redis", [True, False], ids=["redis", "polling"])
def test_two_server_processes_update_incrementally(shared_db, with_redis):
    url, data = shared_db
    key = Server(url, data).key("admin")
    extra = {"redis_url": REDIS_URL} if with_redis else {}
    a = Server(url, data, **extra).launch()
    b = Server(url, data, **extra).launch()
    try:
        a.wait_ready()
        b.wait_ready()
        if not with_redis:
            assert "read from the change log every 5 s" in b.log()
        limit = 2.0 if with_redis else 12.0
        with a.client(key) as ca, b.client(key) as cb:
            for registrar, finder in ((ca, cb), (cb, ca), (ca, cb)):
                dog = new_dog()
                assert register(registrar, dog).status_code == 201
                t0 = time.monotonic()
                while lookup(finder, dog).json()["decision"] != Decision.MATCH:
                    assert time.monotonic() - t0 < limit
                    time.sleep(0.1)
        time.sleep(0.5)
        for server in (a, b):
            log = server.log()
            assert _loads(log) == 1, log  # the one load at start, never again
            assert "gallery: incremental update from the change log" in log
    finally:
        a.stop()
        b.stop()


def test_refresh_finds_changes_with_their_origins_stamps(settings):
    """A kiosk's push keeps the kiosk's stamps (older than any mark): the change log's seq brings it in."""
    from datetime import timedelta

    from sqlalchemy import update

    from core.registry.models import Dog, NoseTemplate, utcnow
    from core.replication.changelog import log_changes, take_lock

    a, b = _service(settings), _service(settings)
    try:
        assert len(b.gallery) == 0
        photos = dog_photos(41)
        dog = a._write_registration(OwnerIn(phone="010-4444-0041"), DogIn(name="푸시"), photos,
                                    a.engine.embed([p.image for p in photos]), [1.0] * 5, utcnow()).dog
        old = utcnow() - timedelta(days=3)
        with a.db.session() as s:
            take_lock(s)
            s.execute(update(NoseTemplate).where(NoseTemplate.dog_id == dog.id).values(updated_at=old))
            s.execute(update(Dog).where(Dog.id == dog.id).values(updated_at=old))
            log_changes(s, [("dog", dog.id)], "kiosk-1")
        b.refresh_gallery()
        assert len(b.gallery) == 5 and b.gallery_counters()["full_loads"] + b.gallery_counters()["snapshot_loads"] == 1
    finally:
        a.close()
        b.close()
