"""`savepets lost ...`, `savepets found ...` and `savepets reunions ...`: lost reports, found dogs and the possible
reunions recognition finds between them (core/service/reunite.py), for staff at the command line.

Times are typed in ISO 8601, with or without a zone (none: this machine's local time), or as "now" / "2 hours ago",
and shown in local time. A report, case or reunion is named by its id or by its first characters (the tables show
8). Owners' contacts are shown masked, as in `lookup`; `savepets dogs show NUMBER` shows one in full."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from kiosk.cli.common import (
    EXIT_NOT_FOUND,
    DataOption,
    DbOption,
    JsonOption,
    _read_photos,
    app,
    errors_to_exit,
    fail,
    out,
    plural,
    service,
)
from kiosk.cli.dogs import KEY_HELP, dog_key

lost_app = typer.Typer(help="Dogs reported lost by their owners: report, list, withdraw, home.", no_args_is_help=True)
found_app = typer.Typer(help="Dogs found without their owner (a stray taken in): open a case from nose photos, list, "
                             "show, close.", no_args_is_help=True)
reunions_app = typer.Typer(help="Possible reunions of a found dog with a registered one, for a person to compare and "
                                "confirm or reject.", no_args_is_help=True)
app.add_typer(lost_app, name="lost")
app.add_typer(found_app, name="found")
app.add_typer(reunions_app, name="reunions")

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
        raise InvalidInput(f"{option} {_local(when)} is in the future.", field=option)
    return when.astimezone(UTC)


def _check_place(place: str, lat: float | None, lon: float | None) -> None:
    from core.errors import InvalidInput

    if not place.strip():
        raise InvalidInput("--place is empty: say where, in words people know (a street, a park, a town).",
                           field="--place")
    if (lat is None) != (lon is None):
        raise InvalidInput(f"{'--lat' if lon is None else '--lon'} needs {'--lon' if lon is None else '--lat'}: give "
                           "both coordinates, or neither.", field="--lat")


def _choice(value: str, option: str, allowed: tuple[str, ...]) -> str:
    from core.errors import InvalidInput

    v = value.strip().lower()
    if v not in allowed:
        raise InvalidInput(f"{option} must be {', '.join(allowed[:-1])} or {allowed[-1]}; got {value!r}.",
                           field=option)
    return v


def _state(value: str, allowed: tuple[str, ...]) -> str | None:
    """A --state value: one of `allowed`, or "all" (None: every state)."""
    v = _choice(value, "--state", (*allowed, "all"))
    return None if v == "all" else v


def _model(cls, **values):
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


def _photos(paths: list[Path]):
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


def _resolve(sp, model, key: str, what: str, list_cmd: str) -> str:
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


# ------------------------------------------------------------------------------------------------ output
def _local(when: datetime | None) -> str:
    if when is None:
        return "-"
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone().strftime("%Y-%m-%d %H:%M")


def _where(x) -> str:
    return x.place + (f" ({x.lat:.5f}, {x.lon:.5f})" if x.lat is not None and x.lon is not None else "")


def _json(items) -> None:
    if isinstance(items, list):
        print(json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False, indent=2))
    else:
        print(items.model_dump_json(indent=2))


def _masked(dog):
    """The dog as `lookup` shows candidates: owner's name and phone masked, no notes."""
    from core.schemas import mask_name

    owner = dog.owner.masked()
    return dog.model_copy(update={"owner": owner.model_copy(update={"name": mask_name(owner.name)}), "notes": ""})


def _case_masked(case):
    """A found case with its reunions' owners masked, as the tables show them (in --json too)."""
    return case.model_copy(update={"reunions": [r.model_copy(update={"dog": _masked(r.dog)}) for r in case.reunions]})


def _owner(dog) -> str:
    if getattr(dog.owner, "redacted", False):
        return "another organisation's dog"
    return f"{dog.owner.name or '-'}  {dog.owner.phone or '-'}"


def _decision(r) -> str:
    from core.recognition.base import Decision

    return {Decision.MATCH: "[bold green]sure match[/]", Decision.UNCERTAIN: "[yellow]possible[/]"}.get(
        r.decision, "[dim]unlikely[/]")


