"""/v1/me: the app (mobile key) proves which phone is its owner's, so that it may see that owner's dogs.

`POST /v1/me/phone {"phone"}` sends a one-time code to the phone through the outbox (core/notifications.py: queued
in the transaction that keeps the code's state, then sent at once by the outbox's sender; once sent, or given up,
its text is blanked there). `POST /v1/me/phone/verify {"code"}` stores the device's verified phone
(`Device.verified_phone_hash`, the keyed hash `owners.phone_hash` uses). Until then the app sees no owner's data.
Codes: 6 digits, kept as a keyed hash only, valid 10 minutes, 5 tries; at most 5 codes an hour per device, one a
30 seconds. Pending codes live in the server's `meta` table (one row per device), so every server process sees
them. Each step is on the audit trail (phone_verify; the message's end: notify_sent / notify_failed).
"""

from __future__ import annotations

import hmac
import json
import secrets
from datetime import datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from core import audit, notifications
from core.actors import current_actor
from core.errors import InvalidInput
from core.phone import normalize_phone
from core.registry.models import Device, Meta, Notification, utcnow
from core.usecases import SavePets
from sync.server.deps import Principal, Role, get_runner, get_service, require_role
from sync.server.errors import ERROR_RESPONSES, ErrorOut
from sync.server.limits import retry_after
from sync.server.runner import LocalRunner
from sync.server.webhook import server_transports

router = APIRouter(prefix="/v1/me", responses=ERROR_RESPONSES, tags=["me"])
APP = require_role(Role.MOBILE)

CODE_VALID = timedelta(minutes=10)
CODE_TRIES = 5
CODES_PER_HOUR = 5
RESEND_AFTER = timedelta(seconds=30)


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(..., min_length=1, max_length=32, description="The app user's phone, any format",
                       examples=["010-1234-5678"])
    language: Literal["ko", "en"] | None = Field(None, description="The message's language; default: the request's "
                                                  "Accept-Language (ko when it prefers Korean), else en")


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(..., pattern=r"^[0-9]{6}$", description="The 6-digit code sent to the phone")


class CodeSent(BaseModel):
    sent: bool = True
    expires_in: int = Field(description="Seconds the code is valid")
    tries: int = Field(description="Wrong codes allowed before a new one is needed")


class PhoneState(BaseModel):
    verified: bool


class WrongCode(InvalidInput):
    code = "invalid_code"


class Verifier:
    """The pending code of each device, in the registry's meta table."""

    def __init__(self, sp: SavePets):
        self.sp = sp

    @staticmethod
    def _key(device_id: str) -> str:
        return f"phone_code:{device_id}"

    def _digest(self, device_id: str, phone_hash: str, code: str) -> str:
        return self.sp.db.key.phone_hash(f"code\0{device_id}\0{phone_hash}\0{code}")

    def _entry(self, s, action_detail: str) -> None:
        audit.record(s, "phone_verify", actor=current_actor(), device_id=self.sp.device_id, detail=action_detail)

    def start(self, device_id: str, phone: str, language: str = "en") -> tuple[str, str, float]:
        """A new code for `phone`, queued in the outbox with the code's state (one transaction): (the E.164 phone,
        the notification's id, 0) or ("", "", seconds to wait) when sent too often."""
        e164 = normalize_phone(phone)
        phone_hash = self.sp.phone_hash_of(e164)
        now = utcnow()
        code = f"{secrets.randbelow(10 ** 6):06d}"
        with self.sp.db.session() as s:
            row = s.get(Meta, self._key(device_id))
            state = json.loads(row.value) if row is not None else {}
            sent = [datetime.fromisoformat(t) for t in state.get("sent", [])
                    if datetime.fromisoformat(t) > now - timedelta(hours=1)]
            wait = 0.0
            if sent and now - max(sent) < RESEND_AFTER:
                wait = (max(sent) + RESEND_AFTER - now).total_seconds()
            elif len(sent) >= CODES_PER_HOUR:
                wait = (min(sent) + timedelta(hours=1) - now).total_seconds()
            if wait > 0:
                return "", "", wait
            sent.append(now)
            state = {"phone": phone_hash, "code": self._digest(device_id, phone_hash, code),
                     "expires": (now + CODE_VALID).isoformat(), "tries": 0, "sent": [t.isoformat() for t in sent]}
            s.merge(Meta(key=self._key(device_id), value=json.dumps(state)))
            subject, text = notifications.code_message(language, code)
            dedupe = f"code:{device_id}:{now.isoformat()}"
            notifications.enqueue(s, dedupe_key=dedupe, kind="code", channel="sms", recipient=e164,
                                  language=language, subject=subject, body=text)
            notification_id = s.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe))
            self._entry(s, "step=sent")
        return e164, notification_id, 0.0

    def forget(self, device_id: str) -> None:
        """The code just made could not be sent: it is void (the send still counts against the limit)."""
        with self.sp.db.session() as s:
            row = s.get(Meta, self._key(device_id))
            if row is not None:
                state = json.loads(row.value)
                state.pop("code", None)
                row.value = json.dumps(state)

    def verify(self, device_id: str, code: str) -> None:
        """Store the device's verified phone for the right code; WrongCode otherwise (the same for a wrong, expired
        or used-up code, with the tries left)."""
        now = utcnow()
        with self.sp.db.session() as s:
            row = s.get(Meta, self._key(device_id))
            state = json.loads(row.value) if row is not None else {}
            if not state.get("code") or datetime.fromisoformat(state["expires"]) <= now:
                self._entry(s, "step=no_code")
                outcome = ("No valid code: ask for a new one (POST /v1/me/phone).", 0)
            elif hmac.compare_digest(state["code"], self._digest(device_id, state["phone"], code)):
                device = s.get(Device, device_id)
                device.verified_phone_hash = state["phone"]
                state.pop("code")
                row.value = json.dumps(state)
                self._entry(s, "step=verified")
                return
            else:
                state["tries"] += 1
                left = CODE_TRIES - state["tries"]
                if left <= 0:
                    state.pop("code")
                row.value = json.dumps(state)
                self._entry(s, f"step=wrong tries_left={max(left, 0)}")
                more = f" {left} tries left." if left > 0 else " Ask for a new one."
                outcome = ("Wrong code." + more, max(left, 0))
        raise WrongCode(outcome[0], tries_left=outcome[1])

    def verified(self, device_id: str) -> bool:
        with self.sp.db.sessions() as s:
            device = s.get(Device, device_id)
            return bool(device is not None and device.verified_phone_hash)


