"""Look-up speed through the use case (core.usecases.SavePets.lookup) on a registry of thousands of real dogs.

    python bench/bench_lookup_scale.py [--dogs 3000] [--probes 60] [--data ../shared/data/nose-pbc2022]

Builds a SQLite registry in a temporary folder: every 20th dog of the set (by folder name) is kept out as a
dog that is not registered; each of the first --dogs others is
written through the registration writer with all its photos but the last three (at most 5; dogs with fewer
photos keep their last one back), with templates of the installed engine. Then times look-ups end to end
(quality gate, embedding, gallery search, centroid scores, RootSIFT verification, decision, registry reads):
one photo of an enrolled dog, three photos of an enrolled dog, and one photo of a dog that is not registered.
Prints JSON with p50/p95 wall time of each kind and the answers given.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    from real_registry import register_real_dog

    from core.errors import PhotosRejected
    from core.photos import decode_photo
    from core.recognition.data import list_dogs
    from core.settings import Settings
    from core.usecases import SavePets

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "nose-pbc2022"))
    ap.add_argument("--dogs", type=int, default=3000, help="at most this many dogs registered (nose-pbc2022 holds "
                                                          "2,830, so 2,689 there)")
    ap.add_argument("--probes", type=int, default=60)
    a = ap.parse_args()

    dogs = list_dogs(a.data)
    names = sorted(dogs)
    strangers = names[::20]  # every 20th dog is never registered: the look-ups of dogs that are not registered
    enrolled_names = [d for d in names if d not in set(strangers)][: a.dogs]
    with tempfile.TemporaryDirectory() as tmp:
        sp = SavePets(Settings(data_dir=Path(tmp)))
        t0 = time.perf_counter()
        held: dict[str, list[Path]] = {}
        for i, d in enumerate(enrolled_names):
            ps = dogs[d]
            keep = 3 if len(ps) >= 5 else 1 if len(ps) >= 2 else 0
            enroll = ps[: len(ps) - keep][:5]
            held[d] = ps[len(ps) - keep:]
            register_real_dog(sp, i, d, enroll)
            if (i + 1) % 500 == 0:
                print(f"registered {i + 1} dogs in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        build_s = time.perf_counter() - t0
        sp.gallery  # noqa: B018 - load the gallery before timing
        n_dogs = sp.gallery.dogs
        rng = np.random.default_rng(0)
        one = [held[d][-1] for d in rng.permutation([d for d in enrolled_names if held[d]])[: a.probes]]
        three = [held[d] for d in rng.permutation([d for d in enrolled_names if len(held[d]) == 3])[: a.probes]]
        unknown = [dogs[d][0] for d in strangers[: a.probes]]

        def timed(groups: list[list[Path]]) -> dict:
            walls, answers = [], {}
            for k, paths in enumerate(groups):
                photos = [decode_photo(p.read_bytes(), label=p.name) for p in paths]
                w = time.perf_counter()
                try:
                    res = sp.lookup(photos)
                except PhotosRejected:  # a photo the quality gate refuses: the kiosk asks for another
                    answers["rejected_by_quality_gate"] = answers.get("rejected_by_quality_gate", 0) + 1
                    continue
                if k:  # the first look-up warms caches and lazy loads
                    walls.append(time.perf_counter() - w)
                key = res.decision.value if res.decision != "match" else (
                    "match_right" if res.match and res.match.dog.name == f"Dog {paths[0].parent.name}"
                    else "match_wrong")
                answers[key] = answers.get(key, 0) + 1
            return {"lookups": len(walls), "p50_ms": round(float(np.median(walls)) * 1000, 1),
                    "p95_ms": round(float(np.percentile(walls, 95)) * 1000, 1), "answers": answers}

        out = {"engine": f"{sp.engine.name} {sp.engine.version}", "registry_dogs": n_dogs,
               "templates": len(sp.gallery), "build_s": round(build_s), "one_photo_enrolled": timed([[p] for p in one]),
               "three_photos_enrolled": timed(three), "one_photo_not_registered": timed([[p] for p in unknown])}
        sp.close()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
