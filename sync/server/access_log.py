"""The server's access log: one INFO line a request on the ``sync.server.access`` logger, e.g.

    GET /v1/dogs/SP-0012 200 12.4 ms key=3f9a1c2b

Method, path, status, duration in milliseconds and the calling key's id (``-`` when no key was accepted). Never the
query string (a phone number may travel in it), headers, bodies or anything of an owner. Switched off by the setting
``access_log`` (SAVEPETS_ACCESS_LOG=0). Uvicorn's own access log stays off (``savepets serve`` runs it with
access_log=False): this one also times the request and names the key.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("sync.server.access")

MAX_PATH = 200  # a longer path is cut: the log is for people, not a copy of whatever a client sends


def printable_path(path: str) -> str:
    """The path as one printable word: control characters escaped (no forged log lines), spaces as %20 (one field
    to split on), long ones cut."""
    clean = "".join("%20" if c == " " else c if c.isprintable() and c != "\\"
                    else c.encode("unicode_escape").decode("ascii") for c in path)
    return clean if len(clean) <= MAX_PATH else clean[:MAX_PATH] + "…"


class AccessLog:
    """Pure ASGI middleware (outermost, so that refusals by the other middleware are logged and timed too)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        state = scope.setdefault("state", {})  # Request.state of the routes is this dict (sync.server.deps)
        status = 0

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        except BaseException:
            status = status or 500  # the server answers 500 when nothing was sent
            raise
        finally:
            principal = state.get("principal")
            key = getattr(principal, "key_id", None) or "-"
            log.info("%s %s %d %.1f ms key=%s", scope.get("method", "?"), printable_path(scope.get("path", "")),
                     status, (time.perf_counter() - start) * 1000, key)
