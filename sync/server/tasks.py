"""Celery tasks for task_backend=celery: the heavy use cases on worker processes, over Redis.

Start workers on any machine that sees the same database, photo folder and registry key (same SAVEPETS_* settings):

    savepets worker            # or: celery -A sync.server.tasks worker

Each worker process holds its own SavePets (engine, gallery) and keeps its gallery in step with every
other process through the Redis invalidation channel (sync/server/events.py). Core errors come back as data and
are raised again in the server as the same class. The queue is named after the database, so deployments (and test
runs) sharing one Redis never mix.

What crosses Redis. Owners' names and phones never do in clear, and a worker runs only what a server asked for:

- A message (JSON) carries ids, no personal data: ``ref``, the random id of the task's payload; ``actor``, who
  asked (an API key's id and label, core.actors: the audit trail's "who"); ``sig``, HMAC-SHA256 of (task, ref,
  actor) with the task secret.
- The payload (owner, dog, photos) waits in Redis under ``savepets:task:<queue>:<ref>``, sealed with AES-256-GCM
  (bound to its task and ref) for PAYLOAD_TTL_S at most; the worker that takes it deletes it as it reads it, so it
  runs once; the server deletes it when it stops waiting. The result, which names owners too (the registered dog,
  a look-up's match, an AlreadyRegistered's match), goes back sealed the same way and the server deletes it once
  read. Photos are not personal data, but they travel in the sealed payload rather than in the message all the
  same: a message stays a few hundred bytes instead of megabytes of base64 (Celery copies messages into its
  ``unacked`` hash, shows their arguments in ``celery inspect`` and logs them), sealing costs about a millisecond
  per megabyte next to a recognition's hundreds, and both tasks take one path.
- The task secret is derived from the registry key (sync/server/ops.TaskKeys): every server and worker that opens
  the same registry with its key shares it, with nothing to configure; someone who can write to Redis but has no
  registry key can neither read the payloads nor make a message a worker runs.

A worker refuses a message, runs nothing and logs it, when its actor's signature does not verify (an altered or
missing actor or signature, another registry's key, a message of an older server with data in clear) or when its
payload is gone (expired, run already: a replay): the result is a TaskRefused error, which the server answers 503.
"""

from __future__ import annotations

import hashlib
import logging
import threading

import redis
from celery import Celery
from celery.signals import worker_process_shutdown

from core.actors import acting_as
from core.errors import SavePetsError
from core.schemas import DogIn, FoundIn, OwnerIn
from core.settings import Settings
from sync.server import ops

log = logging.getLogger(__name__)

app = Celery("savepets")
_state: dict = {}
_lock = threading.Lock()
PAYLOAD_TTL_S = 360  # a little longer than the server waits for a result (runner.CELERY_TIMEOUT_S)


def queue_name(settings: Settings) -> str:
    return "savepets-" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]


def payload_namespace(settings: Settings) -> str:
    """Where the sealed payloads of this queue's tasks wait in Redis (``<namespace>:<ref>``)."""
    return "savepets:task:" + queue_name(settings)


def configure(settings: Settings) -> None:
    app.conf.update(
        broker_url=settings.redis_url, result_backend=settings.redis_url,
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_default_queue=queue_name(settings), result_expires=3600,
        worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    _state["settings"] = settings


configure(Settings())


def service():
    """This worker process's SavePets, made on first use (after the fork)."""
    with _lock:
        if "sp" not in _state:
            from core.usecases import SavePets
            from sync.server.events import GalleryEvents

            settings = _state["settings"]
            sp = SavePets(settings)
            _state["events"] = GalleryEvents(sp, settings.redis_url)
            client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5, health_check_interval=30)
            _state["payloads"] = ops.TaskPayloads(client, ops.task_keys(sp.db.key), payload_namespace(settings),
                                                  PAYLOAD_TTL_S)
            _state["sp"] = sp
        return _state["sp"]


def _run(task: str, ref, actor, sig, work) -> dict:
    """The task's payload through `work` as the actor the server signed, the result sealed; or, for a message
    whose signature does not verify or whose payload is gone, a TaskRefused error, logged, and nothing run."""
    sp = service()
    keys = ops.task_keys(sp.db.key)
    who = ops.decode_actor(actor)
    try:
        if who is None or not keys.verify(task, ref, actor, sig):
            raise ops.TaskRefused("The task's actor is not signed with this registry's task secret.",
                                  reason="signature")
        owner, dog, photos = _state["payloads"].take(task, ref)
    except ops.TaskRefused as exc:
        named = f"{who.kind}:{who.id}" if who is not None else "none that reads as one"  # the rest may be anything
        log.error("refused a %s task and ran nothing (%s): %s Actor in the message: %s.", task,
                  exc.details.get("reason"), exc.message, named)
        return ops.error_payload(exc)
    try:
        with acting_as(who):
            result = work(sp, owner, dog, photos).model_dump(mode="json")
    except SavePetsError as exc:
        result = ops.error_payload(exc)
    return ops.seal_result(keys, task, ref, result)


@app.task(name="savepets.register")
def register(ref: str | None = None, actor: dict | None = None, sig: str | None = None, *_older) -> dict:
    """Register the sealed payload `ref` as `actor`. (`*_older`: the four arguments of an older server's message,
    owner and dog in clear, which is refused.)"""
    return _run(register.name, ref, actor, sig, lambda sp, owner, dog, photos: ops.register(
        sp, OwnerIn.model_validate(owner), DogIn.model_validate(dog), photos))


@app.task(name="savepets.lookup")
def lookup(ref: str | None = None, actor: dict | None = None, sig: str | None = None, *_older) -> dict:
    """Look up the photos of the sealed payload `ref` as `actor`."""
    return _run(lookup.name, ref, actor, sig, lambda sp, _owner, _dog, photos: ops.lookup(sp, photos))


@app.task(name="savepets.open_found_case")
def open_found_case(ref: str | None = None, actor: dict | None = None, sig: str | None = None) -> dict:
    """Open a found dog's case from the sealed payload `ref` (its photos; the case's fields where a registration
    carries the dog) as `actor`, and search for it (core/service/reunite.py)."""
    return _run(open_found_case.name, ref, actor, sig, lambda sp, _owner, found, photos: ops.open_found_case(
        sp, FoundIn.model_validate(found), photos))


@worker_process_shutdown.connect
def _close(**_kwargs) -> None:
    events = _state.pop("events", None)
    if events is not None:
        events.close()
    payloads = _state.pop("payloads", None)
    if payloads is not None:
        payloads.redis.close()
    sp = _state.pop("sp", None)
    if sp is not None:
        sp.close()
