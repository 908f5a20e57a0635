"""Accuracy of an engine on any folder-per-dog photo set, per the protocol of shared/data/README.md.

    python -m core.recognition.evaluate DIR [--engine auto|learned|classical] [--split test] [--enroll 5]

  * closed set: every dog with >= 3 photos enrolls all photos but the last and probes with the last
    (enroll=N: dogs with >= N+1 photos enroll the first N and probe with each of the others); rank-1, rank-5,
    and the answers a person gets at the engine's thresholds: the right dog as a match, as "uncertain", or none;
  * verification: every genuine pair and impostor pairs (all of them, or a random 2 M when there are more):
    ROC AUC, EER, TAR at FAR 1e-2 and 1e-3; and the far tail, exact over every cross-dog pair (protocols.far_tail):
    TAR and the per-pair threshold at FAR 1e-3, 1e-4 and 1e-5;
  * open set: half the dogs (by a seeded shuffle) enroll all photos but the last; their last photos are genuine
    probes and every photo of the other half is a stranger; false-accept rate (a stranger's best score reaches the
    engine's threshold) and false-reject rate (an enrolled dog's probe is not matched to itself at the threshold);
  * latency per photo (quality + embedding, batch of one).
If the engine re-ranks (geometric verification), rank-1/rank-5 and open set are given with and without it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from core.recognition.base import Engine
from core.recognition.data import list_dogs, split_of
from core.recognition.factory import load_engine
from core.recognition.protocols import (
    EmbeddedSet,
    closed_set,
    far_tail,
    latency,
    open_set_rates,
    open_set_scores,
    pair_scores,
    verification,
)
from core.recognition.scale import ENROLL_MAX, scale_report


def evaluate(dir: str | Path, engine: Engine, enroll: int | None = None,
             dogs_filter: Iterable[str] | Callable[[str], bool] | None = None, progress: bool = True,
             split: str = "all", rerank: bool | None = None, distractors: str | Path | None = None,
             distractors_max: int | None = None, lost: int | None = None) -> dict:
    """Evaluate `engine` on the folder-per-dog set `dir` (dogs of `split`, optionally only those accepted by
    `dogs_filter`: a collection of ids or a predicate). rerank=None: re-rank when the engine has a fusion rule.
    With `distractors` (a folder-per-dog set, up to `distractors_max` dogs) the report also has "scale": the
    decisions a person gets with those dogs registered as well (core.recognition.scale), and with `lost` its
    "lost_first": that many enrolled dogs reported lost, found dogs searched among them first
    (core.recognition.reunite_eval). Returns a JSON-able dict."""
    dogs = list_dogs(dir, split)
    if dogs_filter is not None:
        keep = dogs_filter if callable(dogs_filter) else set(dogs_filter).__contains__
        dogs = {d: ps for d, ps in dogs.items() if keep(d)}
    if rerank is None:
        rerank = engine.reranks
    t0 = time.time()
    extra: dict[str, list[Path]] = {}
    if distractors is not None:
        extra = {d: ps[:ENROLL_MAX] for d, ps in list_dogs(distractors).items() if d not in dogs}
        if distractors_max is not None:
            extra = dict(list(extra.items())[:max(0, distractors_max)])
    both = EmbeddedSet({**dogs, **extra}, engine, progress=progress)
    es = both.restricted(list(dogs)) if extra else both
    quality_ok = sum(engine.quality(img).ok for img in es.images)
    out: dict = {"engine": f"{engine.name} {engine.version}", "dir": str(dir), "split": split,
                 "dogs": len(dogs), "photos": len(es.paths), "quality_pass_rate": quality_ok / max(1, len(es.paths))}
    out["closed_set"] = closed_set(es, engine, enroll=None, rerank=rerank, progress=progress)
    if enroll:
        out[f"enroll{enroll}"] = closed_set(es, engine, enroll=enroll, rerank=rerank, progress=progress)
    s, lab = pair_scores(es.emb, es.owner)
    out["verification"] = verification(s, lab)
    out["verification"]["far_tail"] = far_tail(es.emb, es.owner)
    o = open_set_scores(es, engine, rerank=False)
    out["open_set"] = open_set_rates(o, engine.threshold, engine.uncertain_threshold)
    if rerank:
        o = open_set_scores(es, engine, rerank=True, progress=progress)
        out["open_set_reranked"] = open_set_rates(o, engine.threshold, engine.uncertain_threshold)
    if distractors is not None:
        out["scale"] = {"distractors_dir": str(distractors), "distractor_dogs": len(extra),
                        **scale_report(both, list(dogs), list(extra), engine, progress=progress, lost=lost)}
        trained_on = sum(split_of(d) != "test" for d in extra)
        if getattr(engine, "meta", None) and trained_on:
            out["scale"]["note"] = (f"{trained_on} of the {len(extra)} distractor dogs are training or tune dogs of "
                                    "the shipped weights (nose-pbc2022 ids not ending in 0): the weights were "
                                    "trained on them")
    out["latency"] = latency(engine, es.images)
    out["latency"]["embed_batched_ms_per_photo"] = both.embed_s_per_photo * 1000
    out["seconds"] = time.time() - t0
    return out


def eval_command(dir: str, engine: str = "auto", enroll: int | None = None, split: str = "all",
                 rerank: bool | None = None, out: str | None = None, progress: bool = True,
                 distractors: str | None = None, distractors_max: int | None = None, lost: int | None = None) -> dict:
    """CLI entry point (savepets eval DIR [--enroll 5] [--split test] [--distractors DIR2 [--lost N]]): prints and
    returns the result dict."""
    eng = load_engine(engine)
    res = evaluate(dir, eng, enroll=enroll, split=split, rerank=rerank, progress=progress, distractors=distractors,
                   distractors_max=distractors_max, lost=lost)
    if split in ("all", "train", "tune") and getattr(eng, "meta", None):
        # the shipped weights were trained on the 'train' dogs and tuned on the 'tune' dogs of nose-pbc2022
        res["note"] = ("if this is the training set of the weights, only --split test gives figures on dogs "
                       "that training and tuning never saw")
    text = json.dumps(res, indent=1)
    if out:
        Path(out).write_text(text)
    print(text)
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--enroll", type=int, default=None)
    ap.add_argument("--split", default="all", choices=["all", "train", "tune", "test"])
    ap.add_argument("--rerank", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--out", default=None)
    ap.add_argument("--distractors", default=None)
    ap.add_argument("--distractors-max", type=int, default=None)
    ap.add_argument("--lost", type=int, default=None)
    a = ap.parse_args(argv)
    if a.lost and not a.distractors:
        ap.error("--lost needs --distractors")
    eval_command(a.dir, a.engine, a.enroll, a.split, {"auto": None, "on": True, "off": False}[a.rerank], a.out,
                 distractors=a.distractors, distractors_max=a.distractors_max, lost=a.lost)


if __name__ == "__main__":
    main()
