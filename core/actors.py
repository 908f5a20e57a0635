"""Who is acting: the signed-in staff member at a kiosk, an API key on the server, the command line, or sync.

Use cases ask `current_actor()` instead of taking an extra parameter everywhere. The server wraps each request
in `acting_as(key_actor)`, or, for a staff phone of the web app with a member's session (POST /v1/staff/session),
in the member's actor: kind "staff" with the device key's organisation, device and role (`via`); the kiosk sets
the signed-in member on the service (`SavePets.signed_in`), which applies on its worker thread where no context is
set; the command line acts as `cli_actor()`.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

ActorKind = Literal["staff", "api_key", "cli", "sync", "system"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str  # staff user id, API key id, OS user name, device id
    name: str = ""  # shown in the audit trail: staff name, key label
    role: str | None = None  # staff | admin for staff members; None otherwise
    org: str | None = None  # an API key's organisation (server): what it registers belongs to it
    device: str | None = None  # an API key's device (server); a member's, signed in on a staff phone
    via: str | None = None  # a member on a staff phone: the role of the device's key (kiosk, vet, admin)

    @property
    def key_role(self) -> str | None:
        """The role of the API key behind this actor: an API key's own, or the key of the staff phone a member is
        signed in on (`via`); None at a kiosk and on the command line. What limits a key to its organisation limits
        the member who acts through it too."""
        return self.role if self.kind == "api_key" else self.via

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name or self.id}"


SYSTEM = Actor("system", "system", "system")

_current: ContextVar[Actor | None] = ContextVar("savepets_actor", default=None)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def current_actor(fallback: Actor | None = None) -> Actor:
    """The actor of this context, else `fallback` (the kiosk's signed-in member), else SYSTEM."""
    return _current.get() or fallback or SYSTEM


def cli_actor() -> Actor:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment (some containers)
        user = "unknown"
    return Actor("cli", user, user)