@router.post("/phone", status_code=202, response_model=CodeSent,
             responses={429: {"model": ErrorOut, "description": "Codes asked for too often: see Retry-After"},
                        503: {"model": ErrorOut, "description": "The code could not be sent"}})
async def send_code(body: PhoneIn, request: Request, principal: Principal = Depends(APP),
                    runner: LocalRunner = Depends(get_runner), sp: SavePets = Depends(get_service)) -> CodeSent:
    """Send a one-time 6-digit code to `phone` (valid 10 minutes, 5 tries); `POST /v1/me/phone/verify` with it
    makes this the app's verified phone. At most 5 codes an hour, one every 30 seconds (429 with Retry-After)."""
    transports = getattr(request.app.state, "transports", None)
    if transports is None:
        transports = server_transports(request.app.state.settings)
    if "sms" not in transports:
        raise HTTPException(503, "This server cannot send messages yet (no notifier configured); ask its operator.")
    verifier = Verifier(sp)
    language = body.language or preferred_language(request.headers.get("accept-language", ""))
    _phone, notification_id, wait = await runner.call(verifier.start, principal.device_id, body.phone, language)
    if wait > 0:
        raise HTTPException(429, "A code was sent recently; wait before asking again.",
                            headers={"Retry-After": retry_after(wait)})
    state = await runner.call(notifications.deliver_now, sp.db, transports, notification_id,
                              device_id=sp.device_id)
    if state != "sent":
        await runner.call(verifier.forget, principal.device_id)
        raise HTTPException(503, "The code could not be sent; try again later.")
    return CodeSent(expires_in=int(CODE_VALID.total_seconds()), tries=CODE_TRIES)


def preferred_language(accept_language: str) -> str:
    """"ko" when the first language the client names is Korean, else "en"."""
    first = accept_language.split(",")[0].split(";")[0].strip().lower()
    return "ko" if first.startswith("ko") else "en"


@router.post("/phone/verify", response_model=PhoneState,
             responses={422: {"model": ErrorOut, "description": "Wrong, expired or used-up code (details.tries_left)"}})
async def verify_code(body: CodeIn, principal: Principal = Depends(APP), runner: LocalRunner = Depends(get_runner),
                      sp: SavePets = Depends(get_service)) -> PhoneState:
    """Give the code sent to the phone: the phone becomes this app's verified phone, whose dogs it may see in full
    (`GET /v1/dogs`). 422 `invalid_code` for a wrong, expired or used-up code."""
    await runner.call(Verifier(sp).verify, principal.device_id, body.code)
    return PhoneState(verified=True)


@router.get("/phone", response_model=PhoneState)
async def phone_state(principal: Principal = Depends(APP), runner: LocalRunner = Depends(get_runner),
                      sp: SavePets = Depends(get_service)) -> PhoneState:
    """Whether this app has a verified phone."""
    return PhoneState(verified=await runner.call(Verifier(sp).verified, principal.device_id))
