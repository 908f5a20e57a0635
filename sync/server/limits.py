"""Request limits: the size of an upload, requests per minute per API key and client address, wrong keys.

Upload size (``settings.max_upload_mb``, the whole request body): a request whose Content-Length is too large
is answered 413 before its body is read; a body sent without a length (chunked) is counted while it streams
and cut off with 413 as soon as it passes the limit. Either way nothing reaches the use cases.

Rate: a token bucket per key, ``rate_limit_per_minute`` tokens refilled evenly over a minute, in process
memory; when Redis is configured (``--redis``, SAVEPETS_REDIS_URL or task_backend=celery: several server
processes) a fixed one-minute window counted in Redis, so that the limit holds across processes.
Past the limit: 429 with Retry-After (seconds).

Rate per client too: ``rate_limit_per_minute`` counts each key id and each client address (the client behind a
trusted proxy, sync/server/transport.py) separately; a request needs both to have room.

Wrong keys (``AuthGuard``): every failed key check counts against the client address and, separately, against
the key id it named (``auth_failures_per_minute`` each, in process memory). Past either limit, further keys that
are not known to be right are answered 429, and checked only a few times a minute per key id
(``auth_failures_per_minute // 2``, at least 2), so that guessing at a key id, from one address or from many, cannot
keep the server busy with argon2 (a key check costs tens of ms of CPU). A lock-out never shuts out the key's
owner: a key that passed a check in this process is remembered (a keyed digest, never the key) and gets in at once
whatever the locks say, and a key not seen yet still gets one of those few checks a minute.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Admission:
    """What to do with a presented key: `check` it (argon2) or refuse it unchecked; `wait` > 0 while the address or
    the key id is locked out (a failed check then answers 429 with Retry-After, not 401)."""

    check: bool
    wait: float = 0.0


class AuthGuard:
    """Wrong API keys: counted per client address and per key id; past the limit, unknown secrets are refused
    unchecked (but for a few checks a minute per key id), while a secret that passed a check in this process gets in
    whatever the counts say. Thread-safe (the key check runs in FastAPI's thread pool)."""

    MAX_KNOWN = 10_000

    def __init__(self, per_minute: int, locked_checks_per_minute: int | None = None):
        self.by_address = TokenBucket(per_minute)
        self.by_key_id = TokenBucket(per_minute)
        self.locked_checks = TokenBucket(locked_checks_per_minute or max(2, per_minute // 2))
        self._salt = secrets.token_bytes(32)  # the digests below mean nothing outside this process
        self._known: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, key: str) -> str:
        return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), key=self._salt, digest_size=32).hexdigest()

    def known(self, key: str) -> bool:
        """Whether this exact key passed a check in this process (it may have been revoked since: check it)."""
        digest = self._digest(key)
        with self._lock:
            if digest in self._known:
                self._known.move_to_end(digest)
                return True
        return False

    def admit(self, address: str, key_id: str, key: str) -> Admission:
        if self.known(key):
            return Admission(check=True)
        wait = max(self.by_address.wait(f"addr {address}"), self.by_key_id.wait(f"key {key_id}"))
        if wait <= 0:
            return Admission(check=True)
        # locked out: a few checks a minute per key id still run, so that a right key never seen here gets in
        return Admission(check=self.locked_checks.take(key_id) == 0, wait=wait)

    def passed(self, key: str) -> None:
        digest = self._digest(key)
        with self._lock:
            self._known[digest] = None
            self._known.move_to_end(digest)
            while len(self._known) > self.MAX_KNOWN:
                self._known.popitem(last=False)

    def failed(self, address: str, key_id: str, key: str) -> float:
        """Count a failed check (a wrong, unknown or revoked key); the seconds until this address or key id may
        try again unchecked (0 while there is room)."""
        digest = self._digest(key)
        with self._lock:
            self._known.pop(digest, None)  # revoked since it passed
        self.by_address.take(f"addr {address}")
        self.by_key_id.take(f"key {key_id}")
        return max(self.by_address.wait(f"addr {address}"), self.by_key_id.wait(f"key {key_id}"))


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
