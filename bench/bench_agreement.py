"""How often do the photos of one dog agree, and how often does a stray photo of another dog slip in?

Registration refuses a photo whose best similarity to the other photos of the set is below the engine's
agreement threshold. This prints, on the tune dogs (never the test dogs), the share of genuine photos that
pass and of stray photos (another dog's) that pass, for candidate thresholds; the chosen value goes into
the engine's JSON as "agreement_threshold".

    python bench/bench_agreement.py ../shared/data/nose-pbc2022 --engine learned
"""

from __future__ import annotations

import argparse

import numpy as np

from core.photos import limit_size
from core.recognition.data import list_dogs, read_bgr
from core.recognition.factory import load_engine


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--split", default="tune")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    engine = load_engine(args.engine)
    dogs = [d for d in list_dogs(args.data, args.split).values() if len(d) >= 3]
    emb = [engine.embed([limit_size(read_bgr(p)) for p in photos[:5]]) for photos in dogs]
    rng = np.random.default_rng(args.seed)
    genuine, stray = [], []
    for i, e in enumerate(emb):
        s = e @ e.T
        np.fill_diagonal(s, -1)
        genuine.extend(s.max(1).tolist())
        j = (i + 1 + rng.integers(len(emb) - 1)) % len(emb)
        stray.append(float((e[:4] @ emb[j][rng.integers(len(emb[j]))]).max()))
    genuine, stray = np.array(genuine), np.array(stray)
    print(f"{engine.name} {engine.version}: {len(dogs)} {args.split} dogs, {len(genuine)} photos; "
          f"current agreement threshold {engine.agreement_threshold:.3f}")
    for q in (0.02, 0.05, 0.08, 0.10, 0.15, 0.20, 0.25):
        t = float(np.quantile(genuine, q))
        print(f"threshold {t:.3f}: genuine photos pass {np.mean(genuine >= t):.3f}, stray photos pass "
              f"{np.mean(stray >= t):.3f}")


if __name__ == "__main__":
    main()
