"""Where the use cases run, so that inference never blocks the event loop.

- ``LocalRunner`` (task_backend=local): a bounded pool of ``settings.workers`` threads for the heavy calls
  (register, lookup, a found dog's case) and a separate small pool for quick registry reads and writes, so that a
  queue of lookups never delays ``GET /v1/dogs/{key}``.
- ``CeleryRunner`` (task_backend=celery): register, lookup and found cases go to Celery workers over Redis
  (sync/server/tasks.py runs the same ``ops`` functions); quick calls stay in this process.

Who acts (``core.actors``, set per request by sync/server/deps.require_role) travels with the work: the thread
pools run each call in a copy of the request's context; a Celery task gets the actor in its message, signed, and
its work sealed in Redis under the id the message carries (sync/server/tasks.py says how).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import cv2
from starlette.exceptions import HTTPException

from core.actors import current_actor
from core.schemas import DogIn, FoundCaseOut, FoundIn, LookupResult, OwnerIn, RegisterResult
from core.settings import Settings
from core.usecases import SavePets
from sync.server import ops

log = logging.getLogger(__name__)
T = TypeVar("T")
QUICK_THREADS = 16
CELERY_TIMEOUT_S = 300


class LocalRunner:
    def __init__(self, sp: SavePets, settings: Settings):
        self.sp = sp
        self.heavy = anyio.CapacityLimiter(max(1, settings.workers))
        # the heavy pool runs look-ups side by side: OpenCV's own thread pool inside each (RootSIFT) would only fight
        # them for the same cores
        cv2.setNumThreads(1)
        self.quick = anyio.CapacityLimiter(QUICK_THREADS)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A quick blocking call (registry read or write) in the quick pool."""
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=self.quick)

    async def register(self, owner: OwnerIn, dog: DogIn, photos: Sequence[ops.Upload]) -> RegisterResult:
        return await anyio.to_thread.run_sync(ops.register, self.sp, owner, dog, photos, limiter=self.heavy)

    async def lookup(self, photos: Sequence[ops.Upload]) -> LookupResult:
        return await anyio.to_thread.run_sync(ops.lookup, self.sp, photos, limiter=self.heavy)

    async def open_found_case(self, found: FoundIn, photos: Sequence[ops.Upload]) -> FoundCaseOut:
        return await anyio.to_thread.run_sync(ops.open_found_case, self.sp, found, photos, limiter=self.heavy)

    def describe(self) -> str:
        return f"local pool of {int(self.heavy.total_tokens)} threads"

    def check(self) -> bool:
        """Whatever runs the heavy calls is there (a thread pool always is)."""
        return True

    def close(self) -> None:
        pass


class CeleryRunner(LocalRunner):
    def __init__(self, sp: SavePets, settings: Settings):
        super().__init__(sp, settings)
        try:
            from sync.server import tasks
        except ImportError as exc:  # pragma: no cover - celery is a dependency, but say so plainly if missing
            raise RuntimeError("task_backend=celery needs the 'celery' package: pip install celery") from exc
        import redis

        self.tasks = tasks
        tasks.configure(settings)
        self.redis = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5, health_check_interval=30)
        self.namespace = tasks.payload_namespace(settings)
        self.waiting = anyio.CapacityLimiter(256)  # threads blocked on a result, not computing

    def _send(self, task, photos: Sequence[ops.Upload], owner: dict | None, dog: dict | None) -> dict:
        """Seal the work in Redis, queue a message of its id and the signed actor, wait for the sealed result (in a
        worker thread: it blocks). The payload is deleted when the wait ends, so work given up on never runs."""
        keys = ops.task_keys(self.sp.db.key)
        payloads = ops.TaskPayloads(self.redis, keys, self.namespace, self.tasks.PAYLOAD_TTL_S)
        ref = payloads.put(task.name, photos, owner, dog)
        try:
            actor = ops.encode_actor(current_actor())
            result = task.apply_async(kwargs={"ref": ref, "actor": actor, "sig": keys.sign(task.name, ref, actor)})
            try:
                raw = result.get(timeout=CELERY_TIMEOUT_S, propagate=True)
            finally:
                result.forget()  # the sealed result need not wait in Redis until it expires
        finally:
            payloads.discard(ref)
        return ops.open_result(keys, task.name, ref, raw)

    async def _run(self, task, photos: Sequence[ops.Upload], owner: dict | None = None,
                   dog: dict | None = None) -> dict:
        """Run a task and wait for its result in a thread; no worker, no Redis or a refusal gives 503, not 500."""
        from celery.exceptions import TimeoutError as CeleryTimeout
        from kombu.exceptions import OperationalError
        from redis.exceptions import RedisError

        try:
            payload = await anyio.to_thread.run_sync(functools.partial(self._send, task, photos, owner, dog),
                                                     limiter=self.waiting)
        except (CeleryTimeout, OperationalError, RedisError) as exc:
            raise HTTPException(503, "The recognition workers did not answer; try again shortly.",
                                headers={"Retry-After": "30"}) from exc
        except ops.TaskRefused as exc:
            payload = ops.error_payload(exc)
        if ops.is_refusal(payload):
            log.error("a Celery worker refused a %s task: %s (are the workers on this registry, with its key?)",
                      task.name, payload["error"].get("message"))
            raise HTTPException(503, "The recognition workers refused the work; try again shortly.",
                                headers={"Retry-After": "30"})
        return ops.raise_if_error(payload)

    async def register(self, owner: OwnerIn, dog: DogIn, photos: Sequence[ops.Upload]) -> RegisterResult:
        return RegisterResult.model_validate(await self._run(
            self.tasks.register, photos, owner.model_dump(mode="json"), dog.model_dump(mode="json")))

    async def lookup(self, photos: Sequence[ops.Upload]) -> LookupResult:
        return LookupResult.model_validate(await self._run(self.tasks.lookup, photos))

    async def open_found_case(self, found: FoundIn, photos: Sequence[ops.Upload]) -> FoundCaseOut:
        return FoundCaseOut.model_validate(await self._run(self.tasks.open_found_case, photos,
                                                           dog=found.model_dump(mode="json")))

    def describe(self) -> str:
        return f"celery on {self.tasks.app.conf.broker_url}, queue {self.tasks.app.conf.task_default_queue}"

    def close(self) -> None:
        self.redis.close()

    def check(self) -> bool:
        """At least one Celery worker answers (a broadcast ping on the broker)."""
        replies = self.tasks.app.control.ping(timeout=1.0) or []
        return bool(replies)


def make_runner(sp: SavePets, settings: Settings) -> LocalRunner:
    backend = (settings.task_backend or "local").lower()
    if backend == "local":
        return LocalRunner(sp, settings)
    if backend == "celery":
        return CeleryRunner(sp, settings)
    raise RuntimeError(f"Unknown task_backend {settings.task_backend!r}: use 'local' or 'celery'.")
