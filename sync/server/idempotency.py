"""The Idempotency-Key header of POST /v1/dogs and POST /v1/lookup: a client that lost an answer (a dropped
connection, a replica killed mid-request) sends the request again with the same key and gets the first answer, status
and body, without the registration running twice.

- The key is 1 to 64 characters of the client's choosing (a UUID will do), scoped to the API key that sent it, and
  kept 24 h (KEEP) in the registry (table ``idempotency_keys``, migration 0010; the answer encrypted like owners'
  data, since it holds their contacts). Every replica sees it: a retry may land on another one.
- The same key with a different request (another route, other fields or photos) is refused: 422
  ``idempotency_key_reused``; nothing runs.
- While the first request is still being answered, a retry gets 409 with Retry-After; a first request whose process
  died (no answer after ABANDONED) is run again by the retry.
- Answers kept: success, and the refusals that the same request would get again (409 already registered, 422). Any
  other failure (busy, 5xx) is forgotten, so the retry runs the request afresh.
- A replayed answer carries ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header, HTTPException, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core.errors import AlreadyRegistered, InvalidInput
from core.registry.db import Database
from core.registry.models import IdempotencyKey as Row
from core.registry.models import utcnow
from sync.server.errors import STATUS_OF
from sync.server.keys import Principal
from sync.server.runner import LocalRunner

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
ABANDONED = timedelta(minutes=10)  # longer than any request takes (the Celery runner gives up after 5 min)
PURGE_EVERY_S = 600.0
KEPT_HEADERS = ("Location",)

IdemKey = Annotated[str | None, Header(alias=HEADER, min_length=1, max_length=64, description=(
    "Any string of 1 to 64 characters, new for each request (a UUID): a retry with the same key and the same "
    "request gets the first answer (status and body) instead of running again; the same key with another request "
    "is 422. Kept 24 h per API key."))]

_next_purge: dict[str, float] = {}  # database URL -> monotonic time of the next purge of expired keys


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"


def fingerprint(route: str, fields: dict[str, Any], photos: list[tuple[str, bytes]]) -> str:
    """The request as far as it matters: the route, its fields and each photo's name and content (not the multipart
    boundary, which a client chooses afresh for each send)."""
    doc = {"route": route, "fields": fields,
           "photos": [[label, hashlib.sha256(data).hexdigest()] for label, data in photos]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    row_id: str | None  # the caller runs the request and finishes this row; None: replay
    status: int = 0
    body: Any = None
    headers: dict[str, str] | None = None


class IdempotencyKeys:
    """The table's reads and writes (blocking: call through the runner)."""

    def __init__(self, db: Database):
        self.db = db

    def claim(self, api_key_id: str, idem_key: str, request_hash: str) -> Claim:
        self._purge_if_due()
        for _ in range(3):  # an expired or abandoned row is replaced; a concurrent first request may win the insert
            now = utcnow()
            with self.db.session() as s:
                row = s.scalar(select(Row).where(Row.api_key_id == api_key_id, Row.idem_key == idem_key))
                if row is None:
                    pass
                elif row.expires_at <= now:
                    s.delete(row)
                elif row.request_hash != request_hash:
                    raise IdempotencyKeyReused(
                        f"This {HEADER} was used with a different request in the last 24 hours; use a new key for a "
                        "new request.", header=HEADER)
                elif row.status is not None:
                    answer = row.response or {}
                    return Claim(None, row.status, answer.get("body"), dict(answer.get("headers") or {}))
                elif row.created_at > now - ABANDONED:
                    raise HTTPException(409, f"A request with this {HEADER} is still being answered; retry shortly.",
                                        headers={"Retry-After": "2"})
                else:  # its process died before answering: this retry runs it
                    row.created_at = now
                    row.expires_at = now + KEEP
                    return Claim(row.id)
            try:
                with self.db.session() as s:
                    row = Row(api_key_id=api_key_id, idem_key=idem_key, request_hash=request_hash,
                              created_at=now, expires_at=now + KEEP)
                    s.add(row)
                return Claim(row.id)
            except IntegrityError:
                continue  # another request with this key got in first: read what it left
        raise HTTPException(409, f"A request with this {HEADER} is still being answered; retry shortly.",
                            headers={"Retry-After": "2"})

    def finish(self, row_id: str, status: int, body: Any, headers: dict[str, str]) -> None:
        with self.db.session() as s:
            row = s.get(Row, row_id)
            if row is not None:
                row.status = status
                row.response = {"body": body, "headers": headers}

    def forget(self, row_id: str) -> None:
        with self.db.session() as s:
            s.execute(delete(Row).where(Row.id == row_id, Row.status.is_(None)))

    def _purge_if_due(self) -> None:
        if time.monotonic() < _next_purge.get(self.db.url, 0.0):
            return
        _next_purge[self.db.url] = time.monotonic() + PURGE_EVERY_S
        with self.db.session() as s:
            s.execute(delete(Row).where(Row.expires_at <= utcnow()))


async def once(runner: LocalRunner, db: Database, principal: Principal, idem_key: str, request_hash: str,
               work: Callable[[], Awaitable[tuple[BaseModel, dict[str, str]]]], status_code: int) -> JSONResponse:
    """The answer to a request with an Idempotency-Key: the first one's, kept, or `work`'s (a model and headers), kept
    for the retries. Core refusals the same request would meet again are answered here in the errors' format."""
    keys = IdempotencyKeys(db)
    claim = await runner.call(keys.claim, principal.key_id, idem_key, request_hash)
    if claim.row_id is None:
        return JSONResponse(claim.body, status_code=claim.status,
                            headers={**(claim.headers or {}), "Idempotent-Replayed": "true"})
    try:
        model, headers = await work()
        status, body = status_code, model.model_dump(mode="json")
    except (AlreadyRegistered, InvalidInput) as exc:
        status = next(code for cls, code in STATUS_OF if isinstance(exc, cls))
        body, headers = {"error": exc.to_dict()}, {}
    except BaseException:
        await runner.call(keys.forget, claim.row_id)
        raise
    headers = {k: v for k, v in headers.items() if k in KEPT_HEADERS}
    await runner.call(keys.finish, claim.row_id, status, body, headers)
    return JSONResponse(body, status_code=status, headers=headers)


async def answer(runner: LocalRunner, db: Database, principal: Principal, idem_key: str | None, request_hash: str,
                 work: Callable[[], Awaitable[tuple[BaseModel, dict[str, str]]]], status_code: int,
                 response: Response) -> BaseModel | JSONResponse:
    """A route's answer: with an Idempotency-Key, `once`'s; without, `work`'s model, its headers set on `response`."""
    if idem_key is not None:
        return await once(runner, db, principal, idem_key, request_hash, work, status_code)
    model, headers = await work()
    response.headers.update(headers)
    return model
