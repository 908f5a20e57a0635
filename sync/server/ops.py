"""The heavy use cases as the server runs them: photo bytes in, core result out.

The same functions run in the server's own worker pool (task_backend=local) and in Celery workers
(task_backend=celery), so both give the same results and the same errors. Photos are decoded here, off the
event loop, through core.photos.decode_photo: the one place a photo is checked.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from core import errors
from core.actors import Actor
from core.photos import Photo, decode_photo
from core.schemas import DogIn, LookupResult, OwnerIn, RegisterResult
from core.usecases import SavePets

Upload = tuple[str, bytes]  # (label, encoded bytes)


def decode_all(photos: Sequence[Upload]) -> list[Photo]:
    """Every upload decoded; the first one that is no usable image file is refused (InvalidPhoto), its details
    naming it by label (``photo``) and 0-based position (``index``)."""
    decoded = []
    for index, (label, data) in enumerate(photos):
        try:
            decoded.append(decode_photo(data, label=label))
        except errors.InvalidPhoto as exc:
            exc.details["index"] = index
            raise
    return decoded


def register(sp: SavePets, owner: OwnerIn, dog: DogIn, photos: Sequence[Upload]) -> RegisterResult:
    return sp.register(owner, dog, decode_all(photos))


def lookup(sp: SavePets, photos: Sequence[Upload]) -> LookupResult:
    """1 to MAX_LOOKUP_PHOTOS photos of one dog, fused into one look-up."""
    return sp.lookup(decode_all(photos))


# ---------------------------------------------------------------------- transport for Celery (JSON only)
def encode_actor(actor: Actor) -> dict:
    """Who asked (core.actors), for a task that runs in another process: its context does not travel."""
    return {"kind": actor.kind, "id": actor.id, "name": actor.name, "role": actor.role}


def decode_actor(data: dict | None) -> Actor | None:
    if not isinstance(data, dict) or data.get("kind") not in ("staff", "api_key", "cli", "sync", "system"):
        return None
    return Actor(data["kind"], str(data.get("id") or ""), str(data.get("name") or ""), data.get("role"))


def encode_uploads(photos: Sequence[Upload]) -> list[list[str]]:
    return [[label, base64.b64encode(data).decode("ascii")] for label, data in photos]


def decode_uploads(photos: Sequence[Sequence[str]]) -> list[Upload]:
    return [(label, base64.b64decode(data)) for label, data in photos]


def error_payload(exc: errors.SavePetsError) -> dict:
    return {"error": {"class": type(exc).__name__, "message": exc.message, "details": exc.details}}


def raise_if_error(payload: dict) -> dict:
    """Turn an error that crossed the queue back into the same core exception."""
    err = payload.get("error") if isinstance(payload, dict) else None
    if err is None:
        return payload
    cls = getattr(errors, err.get("class", ""), None)
    if not (isinstance(cls, type) and issubclass(cls, errors.SavePetsError)):
        cls = errors.SavePetsError
    raise cls(err.get("message", "error"), **(err.get("details") or {}))
