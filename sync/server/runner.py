"""Where the use cases run, so that inference never blocks the event loop.

- ``LocalRunner`` (task_backend=local): a bounded pool of ``settings.workers`` threads for the heavy calls
  (register, lookup) and a separate small pool for quick registry reads and writes, so that a queue of
  lookups never delays ``GET /v1/dogs/{key}``.
- ``CeleryRunner`` (task_backend=celery): register and lookup go to Celery workers over Redis
  (sync/server/tasks.py runs the same ``ops`` functions); quick calls stay in this process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from core.schemas import DogIn, LookupResult, OwnerIn, RegisterResult
from core.settings import Settings
from core.usecases import SavePets
from sync.server import ops

T = TypeVar("T")
QUICK_THREADS = 16
CELERY_TIMEOUT_S = 300


class LocalRunner:
    def __init__(self, sp: SavePets, settings: Settings):
        self.sp = sp
        self.heavy = anyio.CapacityLimiter(max(1, settings.workers))
        self.quick = anyio.CapacityLimiter(QUICK_THREADS)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A quick blocking call (registry read or write) in the quick pool."""
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=self.quick)

    async def register(self, owner: OwnerIn, dog: DogIn, photos: Sequence[ops.Upload]) -> RegisterResult:
        return await anyio.to_thread.run_sync(ops.register, self.sp, owner, dog, photos, limiter=self.heavy)

    async def lookup(self, photo: ops.Upload) -> LookupResult:
        return await anyio.to_thread.run_sync(ops.lookup, self.sp, photo, limiter=self.heavy)

    def describe(self) -> str:
        return f"local pool of {int(self.heavy.total_tokens)} threads"

    def close(self) -> None:
        pass


class CeleryRunner(LocalRunner):
    def __init__(self, sp: SavePets, settings: Settings):
        super().__init__(sp, settings)
        try:
            from sync.server import tasks
        except ImportError as exc:  # pragma: no cover - celery is a dependency, but say so plainly if missing
            raise RuntimeError("task_backend=celery needs the 'celery' package: pip install celery") from exc
        self.tasks = tasks
        tasks.configure(settings)
        self.waiting = anyio.CapacityLimiter(256)  # threads blocked on a result, not computing

    async def _wait(self, async_result) -> dict:
        get = functools.partial(async_result.get, timeout=CELERY_TIMEOUT_S, propagate=True)
        return ops.raise_if_error(await anyio.to_thread.run_sync(get, limiter=self.waiting))

    async def register(self, owner: OwnerIn, dog: DogIn, photos: Sequence[ops.Upload]) -> RegisterResult:
        r = self.tasks.register.delay(owner.model_dump(mode="json"), dog.model_dump(mode="json"),
                                      ops.encode_uploads(photos))
        return RegisterResult.model_validate(await self._wait(r))

    async def lookup(self, photo: ops.Upload) -> LookupResult:
        r = self.tasks.lookup.delay(ops.encode_uploads([photo])[0])
        return LookupResult.model_validate(await self._wait(r))

    def describe(self) -> str:
        return f"celery on {self.tasks.app.conf.broker_url}, queue {self.tasks.app.conf.task_default_queue}"

    def check(self) -> bool:
        """At least one worker answers on our queue."""
        replies = self.tasks.app.control.ping(timeout=1.0) or []
        return bool(replies)


def make_runner(sp: SavePets, settings: Settings) -> LocalRunner:
    backend = (settings.task_backend or "local").lower()
    if backend == "local":
        return LocalRunner(sp, settings)
    if backend == "celery":
        return CeleryRunner(sp, settings)
    raise RuntimeError(f"Unknown task_backend {settings.task_backend!r}: use 'local' or 'celery'.")