def _source(r) -> str:
    return "lost report" if r.source == "lost" else "registry"


def _days_left(case) -> str:
    if case.days_left is None:
        return "-"
    return "ends today" if case.days_left == 0 else plural(case.days_left, "day")


def _dog_cell(number: str, name: str) -> str:
    return f"{number}\n{escape(name)}"


def _print_reunions(reunions, title: str | None = None, cases: dict | None = None, dog: bool = True) -> None:
    """Reunions, a row each: with their found case when `cases` (id -> FoundCaseOut) is given, with the registered
    dog and (without cases) its owner masked when `dog`."""
    t = Table(title=title, title_justify="left")
    t.add_column("Reunion", no_wrap=True)
    if cases is not None:
        t.add_column("Found dog")
    if dog:
        t.add_column("Registered dog", no_wrap=True)
    t.add_column("Score", no_wrap=True)
    owner = dog and cases is None  # reunions list: the owner in reunions show
    if owner:
        t.add_column("Owner", no_wrap=True)
    t.add_column("State", no_wrap=True)
    for r in reunions:
        d = _masked(r.dog)
        cells = [f"[bold]{r.id[:SHORT]}[/]"]
        if cases is not None:
            c = cases[r.found_case_id]
            cells.append(f"case {c.id[:SHORT]}\n{_local(c.found_at)}\n{escape(c.place)}")
        if dog:
            cells.append(_dog_cell(d.registration_number, d.name))
        cells.append(f"{r.score:.3f}\n{_decision(r)}\n{_source(r)}")
        if owner:
            cells.append(escape(_owner(d)).replace("  ", "\n"))
        t.add_row(*cells, r.state)
    out.print(t)


def _print_paths(title: str, paths) -> None:
    """Photo paths as plain lines (never cut by the terminal's width), to open side by side."""
    out.print(f"[bold]{title}[/]")
    for p in paths:
        print(f"  {p}")


def _print_lost(r, title: str | None = None) -> None:
    t = Table(show_header=False, title=title, title_justify="left")
    t.add_row("Report", f"[bold]{r.id[:SHORT]}[/]  ({r.id})")
    t.add_row("Dog", f"{escape(r.dog_name)}  {r.registration_number}")
    t.add_row("Lost", _local(r.lost_at))
    t.add_row("Place", escape(_where(r)))
    language = "Korean" if r.language == "ko" else "English"
    t.add_row("Owner told", f"by {r.channel} to {r.contact or '-'}, in {language}, "
              + ("of possible matches and of a confirmed reunion" if r.notify_possible else "of a confirmed reunion"))
    if r.notes:
        t.add_row("Notes", escape(r.notes))
    t.add_row("State", r.state + (f" ({_local(r.closed_at)})" if r.closed_at else ""))
    out.print(t)


def _print_case(sp, c, title: str | None = None) -> None:
    t = Table(show_header=False, title=title, title_justify="left")
    t.add_row("Case", f"[bold]{c.id[:SHORT]}[/]  ({c.id})")
    t.add_row("Found", _local(c.found_at))
    t.add_row("Place", escape(_where(c)))
    t.add_row("Kind", {"intake": "shelter intake", "finder": "finder's report"}.get(c.kind, c.kind))
    t.add_row("State", c.state + (f" ({_local(c.closed_at)})" if getattr(c, "closed_at", None) else ""))
    if c.hold_until is not None:
        left = "" if c.days_left is None else f" ({_days_left(c)}{' left' if c.days_left else ''})"
        t.add_row("Held until", _local(c.hold_until)[:10] + left)
    if c.notes:
        t.add_row("Notes", escape(c.notes))
    t.add_row("Photos", str(len(c.photos)))
    out.print(t)
    _print_paths("The found dog's photos:", [sp.store.path(p.sha256) for p in c.photos])


def _possible_reunions_of(sp, dog_id: str) -> list[str]:
    """The possible reunions of a dog with open found cases, best first: those the report's search made, and those
    made before it (a stray taken in earlier and matched against the whole registry)."""
    from sqlalchemy import select

    from core.registry.models import FoundCase, FoundState, Reunion, ReunionState

    with sp.db.sessions() as s:
        return list(s.scalars(select(Reunion.id).join(FoundCase, FoundCase.id == Reunion.found_case_id).where(
            Reunion.dog_id == dog_id, Reunion.state == ReunionState.POSSIBLE, Reunion.deleted_at.is_(None),
            FoundCase.state == FoundState.OPEN, FoundCase.deleted_at.is_(None)).order_by(Reunion.score.desc())))


