"""Look-up latency through the REST API (POST /v1/lookup) with a few clients at once, on a registry of real dogs:
what scale_api.py measures (../shared/tools/scale_api.py), without registering every dog through the API first.

    python bench/bench_lookup_rest.py [--dogs 1000] [--probes 150] [--clients 3] [--profile FILE]
                                      [--keep DIR] [--answers FILE]

Fills a SQLite registry in a temporary folder the way the registration writer does (bench/real_registry.py: each
dog's photos but its last, at most 5, with templates of the installed engine and whatever else registration keeps
for its photos); every 20th dog of ../shared/data/nose-pbc2022 (by folder name) is kept out as a stranger. Then
starts `savepets serve` on that registry (default settings: 2 worker threads) and sends the look-ups from
--clients threads at once, half of them the last photo of a registered dog (a photo it was not registered with),
half the first photo of a stranger, as scale_api.py does. Prints JSON: wall p50/p95 per look-up as the clients see
it, the server's CPU time per look-up (from /proc), the answers; --answers FILE writes each probe's answer (its
decision, the dogs shown and their scores) to compare two versions; --profile FILE runs py-spy on the server during
the look-ups (raw collapsed stacks; needs py-spy in the environment); --keep DIR keeps the filled registry there
(with its key file) and --registry DIR starts from a copy of it instead of filling one (the same --dogs and --data);
--priority -10 runs the server and the clients ahead of the machine's other work (root only).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fill(data_dir: Path, dogs: dict[str, list[Path]], enrolled: list[str]) -> float:
    from real_registry import register_real_dog

    from core.settings import Settings
    from core.usecases import SavePets

    sp = SavePets(Settings(data_dir=data_dir))
    t0 = time.perf_counter()
    for i, d in enumerate(enrolled):
        register_real_dog(sp, i, d, dogs[d][:-1][:5])
        if (i + 1) % 250 == 0:
            print(f"registered {i + 1} dogs in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    sp.gallery  # noqa: B018 - the snapshot the server starts from
    sp.close()
    return time.perf_counter() - t0


def main() -> None:
    import httpx

    from core.recognition.data import list_dogs
    from tests.serverkit import Server

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "nose-pbc2022"))
    ap.add_argument("--dogs", type=int, default=1000)
    ap.add_argument("--probes", type=int, default=150)
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--profile", help="py-spy raw stacks of the server during the look-ups, to this file")
    ap.add_argument("--answers", help="each probe's answer, to this file (JSON)")
    ap.add_argument("--keep", help="keep the filled registry in this folder")
    ap.add_argument("--registry", help="start from a registry kept by --keep instead of filling one (a copy is used)")
    ap.add_argument("--priority", type=int, default=0,
                    help="nice value (negative: needs root) for the server's threads and this process's clients "
                         "during the look-ups: on a machine busy with other work, what a server with the machine to "
                         "itself would see")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="savepets-rest-bench-"))
    if a.registry:
        shutil.copytree(a.registry, tmp, dirs_exist_ok=True)
    os.environ.setdefault("SAVEPETS_KEY_FILE", str(tmp / "registry.key"))
    os.environ["SAVEPETS_CONFIG"] = str(tmp / "no-config.toml")
    data_dir = tmp / "data"
    dogs = {d: ps for d, ps in list_dogs(a.data).items() if len(ps) >= 2}
    names = sorted(dogs)
    strangers = names[::20]
    enrolled = [d for d in names if d not in set(strangers)][: a.dogs]
    build_s = 0.0 if a.registry else fill(data_dir, dogs, enrolled)

    rng = np.random.default_rng(0)
    half = a.probes // 2
    probes = [("enrolled", d, dogs[d][-1]) for d in rng.permutation(enrolled)[:half]]
    probes += [("stranger", d, dogs[d][0]) for d in strangers[: a.probes - half]]
    probes = [probes[i] for i in rng.permutation(len(probes))]

    srv = Server(f"sqlite:///{data_dir / 'registry.sqlite3'}", data_dir, engine="auto").start(timeout=300)
    out: dict = {}
    try:
        key = srv.key("kiosk", "bench")
        client = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {key}"}, timeout=120,
                              limits=httpx.Limits(max_connections=a.clients))
        walls: list[float] = []
        answers: dict[str, dict] = {}
        lock = threading.Lock()

        def lookup(item: tuple[str, str, Path]) -> None:
            kind, dog, path = item
            t0 = time.perf_counter()
            r = client.post("/v1/lookup", files={"photo": (path.name, path.read_bytes(), "image/jpeg")})
            wall = time.perf_counter() - t0
            body = r.json() if r.status_code == 200 else {}
            shown = ([body["match"]] if body.get("match") else []) + (body.get("candidates") or [])
            with lock:
                walls.append(wall)
                answers[f"{kind}:{dog}"] = {
                    "status": r.status_code, "decision": body.get("decision"),
                    "right": any(c["dog"]["name"] == f"Dog {dog}" for c in shown[:1]),
                    "shown": [[c["dog"]["name"], c["score"]] for c in shown]}

        if a.priority:
            os.setpriority(os.PRIO_PROCESS, 0, a.priority)
        for item in probes[:3]:  # warm: the engine's first run, the gallery, the caches of the server
            lookup(item)
        if a.priority:  # every thread of the server (Linux sets a nice value per thread)
            for task in Path(f"/proc/{srv.proc.pid}/task").iterdir():
                os.setpriority(os.PRIO_PROCESS, int(task.name), a.priority)
        walls.clear()
        profiler = None
        if a.profile:
            spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
            profiler = subprocess.Popen([spy, "record", "-p", str(srv.proc.pid), "-r", "200", "-f", "raw", "-o",
                                         a.profile, "--threads", "--nonblocking", "--idle"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        cpu0, t0 = cpu_seconds(srv.proc.pid), time.perf_counter()
        with ThreadPoolExecutor(a.clients) as ex:
            list(ex.map(lookup, probes))
        wall_s, cpu = time.perf_counter() - t0, cpu_seconds(srv.proc.pid) - cpu0
        if profiler is not None:
            profiler.send_signal(2)
            profiler.wait(60)
        client.close()
        decisions: dict[str, int] = {}
        for k, v in answers.items():
            key_ = f"{k.split(':')[0]}_{v['decision']}" + ("_right" if v["decision"] == "match" and v["right"] and
                                                          k.startswith("enrolled") else "")
            decisions[key_] = decisions.get(key_, 0) + 1
        out = {"registry_dogs": len(enrolled), "build_s": round(build_s), "clients": a.clients, "priority": a.priority,
               "lookups": len(walls), "lookups_per_s": round(len(walls) / wall_s, 2),
               "p50_ms": round(float(np.median(walls)) * 1000, 1),
               "p95_ms": round(float(np.percentile(walls, 95)) * 1000, 1),
               "server_cpu_ms_per_lookup": round(cpu / len(walls) * 1000, 1),
               "answers": dict(sorted(decisions.items()))}
        if a.answers:
            Path(a.answers).write_text(json.dumps(dict(sorted(answers.items())), indent=0))
    finally:
        srv.stop()
        if a.keep:
            shutil.copytree(tmp, a.keep, dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
