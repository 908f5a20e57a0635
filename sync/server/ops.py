"""The heavy use cases as the server runs them: photo bytes in, core result out.

The same functions run in the server's own worker pool (task_backend=local) and in Celery workers
(task_backend=celery), so both give the same results and the same errors. Photos are decoded here, off the
event loop, through core.photos.decode_photo: the one place a photo is checked. The second half is what Celery
needs to carry the work between processes without owners' data in clear (sync/server/tasks.py says why and how).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core import errors
from core.actors import Actor
from core.crypto import RegistryKey, derive
from core.photos import Photo, decode_photo
from core.schemas import DogIn, FoundCaseOut, FoundIn, LookupResult, OwnerIn, RegisterResult
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


def open_found_case(sp: SavePets, found: FoundIn, photos: Sequence[Upload]) -> FoundCaseOut:
    """A found dog's case from its photos, searched at once among lost dogs and all dogs (core/service/reunite.py)."""
    return sp.open_found_case(decode_all(photos), found)


# ---------------------------------------------------------------------- transport for Celery (JSON only)
# What crosses Redis (see sync/server/tasks.py): a message of ids and the signed actor; the work itself (owner, dog,
# photos) and every result sealed with AES-256-GCM under keys derived from the registry key.
TASK_SECRET_LABEL = "savepets/celery-task-secret/v1"  # never a phone: phone_hash only ever sees E.164 numbers


class TaskRefused(errors.SavePetsError):
    """A task message the worker does not run: its actor's signature does not verify, or its work is gone."""

    code = "task_refused"


class TaskKeys:
    """The task secret of a registry and what it keys: the actor's HMAC-SHA256 and the AES-256-GCM seal of payloads
    and results. Derived from the registry key (core/crypto.py), so every server and worker that opens the same
    registry shares it with no setting of its own: HMAC-SHA256 with the registry's phone-hash key over a fixed
    label (a string no phone number normalises to, and never stored), then HKDF per use."""

    def __init__(self, key: RegistryKey):
        secret = bytes.fromhex(key.phone_hash(TASK_SECRET_LABEL))
        self._sign_key = derive(secret, b"celery/actor/v1")
        self._aead = AESGCM(derive(secret, b"celery/seal/v1"))

    def sign(self, task: str, ref: str, actor: dict) -> str:
        """The signature of `actor` acting on the payload `ref` of `task` (so that it fits no other message)."""
        text = json.dumps([task, ref, actor], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hmac.new(self._sign_key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def verify(self, task: str, ref: object, actor: object, signature: object) -> bool:
        if not (isinstance(ref, str) and isinstance(actor, dict) and isinstance(signature, str)):
            return False
        return hmac.compare_digest(self.sign(task, ref, actor), signature)

    def seal(self, data: bytes, context: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data, context.encode("utf-8"))

    def open(self, blob: bytes, context: str) -> bytes:
        try:
            return self._aead.decrypt(blob[:12], blob[12:], context.encode("utf-8"))
        except (InvalidTag, ValueError) as exc:
            raise TaskRefused("A sealed task payload or result does not open with this registry's task secret.",
                              reason="unsealable") from exc


@functools.lru_cache(maxsize=8)
def task_keys(key: RegistryKey) -> TaskKeys:
    return TaskKeys(key)


class TaskPayloads:
    """The work of each task, sealed in Redis under a random id for ``ttl_s`` seconds and taken (deleted) by the
    one worker that runs it: the message carries only the id. Photos travel here as raw bytes, not base64."""

    def __init__(self, redis_client, keys: TaskKeys, namespace: str, ttl_s: int):
        self.redis, self.keys, self.namespace, self.ttl_s = redis_client, keys, namespace, ttl_s

    def _name(self, ref: str) -> str:
        return f"{self.namespace}:{ref}"

    def put(self, task: str, photos: Sequence[Upload], owner: dict | None = None, dog: dict | None = None) -> str:
        ref = secrets.token_urlsafe(24)
        head = json.dumps({"owner": owner, "dog": dog, "photos": [[label, len(data)] for label, data in photos]},
                          ensure_ascii=False).encode("utf-8")
        plain = b"".join([len(head).to_bytes(4, "big"), head, *(data for _, data in photos)])
        self.redis.set(self._name(ref), self.keys.seal(plain, f"payload:{task}:{ref}"), ex=self.ttl_s)
        return ref

    def take(self, task: str, ref: str) -> tuple[dict | None, dict | None, list[Upload]]:
        """(owner, dog, photos) of `ref`, deleted from Redis as it is read: a payload runs once at most."""
        blob = self.redis.getdel(self._name(ref))
        if blob is None:
            raise TaskRefused("The task's payload is gone: it expired, was taken already, or never existed.",
                              reason="no_payload")
        plain = self.keys.open(blob, f"payload:{task}:{ref}")
        size = int.from_bytes(plain[:4], "big")
        head = json.loads(plain[4:4 + size])
        photos, at = [], 4 + size
        for label, length in head["photos"]:
            photos.append((label, plain[at:at + length]))
            at += length
        return head["owner"], head["dog"], photos

    def discard(self, ref: str) -> None:
        self.redis.delete(self._name(ref))


def seal_result(keys: TaskKeys, task: str, ref: str, payload: dict) -> dict:
    """A task's result (or core error, which may name an owner too) as it waits in the result backend."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return {"sealed": base64.b64encode(keys.seal(data, f"result:{task}:{ref}")).decode("ascii")}


def open_result(keys: TaskKeys, task: str, ref: str, result: object) -> dict:
    """The payload a worker sealed; a refusal (never sealed: it names no one) as it came."""
    if isinstance(result, dict) and isinstance(result.get("sealed"), str):
        return json.loads(keys.open(base64.b64decode(result["sealed"]), f"result:{task}:{ref}"))
    if isinstance(result, dict) and isinstance(result.get("error"), dict):
        return result
    raise TaskRefused("A task result came back neither sealed nor as an error.", reason="unsealed_result")


def is_refusal(payload: object) -> bool:
    return isinstance(payload, dict) and (payload.get("error") or {}).get("class") == TaskRefused.__name__


def encode_actor(actor: Actor) -> dict:
    """Who asked (core.actors), for a task that runs in another process: its context does not travel. Signed
    (TaskKeys.sign) with the task: its organisation decides whose a registered dog is."""
    return {"kind": actor.kind, "id": actor.id, "name": actor.name, "role": actor.role, "org": actor.org,
            "device": actor.device}


def decode_actor(data: dict | None) -> Actor | None:
    if not isinstance(data, dict) or data.get("kind") not in ("staff", "api_key", "cli", "sync", "system"):
        return None

    def text(field: str) -> str | None:
        value = data.get(field)
        return None if value is None else str(value)

    return Actor(data["kind"], text("id") or "", text("name") or "", text("role"), org=text("org"),
                 device=text("device"))


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
