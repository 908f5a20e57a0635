"""Load bench of the REST server on loopback: N concurrent clients mixing look-ups and registrations.

    python bench/bench_server_load.py                   # 32 clients, SQLite, stand-in engine
    python bench/bench_server_load.py --db mysql        # a fresh MariaDB database (dropped afterwards)
    python bench/bench_server_load.py --engine auto --real --requests 100
                                                        # the real default engine on real nose photos

Prints throughput, p50/p99 latency and the error count of (1) look-ups only and (2) a mix of look-ups and
registrations; then checks the registry: every registration answered 201 is there exactly once, and
nothing else was added (no lost, no duplicated registrations). Last, the look-up throughput of the use case
alone (decode + SavePets.lookup in this process, one thread) and the ratio server / in-process.
Bounded: --requests per phase and --max-seconds per phase.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from tests.imaging import dog_photo_bytes  # noqa: E402
from tests.serverkit import Server, create_mysql_database, drop_mysql_database  # noqa: E402

NOSE_DATA = REPO.parent / "shared" / "data" / "nose-pbc2022"


def phone(i: int) -> str:
    return f"010-{2000 + i // 9000:04d}-{1000 + i % 9000:04d}"


class Synthetic:
    """Stand-in engine: one random texture per dog, tiny noise per photo (every registration succeeds)."""

    register_ok = {201}

    def __init__(self, rng: random.Random):
        self.rng, self.base, self.next = rng, rng.randrange(10**6, 10**7), 0

    def new_dog(self):
        self.next += 1
        dog = self.base + self.next
        return dog, [(f"{dog}-{s}.jpg", dog_photo_bytes(dog, s)) for s in range(5)]

    def probe(self, dog) -> bytes:
        return dog_photo_bytes(dog, 5 + self.rng.randrange(50))


class Real:
    """Real nose photos (../shared/data/nose-pbc2022, dogs with 6 or more): register the first 5, probe with
    the rest. A real engine may refuse a set (422) or call it a registered dog (409): both are answers."""

    register_ok = {201, 409, 422}

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.dogs = iter(d for d in sorted(NOSE_DATA.iterdir()) if len(list(d.glob("*.jpg"))) >= 6)
        self.shots: dict[str, list[Path]] = {}

    def new_dog(self):
        d = next(self.dogs)
        shots = sorted(d.glob("*.jpg"), key=lambda p: int(p.stem))
        self.shots[d.name] = shots
        return d.name, [(p.name, p.read_bytes()) for p in shots[:5]]

    def probe(self, dog) -> bytes:
        return self.rng.choice(self.shots[dog][5:]).read_bytes()


def register_form(dog, photos, i: int):
    data = {"phone": phone(i), "name": f"Bench {dog}"}
    return data, [("photos", (name, data_, "image/jpeg")) for name, data_ in photos]


async def run_phase(url: str, key: str, jobs: list[tuple], clients: int, max_seconds: float):
    """jobs: ("lookup", photo_bytes) or ("register", data, files). Returns results and wall time."""
    queue: asyncio.Queue = asyncio.Queue()
    for j in jobs:
        queue.put_nowait(j)
    results: list[tuple[str, int, float, dict | None]] = []
    deadline = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient):
        while time.monotonic() < deadline:
            try:
                job = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t0 = time.perf_counter()
            try:
                if job[0] == "lookup":
                    r = await http.post("/v1/lookup", files={"photo": ("probe.jpg", job[1], "image/jpeg")})
                else:
                    r = await http.post("/v1/dogs", data=job[1], files=job[2])
                status, body = r.status_code, (r.json() if r.headers.get("content-type", "").startswith(
                    "application/json") else None)
            except httpx.HTTPError as exc:
                status, body = 0, {"exception": repr(exc)}
            results.append((job[0], status, time.perf_counter() - t0, body))

    health: list[float] = []  # the event loop stays free while recognition runs: /v1/health answers at once

    async def probe(http: httpx.AsyncClient, done: asyncio.Event):
        while not done.is_set():
            t0 = time.perf_counter()
            await http.get("/v1/health")
            health.append(time.perf_counter() - t0)
            await asyncio.sleep(0.25)

    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120,
                                 limits=limits) as http, httpx.AsyncClient(base_url=url, timeout=30) as side:
        done = asyncio.Event()
        prober = asyncio.create_task(probe(side, done))
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        wall = time.perf_counter() - t0
        done.set()
        await prober
    health.sort()
    print(f"   /v1/health during the phase: {len(health)} probes, median {health[len(health) // 2] * 1000:.0f} ms, "
          f"max {health[-1] * 1000:.0f} ms")
    return results, wall


def report(title: str, results, wall: float, expected: dict[str, set[int]]) -> dict:
    lat = sorted(r[2] for r in results)
    errors = [r for r in results if r[1] not in expected[r[0]]]
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [lat[0]] * 99 if lat else [0] * 99
    kinds = {k: sum(1 for r in results if r[0] == k) for k in expected}
    print(f"{title}: {len(results)} requests ({', '.join(f'{v} {k}' for k, v in kinds.items())}) in {wall:.1f} s "
          f"= {len(results) / wall:.1f} req/s; latency p50 {q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms; "
          f"errors {len(errors)}")
    for e in errors[:5]:
        print("   error:", e[0], e[1], str(e[3])[:200])
    return {"throughput": len(results) / wall, "errors": len(errors)}


def in_process_lookups(db_url: str, data_dir: Path, engine: str, probes: list[bytes], max_seconds: float) -> float:
    from core.photos import decode_photo
    from core.settings import Settings
    from core.usecases import SavePets

    sp = SavePets(Settings(db_url=db_url, data_dir=data_dir, engine=engine))
    try:
        sp.lookup(decode_photo(probes[0]))  # warm
        n, t0 = 0, time.perf_counter()
        for p in probes:
            sp.lookup(decode_photo(p))
            n += 1
            if time.perf_counter() - t0 > max_seconds:
                break
        return n / (time.perf_counter() - t0)
    finally:
        sp.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--requests", type=int, default=400, help="requests per phase")
    ap.add_argument("--register-share", type=float, default=0.25, help="share of registrations in the mix")
    ap.add_argument("--max-seconds", type=float, default=90, help="time cap per phase")
    ap.add_argument("--workers", type=int, default=2, help="server worker threads (settings.workers)")
    ap.add_argument("--engine", default="standin")
    ap.add_argument("--db", choices=["sqlite", "mysql"], default="sqlite")
    ap.add_argument("--real", action="store_true", help="real nose photos (for a real --engine)")
    ap.add_argument("--seed-dogs", type=int, default=20, help="dogs registered before the phases")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="savepets-bench-"))
    db_url = create_mysql_database("savepets_bench") if args.db == "mysql" else f"sqlite:///{tmp / 'r.sqlite3'}"
    srv = Server(db_url, tmp / "data", engine=args.engine, workers=args.workers,
                 rate_limit_per_minute=10_000_000, max_upload_mb=50).start(timeout=300)
    rng = random.Random(7)
    source = Real(rng) if args.real else Synthetic(rng)
    try:
        key = srv.key("kiosk", "bench")
        print(f"server: {srv.url}, db {args.db}, engine {args.engine}, {args.workers} worker threads, "
              f"{args.clients} clients")
        seeded, tries = [], 0
        with httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key}"}, timeout=300) as c:
            while len(seeded) < args.seed_dogs and tries < args.seed_dogs * 4:
                dog, photos = source.new_dog()
                tries += 1
                data, files = register_form(dog, photos, tries)
                r = c.post("/v1/dogs", data=data, files=files)
                assert r.status_code in source.register_ok, r.text
                if r.status_code == 201:
                    seeded.append((dog, r.json()["dog"]["id"]))
        print(f"seeded {len(seeded)} dogs ({tries} tried)")
        picks = [rng.choice(seeded) for _ in range(args.requests)]
        probes = [source.probe(dog) for dog, _ in picks]

        results, wall = asyncio.run(run_phase(srv.url, key, [("lookup", p) for p in probes], args.clients,
                                              args.max_seconds))
        lookups = report("look-ups only", results, wall, {"lookup": {200}})
        found = sum(1 for r in results if r[1] == 200 and r[3]["decision"] == "match")
        print(f"   decision 'match' for {found} of {len(results)} probes of registered dogs")
        if not args.real:
            assert found == len(results), "a known dog was not matched"

        jobs = []
        for i in range(args.requests):
            if rng.random() < args.register_share:
                dog, photos = source.new_dog()
                jobs.append(("register", *register_form(dog, photos, 10_000 + i)))
            else:
                jobs.append(("lookup", probes[i]))
        results, wall = asyncio.run(run_phase(srv.url, key, jobs, args.clients, args.max_seconds))
        mixed = report("mixed", results, wall, {"lookup": {200}, "register": source.register_ok})

        numbers = [r[3]["dog"]["registration_number"] for r in results if r[0] == "register" and r[1] == 201]
        engine = create_engine(db_url)
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT registration_number, COUNT(*) FROM dogs "
                                          "GROUP BY registration_number")).all())
            total = conn.execute(text("SELECT COUNT(*) FROM dogs")).scalar()
        engine.dispose()
        lost = [n for n in numbers if rows.get(n, 0) == 0]
        duplicated = [n for n in numbers if rows.get(n, 0) > 1] + [n for n in set(numbers) if numbers.count(n) > 1]
        extra = total - len(seeded) - len(numbers)
        print(f"registrations: {len(numbers)} answered 201; in the registry: lost {len(lost)}, duplicated "
              f"{len(duplicated)}, unexpected extra rows {extra}")
    finally:
        srv.stop()

    alone = in_process_lookups(db_url, tmp / "data", args.engine, probes, args.max_seconds)
    print(f"in-process look-up (decode + SavePets.lookup, 1 thread): {alone:.1f} /s; server look-ups "
          f"{lookups['throughput']:.1f} /s = {lookups['throughput'] / alone:.2f} x in-process")
    if args.db == "mysql":
        drop_mysql_database(db_url)
    ok = not (lost or duplicated or extra) and lookups["errors"] == 0 and mixed["errors"] == 0
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
