"""What `savepets lost|found|reunions` print: tables, times in local time, owners masked, photo paths."""

from __future__ import annotations

import json

from rich.markup import escape
from rich.table import Table

from kiosk.cli.common import (
    out,
    plural,
)
from kiosk.cli.reunite import SHORT, local_time


# ------------------------------------------------------------------------------------------------ output
def place_words(x) -> str:
    return x.place + (f" ({x.lat:.5f}, {x.lon:.5f})" if x.lat is not None and x.lon is not None else "")


def print_json(items) -> None:
    if isinstance(items, list):
        print(json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False, indent=2))
    else:
        print(items.model_dump_json(indent=2))


def dog_masked(dog):
    """The dog as `lookup` shows candidates: owner's name and phone masked, no notes."""
    from core.schemas import mask_name

    owner = dog.owner.masked()
    return dog.model_copy(update={"owner": owner.model_copy(update={"name": mask_name(owner.name)}), "notes": ""})


def case_masked(case):
    """A found case with its reunions' owners masked, as the tables show them (in --json too)."""
    shown = [r.model_copy(update={"dog": dog_masked(r.dog)}) for r in case.reunions]
    return case.model_copy(update={"reunions": shown})


def owner_cell(dog) -> str:
    if getattr(dog.owner, "redacted", False):
        return "another organisation's dog"
    return f"{dog.owner.name or '-'}  {dog.owner.phone or '-'}"


def decision_words(r) -> str:
    from core.recognition.base import Decision

    return {Decision.MATCH: "[bold green]sure match[/]", Decision.UNCERTAIN: "[yellow]possible[/]"}.get(
        r.decision, "[dim]unlikely[/]")


def source_words(r) -> str:
    return "lost report" if r.source == "lost" else "registry"


def days_left(case) -> str:
    if case.days_left is None:
        return "-"
    return "ends today" if case.days_left == 0 else plural(case.days_left, "day")


def dog_cell(number: str, name: str) -> str:
    return f"{number}\n{escape(name)}"


def print_reunions(reunions, title: str | None = None, cases: dict | None = None, dog: bool = True) -> None:
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
        d = dog_masked(r.dog)
        cells = [f"[bold]{r.id[:SHORT]}[/]"]
        if cases is not None:
            c = cases[r.found_case_id]
            cells.append(f"case {c.id[:SHORT]}\n{local_time(c.found_at)}\n{escape(c.place)}")
        if dog:
            cells.append(dog_cell(d.registration_number, d.name))
        cells.append(f"{r.score:.3f}\n{decision_words(r)}\n{source_words(r)}")
        if owner:
            cells.append(escape(owner_cell(d)).replace("  ", "\n"))
        t.add_row(*cells, r.state)
    out.print(t)


def print_paths(title: str, paths) -> None:
    """Photo paths as plain lines (never cut by the terminal's width), to open side by side."""
    out.print(f"[bold]{title}[/]")
    for p in paths:
        print(f"  {p}")


def print_lost(r, title: str | None = None) -> None:
    t = Table(show_header=False, title=title, title_justify="left")
    t.add_row("Report", f"[bold]{r.id[:SHORT]}[/]  ({r.id})")
    t.add_row("Dog", f"{escape(r.dog_name)}  {r.registration_number}")
    t.add_row("Lost", local_time(r.lost_at))
    t.add_row("Place", escape(place_words(r)))
    language = "Korean" if r.language == "ko" else "English"
    t.add_row("Owner told", f"by {r.channel} to {r.contact or '-'}, in {language}, "
              + ("of possible matches and of a confirmed reunion" if r.notify_possible else "of a confirmed reunion"))
    if r.notes:
        t.add_row("Notes", escape(r.notes))
    t.add_row("State", r.state + (f" ({local_time(r.closed_at)})" if r.closed_at else ""))
    out.print(t)


def print_case(sp, c, title: str | None = None) -> None:
    t = Table(show_header=False, title=title, title_justify="left")
    t.add_row("Case", f"[bold]{c.id[:SHORT]}[/]  ({c.id})")
    t.add_row("Found", local_time(c.found_at))
    t.add_row("Place", escape(place_words(c)))
    t.add_row("Kind", {"intake": "shelter intake", "finder": "finder's report"}.get(c.kind, c.kind))
    t.add_row("State", c.state + (f" ({local_time(c.closed_at)})" if getattr(c, "closed_at", None) else ""))
    if c.hold_until is not None:
        left = "" if c.days_left is None else f" ({days_left(c)}{' left' if c.days_left else ''})"
        t.add_row("Held until", local_time(c.hold_until)[:10] + left)
    if c.notes:
        t.add_row("Notes", escape(c.notes))
    t.add_row("Photos", str(len(c.photos)))
    out.print(t)
    print_paths("The found dog's photos:", [sp.store.path(p.sha256) for p in c.photos])


def possible_reunions_of(sp, dog_id: str) -> list[str]:
    """The possible reunions of a dog with open found cases, best first: those the report's search made, and those
    made before it (a stray taken in earlier and matched against the whole registry)."""
    from sqlalchemy import select

    from core.registry.models import FoundCase, FoundState, Reunion, ReunionState

    with sp.db.sessions() as s:
        return list(s.scalars(select(Reunion.id).join(FoundCase, FoundCase.id == Reunion.found_case_id).where(
            Reunion.dog_id == dog_id, Reunion.state == ReunionState.POSSIBLE, Reunion.deleted_at.is_(None),
            FoundCase.state == FoundState.OPEN, FoundCase.deleted_at.is_(None)).order_by(Reunion.score.desc())))


