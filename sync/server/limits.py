"""Request limits: the size of an upload, and requests per minute per API key.

Upload size (``settings.max_upload_mb``, the whole request body): a request whose Content-Length is too large
is answered 413 before its body is read; a body sent without a length (chunked) is counted while it streams
and cut off with 413 as soon as it passes the limit. Either way nothing reaches the use cases.

Rate: a token bucket per key, ``rate_limit_per_minute`` tokens refilled evenly over a minute, in process
memory; when Redis is configured (``--redis``, SAVEPETS_REDIS_URL or task_backend=celery: several server
processes) a fixed one-minute window counted in Redis, so that the limit holds across processes.
Past the limit: 429 with Retry-After (seconds).

Wrong keys: every failed key check counts against the client address and the key id it named
(``auth_failures_per_minute``, in process memory); past the limit that pair is answered 429 without checking,
so that guessing at a real key id cannot keep the server busy with argon2 (a key check costs tens of ms of CPU).
"""

from __future__ import annotations

import json
import math
import threading
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"The request is larger than {limit // (1024 * 1024)} MB.")


class BodySizeLimit:
    """Pure ASGI middleware: nothing of a too-large body is read into memory or onto disk."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_large = int(length) > self.max_bytes
            except ValueError:
                await _error(send, 400, "bad_request", "Content-Length is not a number.")
                return
            if too_large:
                await _error(send, 413, "payload_too_large", BodyTooLarge(self.max_bytes).detail)
                return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await _error(send, 413, "payload_too_large", exc.detail)


async def _error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class TokenBucket:
    """In-process: ``per_minute`` tokens per key, refilled continuously. At most MAX_KEYS buckets are kept: past
    that, the buckets that have refilled (the same as no bucket) are dropped."""

    MAX_KEYS = 100_000

    def __init__(self, per_minute: int):
        self.capacity = float(max(1, per_minute))
        self.rate = self.capacity / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when allowed, else the seconds to wait."""
        return self._take(key, consume=True)

    def wait(self, key: str) -> float:
        """As take() but without using a token: would a request be allowed now?"""
        return self._take(key, consume=False)

    def _take(self, key: str, consume: bool) -> float:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                if consume:
                    self._set(key, tokens - 1.0, now)
                return 0.0
            self._set(key, tokens, now)
            return (1.0 - tokens) / self.rate

    def _set(self, key: str, tokens: float, now: float) -> None:
        if key not in self._buckets and len(self._buckets) >= self.MAX_KEYS:
            self._buckets = {k: (t, last) for k, (t, last) in self._buckets.items()
                             if t + (now - last) * self.rate < self.capacity}
        self._buckets[key] = (tokens, now)


class RedisWindow:
    """Shared by every server process: requests counted per key per calendar minute in Redis."""

    def __init__(self, per_minute: int, redis_url: str, namespace: str):
        import redis

        self.limit = max(1, per_minute)
        self.redis = redis.Redis.from_url(redis_url, socket_connect_timeout=5)
        self.namespace = namespace

    def take(self, key: str) -> float:
        now = time.time()
        window = int(now // 60)
        name = f"savepets:rate:{self.namespace}:{key}:{window}"
        pipe = self.redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, 61)
        count, _ = pipe.execute()
        return 0.0 if count <= self.limit else (window + 1) * 60 - now


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
