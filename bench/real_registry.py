"""Filling a registry with real dogs for the benches: each through the registration writer with its own templates
(no quality gate, no look-alike screening: the data set's photos are what they are)."""

from __future__ import annotations

from pathlib import Path


def register_real_dog(sp, i: int, dog: str, paths: list[Path]) -> None:
    """Register dog `dog` (the i-th) from these photos, owner phone 010-1xxx-xxxx made from i."""
    from core.photos import decode_photo
    from core.registry.models import utcnow
    from core.schemas import DogIn, OwnerIn

    photos = [decode_photo(p.read_bytes(), label=p.name) for p in paths]
    sp._write_registration(OwnerIn(phone=f"010-{1000 + i // 10000:04d}-{i % 10000:04d}", name=f"Owner {dog}"),
                           DogIn(name=f"Dog {dog}"), photos, sp.engine.embed([p.image for p in photos]),
                           [1.0] * len(photos), registered_at=utcnow())