# ------------------------------------------------------------------------------------------------ lost
@lost_app.command("report")
def lost_report(
    dog: Annotated[str, typer.Argument(help=KEY_HELP, metavar="DOG", show_default=False)],
    place: Annotated[str, typer.Option("--place", help=PLACE_HELP, show_default=False)],
    at: Annotated[str, typer.Option("--at", help=AT_HELP)] = "now",
    lat: Annotated[float | None, typer.Option("--lat", help=LAT_HELP)] = None,
    lon: Annotated[float | None, typer.Option("--lon", help=LON_HELP)] = None,
    email: Annotated[str | None, typer.Option("--email", help="Tell the owner at this e-mail address")] = None,
    phone: Annotated[str | None, typer.Option(
        "--phone", help="Tell the owner at this phone (default: the owner's registered phone)")] = None,
    channel: Annotated[str | None, typer.Option(
        "--channel", help="sms or email (default: email when only --email is given, else sms)")] = None,
    language: Annotated[str, typer.Option("--language", help="The owner's messages in ko or en")] = "ko",
    notify_possible: Annotated[bool, typer.Option(
        "--notify-possible", help="Tell the owner of possible matches too, not only of a confirmed reunion")] = False,
    notes: Annotated[str, typer.Option("--notes", help="Collar, marks, how it happened")] = "",
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Report a registered dog lost; the open found cases are searched for it at once."""
    from core.errors import NotFound
    from core.schemas import LostIn

    with errors_to_exit():
        _check_place(place, lat, lon)
        how = _choice(channel, "--channel", ("sms", "email")) if channel else ("email" if email and not phone
                                                                                else "sms")
        if how == "email" and not email:
            fail("--channel email needs --email (the owner's address).")
        report = _model(LostIn, dog=dog.strip() or "-", lost_at=parse_when(at), place=place, lat=lat, lon=lon,
                        contact_email=email, contact_phone=phone, channel=how,
                        language=_choice(language, "--language", ("ko", "en")), notify_possible=notify_possible,
                        notes=notes)
    with service(db, data_dir) as sp:
        try:
            made = sp.report_lost(report.model_copy(update={"dog": dog_key(sp, dog)}))
        except NotFound as exc:
            if "dog" in exc.details:  # digits that name no dog (dog_key): its message says so
                raise
            fail(f"{exc.message.rstrip('.')}: find its number with savepets dogs list {dog.strip()!r}.",
                 EXIT_NOT_FOUND)  # a name, most likely
        reunions = [sp.reunion(rid) for rid in _possible_reunions_of(sp, made.dog_id)]
        cases = {r.found_case_id: sp.found_case(r.found_case_id) for r in reunions}
    if as_json:
        _json(made)
        return
    out.print(f"[bold green]Reported lost:[/] {escape(made.dog_name)} ({made.registration_number}), report "
              f"[bold]{made.id[:SHORT]}[/].")
    _print_lost(made)
    if reunions:
        _print_reunions(reunions, "Found dogs that may be this one, best first", cases=cases, dog=False)
        out.print("Compare and decide: savepets reunions show REUNION")
    else:
        out.print("No open found case matches this dog yet; each dog found from now on is searched against it.")


@lost_app.command("list")
def lost_list(
    state: Annotated[str, typer.Option("--state", help="open, withdrawn, home or all")] = "open",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Lost reports, the latest loss first."""
    with errors_to_exit():
        wanted = _state(state, LOST_STATES)
    with service(db, data_dir) as sp:
        reports = sp.lost_reports(state=wanted, limit=limit)
    if as_json:
        _json(reports)
        return
    if not reports:
        out.print("No lost reports." if wanted is None else f"No {wanted} lost reports.")
        return
    t = Table("Report", "Dog", "Lost", "Place", "State")
    t.columns[0].no_wrap = t.columns[1].no_wrap = t.columns[2].no_wrap = True
    for r in reports:
        t.add_row(f"[bold]{r.id[:SHORT]}[/]", _dog_cell(r.registration_number, r.dog_name),
                  _local(r.lost_at).replace(" ", "\n"), escape(r.place), r.state)
    out.print(t)
    out.print(f"{plural(len(reports), 'report')}." + (" Ends: savepets lost home REPORT | savepets lost withdraw REPORT"
                                                      if any(r.state == "open" for r in reports) else ""))


def _end(report: str, how: str, db, data_dir, as_json: bool) -> None:
    from core.registry.models import LostReport

    with service(db, data_dir) as sp:
        ended = sp.end_lost(_resolve(sp, LostReport, report, "lost report", "savepets lost list --state all"), how)
        status = sp.get_dog(ended.dog_id).status.value
    if as_json:
        _json(ended)
        return
    said = "withdrawn" if how == "withdrawn" else "ended: the dog is home"
    out.print(f"[bold green]Lost report {ended.id[:SHORT]} {said}.[/] {escape(ended.dog_name)} "
              f"({ended.registration_number}) is now {status}.")


@lost_app.command("withdraw")
def lost_withdraw(report: ReportArg,
                  db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Withdraw a lost report (the owner took it back); the dog's status becomes home."""
    _end(report, "withdrawn", db, data_dir, as_json)


@lost_app.command("home")
def lost_home(report: ReportArg,
              db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """End a lost report: the dog is home."""
    _end(report, "home", db, data_dir, as_json)


# ------------------------------------------------------------------------------------------------ found
@found_app.command("open")
def found_open(
    photos: Annotated[list[Path], typer.Argument(help="1 to 5 nose photos of the found dog", metavar="PHOTO",
                                                 show_default=False)],
    place: Annotated[str, typer.Option("--place", help=PLACE_HELP, show_default=False)],
    at: Annotated[str, typer.Option("--at", help=AT_HELP)] = "now",
    lat: Annotated[float | None, typer.Option("--lat", help=LAT_HELP)] = None,
    lon: Annotated[float | None, typer.Option("--lon", help=LON_HELP)] = None,
    notes: Annotated[str, typer.Option("--notes", help="Collar, marks, the finder, where the dog is kept")] = "",
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Take in a dog found without its owner: a found case from 1 to 5 nose photos, held for its owner the days the
    settings say. It is searched at once among the dogs reported lost, then among all registered dogs; what may be
    the dog is listed as possible reunions, best first."""
    from core.recognition.base import Decision
    from core.schemas import FoundIn

    with errors_to_exit():
        _check_place(place, lat, lon)
        found = _model(FoundIn, found_at=parse_when(at), place=place, lat=lat, lon=lon, notes=notes)
        images = _photos(photos)
    with service(db, data_dir) as sp:
        case = sp.open_found_case(images, found)
        if as_json:
            _json(_case_masked(case))
            return
        out.print(f"[bold green]Found case {case.id[:SHORT]} opened[/] ({plural(len(case.photos), 'photo')}"
                  + (f"; held until {_local(case.hold_until)[:10]}, {_days_left(case)} left" if case.days_left
                     else "") + ").")
        unlikely = case.reunions and all(r.decision == Decision.NO_MATCH for r in case.reunions)
        out.print("No registered dog matches these photos; the closest dogs reported lost are listed to compare. "
                  "The case stays open: a lost report made later is searched against it." if unlikely
                  else escape(case.message))
        _print_case(sp, case)
    if case.reunions:
        _print_reunions(case.reunions, "Registered dogs to compare, best first")
        out.print("Compare and decide: savepets reunions show REUNION")


@found_app.command("list")
def found_list(
    state: Annotated[str, typer.Option("--state", help="open, reunited, closed or all")] = "open",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Found cases, the latest found first."""
    with errors_to_exit():
        wanted = _state(state, FOUND_STATES)
    with service(db, data_dir) as sp:
        cases = sp.found_cases(state=wanted, limit=limit)
    if as_json:
        _json([_case_masked(c) for c in cases])
        return
    if not cases:
        out.print("No found cases." if wanted is None else f"No {wanted} found cases.")
        return
    t = Table("Case", "Found", "Place", "Held", "Registered dog", "State")
    t.columns[0].no_wrap = t.columns[1].no_wrap = t.columns[4].no_wrap = True
    for c in cases:
        reunited = next((r for r in c.reunions if r.state == "confirmed"), None)
        dogs = (_dog_cell(reunited.dog.registration_number, reunited.dog.name) if reunited else
                "\n".join(f"{escape(r.dog.name)} {r.score:.3f} {_decision(r)}" for r in c.reunions
                          if r.state == "possible"))
        t.add_row(f"[bold]{c.id[:SHORT]}[/]\n{plural(len(c.photos), 'photo')}", _local(c.found_at).replace(" ", "\n"),
                  escape(c.place), _days_left(c) + (" left" if c.days_left else ""), dogs or "-", c.state)
    out.print(t)
    out.print(f"{plural(len(cases), 'case')}. One in full: savepets found show CASE")


@found_app.command("show")
def found_show(case: CaseArg,
               db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """One found case: when and where, its photos (paths, to compare) and its reunions."""
    from core.registry.models import FoundCase

    with service(db, data_dir) as sp:
        c = sp.found_case(_resolve(sp, FoundCase, case, "found case", "savepets found list --state all"))
        if as_json:
            _json(_case_masked(c))
            return
        _print_case(sp, c)
    if c.reunions:
        _print_reunions(c.reunions, "Reunions, best first")
        if any(r.state == "possible" for r in c.reunions):
            out.print("Compare and decide: savepets reunions show REUNION")
    else:
        out.print("No registered dog matches this case yet.")


@found_app.command("close")
def found_close(case: CaseArg,
                db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Close a found case without a reunion (adopted, holding period over, opened by mistake)."""
    from core.registry.models import FoundCase

    with service(db, data_dir) as sp:
        c = sp.close_found_case(_resolve(sp, FoundCase, case, "found case", "savepets found list --state all"))
    if as_json:
        _json(_case_masked(c))
        return
    out.print(f"[bold green]Found case {c.id[:SHORT]} closed[/] (found {_local(c.found_at)}, {escape(c.place)}).")


# ------------------------------------------------------------------------------------------------ reunions
def _reunion_key(sp, key: str) -> str:
    from core.registry.models import Reunion

    return _resolve(sp, Reunion, key, "reunion", "savepets reunions list --state all")


@reunions_app.command("list")
def reunions_list(
    state: Annotated[str, typer.Option("--state", help="possible, confirmed, rejected or all")] = "possible",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Reunions of found dogs with registered ones (possible ones: of open cases), the latest found first, best
    first within a case. Owners' contacts masked."""
    with errors_to_exit():
        wanted = _state(state, REUNION_STATES)
    with service(db, data_dir) as sp:
        reunions = sp.reunions(state=wanted, limit=limit)
        cases = {cid: sp.found_case(cid) for cid in {r.found_case_id for r in reunions}}
    if as_json:
        _json([r.model_copy(update={"dog": _masked(r.dog)}) for r in reunions])
        return
    if not reunions:
        out.print("No reunions." if wanted is None else f"No {wanted} reunions.")
        return
    _print_reunions(reunions, cases=cases)
    out.print(f"{plural(len(reunions), 'reunion')}. Compare one: savepets reunions show REUNION")


@reunions_app.command("show")
def reunions_show(reunion: ReunionArg,
                  db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """One reunion, to compare: the found dog's photos and the registered dog's (paths), the score, the dog and its
    owner (contact masked; savepets dogs show NUMBER in full), and its lost report."""
    with service(db, data_dir) as sp:
        r = sp.reunion(_reunion_key(sp, reunion))
        case = sp.found_case(r.found_case_id)
        report = sp.lost_report(r.lost_report_id) if r.lost_report_id else None
        dog = _masked(r.dog)
        if as_json:
            _json(r.model_copy(update={"dog": dog}))
            return
        t = Table(show_header=False, title=f"Reunion {r.id[:SHORT]}: {r.state}", title_justify="left")
        t.add_row("Reunion", r.id)
        t.add_row("Score", f"{r.score:.3f} (confidence {r.probability:.0%}), {_decision(r)}, found searching the "
                  + ("dogs reported lost" if r.source == "lost" else "whole registry"))
        if r.decided_at is not None:
            t.add_row("Decided", f"{r.state} by {escape(r.decided_by or '-')}, {_local(r.decided_at)}")
        t.add_row("[bold]Found dog[/]", f"case {case.id[:SHORT]}, {case.state}: found {_local(case.found_at)}, "
                  f"{escape(_where(case))}" + (f"; held {_days_left(case)}" + (" more" if case.days_left else "")
                                               if case.days_left is not None else ""))
        about = [escape(dog.breed)] if dog.breed else []
        about += [dog.sex.value] if dog.sex.value != "unknown" else []
        t.add_row("[bold]Registered dog[/]", f"{dog.registration_number}  {escape(dog.name)}"
                  + "".join(f", {x}" for x in about) + f"; status {dog.status.value}")
        t.add_row("Owner", escape(_owner(dog)))
        if report is not None:
            t.add_row("Lost report", f"{report.id[:SHORT]}, {report.state}: lost {_local(report.lost_at)}, "
                      f"{escape(_where(report))}; owner told by {report.channel} to {report.contact}")
        out.print(t)
        _print_paths(f"The found dog's photos (case {case.id[:SHORT]}):",
                     [sp.store.path(p.sha256) for p in r.found_photos])
        _print_paths(f"{escape(dog.name)}'s registered photos:", [sp.store.path(p.sha256) for p in dog.photos])
    if r.state == "possible":
        out.print(f"Decide: savepets reunions confirm {r.id[:SHORT]} | savepets reunions reject {r.id[:SHORT]}")


def _decide(reunion: str, confirm: bool, db, data_dir, as_json: bool) -> None:
    from sqlalchemy import select

    from core.registry.models import LostReport, LostState

    with service(db, data_dir) as sp:
        rid = _reunion_key(sp, reunion)
        with sp.db.sessions() as s:  # the dog's open lost reports: a confirmation ends them (home)
            dog_id = sp.reunion(rid).dog.id
            open_reports = list(s.scalars(select(LostReport.id).where(
                LostReport.dog_id == dog_id, LostReport.state == LostState.OPEN, LostReport.deleted_at.is_(None))))
        r = sp.decide_reunion(rid, confirm)
        told = confirm and sp.owner_told(r.found_case_id)
        relays = not sp.sends_notifications()
        ended = [sp.lost_report(x) for x in open_reports] if confirm else []
    if as_json:
        _json(r.model_copy(update={"dog": _masked(r.dog)}))
        return
    dog = f"{escape(r.dog.name)} ({r.dog.registration_number})"
    if not confirm:
        out.print(f"[bold]Rejected:[/] the found dog of case {r.found_case_id[:SHORT]} is not {dog}. The case stays "
                  "open.")
        return
    out.print(f"[bold green]Reunited:[/] the found dog of case {r.found_case_id[:SHORT]} is {dog}. The case is "
              "closed as reunited" + "".join(f"; lost report {x.id[:SHORT]} ended (home)" for x in ended) + ".")
    if told:
        report = next((x for x in ended if x.id == r.lost_report_id), ended[0] if ended else None)
        how = (f"{report.channel} to {report.contact}" if report is not None and report.contact
               else "sms to the owner's registered phone")
        out.print(f"The owner's message is queued: {how}.")
    elif relays:
        out.print("The owner is told by the server once this kiosk syncs.")
    else:
        out.print("No message could be queued for the owner: call them (savepets dogs show "
                  f"{r.dog.registration_number}).")
    out.print(f"Once the owner has the dog back: savepets dogs status {r.dog.registration_number} home")


@reunions_app.command("confirm")
def reunions_confirm(reunion: ReunionArg,
                     db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Confirm a reunion after comparing the photos: the found case is closed as reunited, the dog's lost report
    ends (home), its status becomes found, and its owner is told."""
    _decide(reunion, True, db, data_dir, as_json)


@reunions_app.command("reject")
def reunions_reject(reunion: ReunionArg,
                    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Reject a reunion: the found dog is not that registered dog. The found case stays open."""
    _decide(reunion, False, db, data_dir, as_json)
