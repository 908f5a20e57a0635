"""Celery tasks for task_backend=celery: the heavy use cases on worker processes, over Redis.

Start workers on any machine that sees the same database and photo folder (same SAVEPETS_* settings):

    savepets worker            # or: celery -A sync.server.tasks worker

Each worker process holds its own SavePets (engine, gallery) and keeps its gallery in step with every
other process through the Redis invalidation channel (sync/server/events.py). Messages are JSON; photos
travel base64-encoded; core errors come back as data and are raised again in the server as the same class.
The queue is named after the database, so deployments (and test runs) sharing one Redis never mix.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from contextlib import nullcontext

from celery import Celery
from celery.signals import worker_process_shutdown

from core.actors import acting_as
from core.errors import SavePetsError
from core.schemas import DogIn, OwnerIn
from core.settings import Settings
from sync.server import ops

log = logging.getLogger(__name__)

app = Celery("savepets")
_state: dict = {}
_lock = threading.Lock()


def queue_name(settings: Settings) -> str:
    return "savepets-" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]


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
            _state["sp"] = sp
        return _state["sp"]


def _run(fn, actor: dict | None = None):
    """The task as the API key that asked (the audit trail's "who"; a message of an older server has none)."""
    who = ops.decode_actor(actor)
    try:
        with acting_as(who) if who is not None else nullcontext():
            return fn().model_dump(mode="json")
    except SavePetsError as exc:
        return ops.error_payload(exc)


@app.task(name="savepets.register")
def register(owner: dict, dog: dict, photos: list, actor: dict | None = None) -> dict:
    return _run(lambda: ops.register(service(), OwnerIn.model_validate(owner), DogIn.model_validate(dog),
                                     ops.decode_uploads(photos)), actor)


@app.task(name="savepets.lookup")
def lookup(photos: list, actor: dict | None = None) -> dict:
    if photos and isinstance(photos[0], str):  # one [label, data] pair, queued by a server of the previous version
        photos = [photos]
    return _run(lambda: ops.lookup(service(), ops.decode_uploads(photos)), actor)


@worker_process_shutdown.connect
def _close(**_kwargs) -> None:
    events = _state.pop("events", None)
    if events is not None:
        events.close()
    sp = _state.pop("sp", None)
    if sp is not None:
        sp.close()
