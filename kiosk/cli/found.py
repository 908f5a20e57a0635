"""`savepets found ...`: a dog found without its owner, from nose photos (core/service/lost_and_found.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from kiosk.cli.common import (
    DataOption,
    DbOption,
    JsonOption,
    app,
    errors_to_exit,
    out,
    plural,
    service,
)
from kiosk.cli.reunite import (
    AT_HELP,
    FOUND_STATES,
    LAT_HELP,
    LON_HELP,
    PLACE_HELP,
    SHORT,
    CaseArg,
    check_place,
    local_time,
    parse_when,
    read_found_photos,
    resolve,
    state_filter,
    validated,
)
from kiosk.cli.reunite_show import (
    case_masked,
    days_left,
    decision_words,
    dog_cell,
    print_case,
    print_json,
    print_reunions,
)

found_app = typer.Typer(help="Dogs found without their owner (a stray taken in): open a case from nose photos, list, "
                             "show, close.", no_args_is_help=True)
app.add_typer(found_app, name="found")


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
        check_place(place, lat, lon)
        found = validated(FoundIn, found_at=parse_when(at), place=place, lat=lat, lon=lon, notes=notes)
        images = read_found_photos(photos)
    with service(db, data_dir) as sp:
        case = sp.open_found_case(images, found)
        if as_json:
            print_json(case_masked(case))
            return
        out.print(f"[bold green]Found case {case.id[:SHORT]} opened[/] ({plural(len(case.photos), 'photo')}"
                  + (f"; held until {local_time(case.hold_until)[:10]}, {days_left(case)} left" if case.days_left
                     else "") + ").")
        unlikely = case.reunions and all(r.decision == Decision.NO_MATCH for r in case.reunions)
        out.print("No registered dog matches these photos; the closest dogs reported lost are listed to compare. "
                  "The case stays open: a lost report made later is searched against it." if unlikely
                  else escape(case.message))
        print_case(sp, case)
    if case.reunions:
        print_reunions(case.reunions, "Registered dogs to compare, best first")
        out.print("Compare and decide: savepets reunions show REUNION")


@found_app.command("list")
def found_list(
    state: Annotated[str, typer.Option("--state", help="open, reunited, closed or all")] = "open",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Found cases, the latest found first."""
    with errors_to_exit():
        wanted = state_filter(state, FOUND_STATES)
    with service(db, data_dir) as sp:
        cases = sp.found_cases(state=wanted, limit=limit)
    if as_json:
        print_json([case_masked(c) for c in cases])
        return
    if not cases:
        out.print("No found cases." if wanted is None else f"No {wanted} found cases.")
        return
    t = Table("Case", "Found", "Place", "Held", "Registered dog", "State")
    t.columns[0].no_wrap = t.columns[1].no_wrap = t.columns[4].no_wrap = True
    for c in cases:
        reunited = next((r for r in c.reunions if r.state == "confirmed"), None)
        dogs = (dog_cell(reunited.dog.registration_number, reunited.dog.name) if reunited else
                "\n".join(f"{escape(r.dog.name)} {r.score:.3f} {decision_words(r)}" for r in c.reunions
                          if r.state == "possible"))
        t.add_row(f"[bold]{c.id[:SHORT]}[/]\n{plural(len(c.photos), 'photo')}",
                  local_time(c.found_at).replace(" ", "\n"),
                  escape(c.place), days_left(c) + (" left" if c.days_left else ""), dogs or "-", c.state)
    out.print(t)
    out.print(f"{plural(len(cases), 'case')}. One in full: savepets found show CASE")


@found_app.command("show")
def found_show(case: CaseArg,
               db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """One found case: when and where, its photos (paths, to compare) and its reunions."""
    from core.registry.models import FoundCase

    with service(db, data_dir) as sp:
        c = sp.found_case(resolve(sp, FoundCase, case, "found case", "savepets found list --state all"))
        if as_json:
            print_json(case_masked(c))
            return
        print_case(sp, c)
    if c.reunions:
        print_reunions(c.reunions, "Reunions, best first")
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
        c = sp.close_found_case(resolve(sp, FoundCase, case, "found case", "savepets found list --state all"))
    if as_json:
        print_json(case_masked(c))
        return
    out.print(f"[bold green]Found case {c.id[:SHORT]} closed[/] (found {local_time(c.found_at)}, {escape(c.place)}).")


