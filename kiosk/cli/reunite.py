"""What `savepets lost ...`, `savepets found ...` and `savepets reunions ...` (kiosk/cli/lost.py, found.py,
reunions.py; lost reports, found dogs and the possible reunions recognition finds between them) share: reading what
staff type (times, places, coordinates, ids, photos). What they print: kiosk/cli/reunite_show.py.

Times are typed in ISO 8601, with or without a zone (none: this machine's local time), or as "now" / "2 hours ago",
and shown in local time. A report, case or reunion is named by its id or by its first characters (the tables show
8). Owners' contacts are shown masked, as in `lookup`; `savepets dogs show NUMBER` shows one in full."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from kiosk.cli.common import (
    _read_photos,
)

ID_MIN = 6  # characters of an id enough to name a report, case or reunion (the tables show 8)
SHORT = 8
FUTURE_SLACK = timedelta(minutes=10)  # as the core's check (core.schemas._not_future)
AT_HELP = 'When: ISO 8601 (2026-12-03T09:30, local time unless it has a zone such as +09:00), "now" or "2 hours ago"'
PLACE_HELP = "Where, in words people know (a street, a park, a town)"
LAT_HELP, LON_HELP = "Latitude (WGS 84, with --lon)", "Longitude (WGS 84, with --lat)"
LOST_STATES, FOUND_STATES = ("open", "withdrawn", "home"), ("open", "reunited", "closed")
REUNION_STATES = ("possible", "confirmed", "rejected")
# the core's field names as the options that set them, in messages
OPTION_OF = {"lost_at": "--at", "found_at": "--at", "place": "--place", "lat": "--lat", "lon": "--lon",
             "contact_email": "--email", "contact_phone": "--phone", "channel": "--channel", "language": "--language",
             "notes": "--notes"}

ReportArg = Annotated[str, typer.Argument(help="The report's id, or its first characters", metavar="REPORT",
                                          show_default=False)]
CaseArg = Annotated[str, typer.Argument(help="The case's id, or its first characters", metavar="CASE",
                                        show_default=False)]
ReunionArg = Annotated[str, typer.Argument(help="The reunion's id, or its first characters", metavar="REUNION",
                                           show_default=False)]

_AGO = re.compile(r"(\d{1,5})\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s+ago")
_UNIT = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_ID_CHARS = re.compile(r"[0-9a-f-]+")



# ------------------------------------------------------------------------------------------------ input
def local_time(when: datetime | None) -> str:
    if when is None:
        return "-"
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone().strftime("%Y-%m-%d %H:%M")


def parse_when(text: str, option: str = "--at") -> datetime:
    """A time typed by a person: ISO 8601 with or without a zone (none: local time; a date alone: its midnight),
    "now", or "N minutes|hours|days|weeks ago". Not in the future. Aware, in UTC."""
    from core.errors import InvalidInput

    t = " ".join(text.split()).lower()
    now = datetime.now(UTC)
    if t in ("", "now"):
        return now
    if m := _AGO.fullmatch(t):
        return now - timedelta(**{_UNIT[m.group(2)[0]]: int(m.group(1))})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option} {text.strip()!r} is not a time: give ISO 8601 (2026-12-03T09:30 in local time, "
                           "or with its zone: 2026-12-03T09:30+09:00), \"now\" or e.g. \"2 hours ago\".",
                           field=option) from None
    when = when.astimezone() if when.tzinfo is None else when  # no zone: this machine's local time
    if when > now + FUTURE_SLACK:
        raise InvalidInput(f"{option} {local_time(when)} is in the future.", field=option)
    return when.astimezone(UTC)


def check_place(place: str, lat: float | None, lon: float | None) -> None:
    from core.errors import InvalidInput

    if not place.strip():
        raise InvalidInput("--place is empty: say where, in words people know (a street, a park, a town).",
                           field="--place")
    if (lat is None) != (lon is None):
        raise InvalidInput(f"{'--lat' if lon is None else '--lon'} needs {'--lon' if lon is None else '--lat'}: give "
                           "both coordinates, or neither.", field="--lat")


def one_of(value: str, option: str, allowed: tuple[str, ...]) -> str:
    from core.errors import InvalidInput

    v = value.strip().lower()
    if v not in allowed:
        raise InvalidInput(f"{option} must be {', '.join(allowed[:-1])} or {allowed[-1]}; got {value!r}.",
                           field=option)
    return v


def state_filter(value: str, allowed: tuple[str, ...]) -> str | None:
    """A --state value: one of `allowed`, or "all" (None: every state)."""
    v = one_of(value, "--state", (*allowed, "all"))
    return None if v == "all" else v


def validated(cls, **values):
    """A core input model; its validation errors name the options that set the fields (--at, not lost_at)."""
    from pydantic import ValidationError

    from core.errors import InvalidInput, InvalidPhone

    try:
        return cls(**values)
    except ValidationError as exc:
        parts = []
        for e in exc.errors():
            field = str(e["loc"][0]) if e["loc"] else ""
            option, msg = OPTION_OF.get(field, field), e["msg"].removeprefix("Value error, ")
            if e["type"] == "string_pattern_mismatch" and field == "contact_email":
                msg = f"{e['input']!r} is not an e-mail address"
            elif e["type"] == "string_too_long":
                msg = f"is too long (at most {e['ctx']['max_length']} characters)"
            elif e["type"].startswith(("less_than", "greater_than")):
                msg = f"must be between {'-90 and 90' if field == 'lat' else '-180 and 180'}; got {e['input']}"
            parts.append(f"{option} {msg}" if field else msg)
        raise InvalidInput("; ".join(parts).rstrip(".") + ".") from None
    except InvalidPhone as exc:  # the phone's own check, raised as it is through the model
        raise InvalidPhone(f"--phone: {exc.message}", **exc.details) from None


def read_found_photos(paths: list[Path]):
    """The photo files read and checked (common._read_photos), a file too short to be any image included."""
    import struct

    from core.errors import InvalidPhoto, PhotosRejected
    from core.usecases import MAX_LOOKUP_PHOTOS

    if len(paths) > MAX_LOOKUP_PHOTOS:  # before reading them, and before loading the engine
        raise PhotosRejected(f"A found dog takes 1 to {MAX_LOOKUP_PHOTOS} nose photos; got {len(paths)}.",
                             count=len(paths))
    photos = []
    for p in paths:
        try:
            photos += _read_photos([p])
        except struct.error:  # core.photos.read_header on a file of 1 to 3 bytes
            raise InvalidPhoto(f"{p.name}: not an image (JPEG or PNG expected).", photo=str(p)) from None
    return photos


def resolve(sp, model, key: str, what: str, list_cmd: str) -> str:
    """The id of the report, case or reunion `key` names: its id, or the first characters of it (at least ID_MIN)
    when they name one. Unknown: NotFound (exit 4); too short, or several: InvalidInput (exit 2)."""
    from sqlalchemy import select

    from core.errors import InvalidInput, NotFound

    key = key.strip().lower()
    if not _ID_CHARS.fullmatch(key) or len(key) > 36:
        raise NotFound(f"No {what} {key!r}: give its id or its first characters ({list_cmd}).", key=key)
    if len(key) < ID_MIN:
        raise InvalidInput(f"Give at least {ID_MIN} characters of the {what}'s id ({list_cmd}).", key=key)
    with sp.db.sessions() as s:
        found = list(s.scalars(select(model.id).where(model.id.like(key + "%"), model.deleted_at.is_(None))
                               .limit(5)))
    if not found:
        raise NotFound(f"No {what} whose id starts with {key!r} ({list_cmd}).", key=key)
    if len(found) > 1:
        raise InvalidInput(f"{key!r} starts the ids of {len(found)} {what}s: give more characters.", key=key)
    return found[0]


