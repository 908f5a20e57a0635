"""How often do the photos of one dog agree, and how often does a stray photo of another dog slip in?

Registration refuses a photo whose best similarity to the other photos of the set is below the engine's
agreement threshold. This prints, on the tune dogs (never the test dogs), the share of genuine photos that
pass and of stray photos (another dog's) that pass, for candidate thresholds. Calibration
(core.recognition.calibration) writes the one that 95 % of genuine photos pass into the engine's JSON as
"agreement_threshold".

    python bench/bench_agreement.py ../shared/data/nose-pbc2022 --engine learned
"""

from __future__ import annotations

import argparse

import numpy as np

from core.recognition.calibration import agreement_scores
from core.recognition.data import list_dogs
from core.recognition.factory import load_engine
from core.recognition.protocols import EmbeddedSet


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--split", default="tune")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    engine = load_engine(args.engine)
    es = EmbeddedSet(list_dogs(args.data, args.split), engine)
    genuine, stray = agreement_scores(es, seed=args.seed)
    print(f"{engine.name} {engine.version}: {len(stray)} {args.split} dogs, {len(genuine)} photos; "
          f"current agreement threshold {engine.agreement_threshold:.3f}")
    for q in (0.02, 0.05, 0.08, 0.10, 0.15, 0.20, 0.25):
        t = float(np.quantile(genuine, q))
        print(f"threshold {t:.3f}: genuine photos pass {np.mean(genuine >= t):.3f}, stray photos pass "
              f"{np.mean(stray >= t):.3f}")


if __name__ == "__main__":
    main()
