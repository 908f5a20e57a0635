"""Start-up as a user meets it: `savepets lookup PHOTO` in a fresh process on a registry of real dogs, and the time
until the kiosk's window is on screen.

    python bench/bench_cold_start.py [--dogs 1000] [--runs 5] [--registry /tmp/savepets-bench-1000]

Builds the registry once (kept in --registry and reused by later runs: every dog of the set but every 20th,
registered with up to 5 photos through the registration writer, as bench_lookup_scale.py does), then runs the
installed `savepets` command as a new process each time. Prints JSON: wall time p50 / min / max of each.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SAVEPETS = str(Path(sys.executable).with_name("savepets"))


def build_registry(folder: Path, data: Path, n: int) -> list[Path]:
    """Register n dogs (unless already there); returns photos of registered dogs not used for enrolment."""
    from core.recognition.data import list_dogs

    dogs = list_dogs(data)
    names = [d for d in sorted(dogs) if d not in set(sorted(dogs)[::20])][:n]
    held = [dogs[d][-1] for d in names if len(dogs[d]) >= 6]
    marker = folder / "built.json"
    if marker.exists() and json.loads(marker.read_text())["dogs"] == n:
        return held
    from real_registry import register_real_dog

    from core.settings import Settings
    from core.usecases import SavePets

    sp = SavePets(Settings(data_dir=folder))
    for i, d in enumerate(names):
        ps = dogs[d]
        register_real_dog(sp, i, d, (ps[:-1] if len(ps) >= 6 else ps)[:5])
        if (i + 1) % 250 == 0:
            print(f"registered {i + 1} dogs", file=sys.stderr, flush=True)
    sp.gallery  # noqa: B018 - the index is saved beside the registry, as after any kiosk start
    sp.close()
    marker.write_text(json.dumps({"dogs": n}))
    return held


def _stats(xs: list[float]) -> dict:
    return {"p50_s": round(float(np.median(xs)), 3), "min_s": round(min(xs), 3), "max_s": round(max(xs), 3)}


def cold_lookups(env: dict, photos: list[Path], runs: int) -> dict:
    walls, codes = [], []
    for p in photos[:runs]:
        t = time.perf_counter()
        out = subprocess.run([SAVEPETS, "lookup", str(p)], env=env, capture_output=True, text=True)
        walls.append(time.perf_counter() - t)
        codes.append(out.returncode)
        if out.returncode not in (0, 4):
            raise SystemExit(f"savepets lookup failed ({out.returncode}): {out.stderr[-1000:]}")
    return {**_stats(walls), "exit_codes": codes}


def kiosk_shown(env: dict, camera: Path, runs: int) -> dict:
    walls = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.Popen([SAVEPETS, "-v", "kiosk", "--camera", str(camera)], env=env, text=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for line in proc.stderr:
                if "kiosk window shown" in line:
                    walls.append(time.perf_counter() - t)
                    break
            else:
                raise SystemExit("the kiosk ended before its window was shown")
        finally:
            proc.kill()
            proc.wait()
    return _stats(walls)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "nose-pbc2022"))
    ap.add_argument("--dogs", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--registry", default=None, help="registry folder (default /tmp/savepets-bench-<dogs>)")
    a = ap.parse_args()
    folder = Path(a.registry or f"/tmp/savepets-bench-{a.dogs}")
    photos = build_registry(folder, Path(a.data), a.dogs)
    env = {**os.environ, "SAVEPETS_DATA_DIR": str(folder), "SAVEPETS_CONFIG": str(folder / "no-config.toml"),
           "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run([SAVEPETS, "lookup", str(photos[-1])], env=env, capture_output=True)  # the OS file cache, once
    out = {"registry_dogs": a.dogs, "lookup_cold_process": cold_lookups(env, photos, a.runs),
           "kiosk_window_shown": kiosk_shown(env, photos[0].parent, a.runs)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
