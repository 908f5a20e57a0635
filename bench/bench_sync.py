"""Sync benchmark, loopback only: a real `savepets serve` process (stand-in engine) and kiosks in this process.

    python bench/bench_sync.py [--registrations 1000] [--offline-changes 10000] [--db URL] [--no-photos]

1. A kiosk with N registrations made offline pushes them all to an empty server (photos, then rows).
2. A fresh kiosk pulls those N registrations (templates, and photos unless --no-photos).
3. That kiosk goes offline while the server takes M more changes (60 % new registrations, 40 % edits of
   existing dogs), then catches up.

Rows are generated directly through the core's tables for speed (5 small distinct JPEG photos and 5 stand-in
templates per dog, an outbox row per change), not through the recognition pipeline.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402


def tiny_jpeg(rng: np.random.Generator) -> bytes:
    img = cv2.resize(rng.integers(0, 255, (8, 8), dtype=np.uint8), (64, 64), interpolation=cv2.INTER_CUBIC)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_GRAY2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return buf.tobytes()


def generate_registrations(sp, n: int, tag: str, seed: int) -> list[str]:
    """n dogs (each with its own owner), 5 photos and 5 templates each, and an outbox row per dog."""
    from core.registry.encrypted import place_rows
    from core.registry.models import Dog, NosePhoto, NoseTemplate, Outbox, Owner, utcnow

    rng = np.random.default_rng(seed)
    e = sp.engine
    ids = []
    now = utcnow()
    for start in range(0, n, 250):
        with sp.db.session() as s:
            rows: dict[type, list[dict]] = {Owner: [], Dog: [], NosePhoto: [], NoseTemplate: [], Outbox: []}
            for i in range(start, min(n, start + 250)):
                oid, did = str(uuid.uuid4()), str(uuid.uuid4())
                ids.append(did)
                common = {"created_at": now, "updated_at": now, "origin_device": sp.device_id}
                rows[Owner].append({"id": oid, "phone": f"+8210{seed % 100:02d}{i:06d}", "name": f"owner {i}",
                                    **common})
                rows[Dog].append({"id": did, "owner_id": oid, "registration_number": f"{tag}{i:06d}",
                                  "registered_at": now, "name": f"dog {i}", "breed": "", "sex": "unknown",
                                  "notes": "", "status": "home", **common})
                vecs = rng.standard_normal((5, e.dim)).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                for p in range(5):
                    sha, _ = sp.store.put(tiny_jpeg(rng))
                    pid = str(uuid.uuid4())
                    rows[NosePhoto].append({"id": pid, "dog_id": did, "sha256": sha, "path": sp.store.relpath(sha),
                                            "width": 64, "height": 64, "quality": 1.0, "position": p, **common})
                    rows[NoseTemplate].append({"id": str(uuid.uuid4()), "photo_id": pid, "dog_id": did,
                                               "model_name": e.name, "model_version": e.version, "dim": e.dim,
                                               "vector": vecs[p].tobytes(), "quality": 1.0, **common})
                rows[Outbox].append({"change_id": str(uuid.uuid4()), "entity": "dog", "entity_id": did,
                                     "op": "upsert", "payload": {}, "created_at": now})
            for model in (Owner, Dog, NosePhoto, NoseTemplate, Outbox):
                s.execute(model.__table__.insert(), place_rows(model, rows[model]))
    return ids


def generate_edits(sp, dog_ids: list[str], n: int, seed: int) -> None:
    from sqlalchemy import update

    from core.registry.encrypted import place_rows, place_values
    from core.registry.models import Dog, Outbox, utcnow

    rnd = random.Random(seed)
    for start in range(0, n, 500):
        with sp.db.session() as s:
            now = utcnow()
            outbox = []
            for i in range(start, min(n, start + 500)):
                did = rnd.choice(dog_ids)
                s.execute(update(Dog).where(Dog.id == did).values(**place_values(Dog, did, {"notes": f"edit {i}",
                                                                              "updated_at": now})))
                outbox.append({"change_id": str(uuid.uuid4()), "entity": "dog", "entity_id": did, "op": "upsert",
                               "payload": {}, "created_at": now})
            s.execute(Outbox.__table__.insert(), place_rows(Outbox, outbox))


def timed(label: str, fn):
    t0 = time.perf_counter()
    result = fn()
    dt = time.perf_counter() - t0
    print(f"{label}: {dt:.1f} s", flush=True)
    return result, dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--registrations", type=int, default=1000)
    ap.add_argument("--offline-changes", type=int, default=10000)
    ap.add_argument("--db", help="server database URL (default: SQLite in a temporary folder)")
    ap.add_argument("--no-photos", action="store_true", help="kiosks pull rows and templates, not photos")
    args = ap.parse_args()

    from core.settings import Settings
    from core.usecases import SavePets
    from sync.client import SyncClient
    from tests.sync_harness import ServerProcess, make_key, make_kiosk

    root = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    url = args.db or f"sqlite:///{root / 'server' / 'registry.sqlite3'}"
    (root / "server").mkdir()
    key = make_key(url)
    srv = ServerProcess(url, root / "server").start()
    fetch = not args.no_photos
    print(f"server: {url.split('://')[0]}, data in {root}; photos pulled: {fetch}", flush=True)
    try:
        n = args.registrations
        a = make_kiosk(root / "a", srv.url, key)
        (ids, _) = timed(f"generate {n} registrations on kiosk A", lambda: generate_registrations(a, n, "A", 1))
        ca = SyncClient(a, fetch_photos=fetch)
        rep, t_push = timed(f"A pushes {n} registrations ({5 * n} photos) to the server", ca.push)
        assert rep.pushed == n and ca.status.pending == 0, rep
        timed("A pulls them back (its own changes, as acknowledged state)", ca.pull)

        b = make_kiosk(root / "b", srv.url, key)
        cb = SyncClient(b, fetch_photos=fetch)
        rep, t_fresh = timed(f"fresh kiosk B pulls {n} registrations", cb.sync_once)
        assert cb.status.state == "online" and rep.pulled == n, (cb.status, rep)
        print(f"   {rep.summary()}")
        look = time.perf_counter()
        assert b.counts()["dogs"] == n
        print(f"   B's gallery: {b.counts()['templates']} templates ({time.perf_counter() - look:.1f} s)")

        m = args.offline_changes
        new, edits = int(m * 0.6), m - int(m * 0.6)
        server_sp = SavePets(Settings(db_url=url, data_dir=root / "server", engine="standin"),
                             engine=a.engine)
        (new_ids, _) = timed(f"server takes {new} new registrations while B is offline",
                             lambda: generate_registrations(server_sp, new, "S", 2))
        timed(f"... and {edits} edits of existing dogs", lambda: generate_edits(server_sp, ids + new_ids, edits, 3))
        server_sp.close()
        rep, t_catch = timed(f"B catches up {m} changes", cb.sync_once)
        assert cb.status.state == "online", cb.status
        print(f"   {rep.summary()}")
        assert b.counts()["dogs"] == n + new
        print(f"\nSUMMARY push {n} registrations from a kiosk: {t_push:.1f} s; fresh kiosk pull {n}: {t_fresh:.1f} s;"
              f" catch up {m} changes ({rep.pulled} entities after compaction): {t_catch:.1f} s"
              f" [photos pulled: {fetch}]")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
