"""The server's notification transports and its delivery loop (the outbox: core/notifications.py).

- `WebhookTransport`: SMS through an HTTP gateway. POST `notify_webhook_url` with JSON
  ``{"id", "to", "text", "language"}`` (`to`: the E.164 phone; `id`: the notification's id, also sent as the
  ``Idempotency-Key`` header, the same on every try, so a gateway recognises a resend after a crash between its
  answer and our mark), ``Authorization: Bearer <notify_webhook_token>`` when set. Any 2xx is sent; anything else,
  or no answer within `notify_timeout`, is a failed try (retried by the outbox). The URL is https unless it is on
  this machine: the gateway's token and owners' phones never cross a network in clear text.
- `server_transports(settings)`: "sms" through the webhook when configured, else through SMTP (notify_smtp,
  notify_to); "email" through SMTP; on a loopback server a channel with neither goes to the log (core/notify.py).
- `start_notifications(sp, settings)`: the outbox's DeliveryLoop for the app's lifespan (every notify_interval
  seconds, woken at once when a message is queued in this process).
- `GET /v1/notifications` (admin keys): how many messages are pending, sent and failed, and the channels this server
  can send on.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from core import notifications
from core.notifications import DeliveryLoop
from core.notify import NotifyFailed, Transport, make_transports
from core.settings import loopback_host
from core.usecases import SavePets
from sync.server.deps import Principal, Role, get_runner, get_service, require_role
from sync.server.errors import ERROR_RESPONSES
from sync.server.runner import LocalRunner

log = logging.getLogger(__name__)


class WebhookTransport:
    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0):
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"notify_webhook_url: {url!r} is not a web address (https://gateway.example/sms)")
        if parts.scheme == "http" and not loopback_host(parts.hostname):
            raise ValueError(f"notify_webhook_url: refusing plain http to {parts.hostname}: phones and the token "
                             "would cross the network in clear text; give its https:// address")
        self.url, self.token, self.timeout = url.strip(), token, timeout
        self.where = f"{parts.hostname}{f':{parts.port}' if parts.port else ''}"

    def send(self, recipient: str, subject: str, body: str, message_id: str, *, language: str = "ko") -> None:
        headers = {"Idempotency-Key": message_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = {"id": message_id, "to": recipient, "text": body, "language": language}
        try:
            r = httpx.post(self.url, json=payload, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:  # no text of the exception: it may hold the URL's query (a token)
            raise NotifyFailed(f"webhook {self.where}: {type(exc).__name__}") from None
        if not 200 <= r.status_code < 300:
            raise NotifyFailed(f"webhook {self.where} answered {r.status_code}")


def server_transports(settings) -> dict[str, Transport]:
    """The server's transports a channel (see the module's doc)."""
    sms = None
    if settings.notify_webhook_url:
        sms = WebhookTransport(settings.notify_webhook_url, settings.notify_webhook_token, settings.notify_timeout)
    return make_transports(settings, sms=sms)


def start_notifications(sp, settings, transports: dict[str, Transport] | None = None) -> DeliveryLoop:
    """The outbox's delivery loop of a server process (started; `stop()` it on shutdown)."""
    transports = transports if transports is not None else server_transports(settings)
    missing = [c for c in ("email", "sms") if c not in transports]
    if missing:
        log.warning("notifications: no transport for %s (set notify_smtp, or notify_webhook_url for sms): such "
                    "messages wait in the outbox and fail after their last try", " and ".join(missing))
    return DeliveryLoop(sp.db, transports, interval=settings.notify_interval, device_id=sp.device_id).start()


# ------------------------------------------------------------------------------------------------ ops
router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["service"])


class OutboxState(BaseModel):
    pending: int = Field(description="Messages waiting to be sent (or retried)")
    sent: int
    failed: int = Field(description="Messages given up after their last try")
    channels: list[str] = Field(description="Channels this server can send on (email, sms)")


@router.get("/notifications", response_model=OutboxState)
async def outbox_state(request: Request, _principal: Principal = Depends(require_role(Role.ADMIN)),
                       runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> OutboxState:
    """The outbox of notifications (owners' messages, one-time codes): counts by state, never their contents."""
    def read() -> dict[str, int]:
        with sp.db.sessions() as s:
            return notifications.counts(s)

    transports = getattr(request.app.state, "transports", None) or {}
    return OutboxState(**await runner.call(read), channels=sorted(transports))
