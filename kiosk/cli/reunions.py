"""`savepets reunions ...`: the possible reunions of found dogs with registered ones, for a person to decide
(core/service/reunite.py)."""

from __future__ import annotations

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
from kiosk.cli.reunite import REUNION_STATES, SHORT, ReunionArg, local_time, resolve, state_filter
from kiosk.cli.reunite_show import (
    days_left,
    decision_words,
    dog_masked,
    owner_cell,
    place_words,
    print_json,
    print_paths,
    print_reunions,
)

reunions_app = typer.Typer(help="Possible reunions of a found dog with a registered one, for a person to compare and "
                                "confirm or reject.", no_args_is_help=True)
app.add_typer(reunions_app, name="reunions")


# ------------------------------------------------------------------------------------------------ reunions
def reunion_key(sp, key: str) -> str:
    from core.registry.models import Reunion

    return resolve(sp, Reunion, key, "reunion", "savepets reunions list --state all")


@reunions_app.command("list")
def reunions_list(
    state: Annotated[str, typer.Option("--state", help="possible, confirmed, rejected or all")] = "possible",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Reunions of found dogs with registered ones (possible ones: of open cases), the latest found first, best
    first within a case. Owners' contacts masked."""
    with errors_to_exit():
        wanted = state_filter(state, REUNION_STATES)
    with service(db, data_dir) as sp:
        reunions = sp.reunions(state=wanted, limit=limit)
        cases = {cid: sp.found_case(cid) for cid in {r.found_case_id for r in reunions}}
    if as_json:
        print_json([r.model_copy(update={"dog": dog_masked(r.dog)}) for r in reunions])
        return
    if not reunions:
        out.print("No reunions." if wanted is None else f"No {wanted} reunions.")
        return
    print_reunions(reunions, cases=cases)
    out.print(f"{plural(len(reunions), 'reunion')}. Compare one: savepets reunions show REUNION")


@reunions_app.command("show")
def reunions_show(reunion: ReunionArg,
                  db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """One reunion, to compare: the found dog's photos and the registered dog's (paths), the score, the dog and its
    owner (contact masked; savepets dogs show NUMBER in full), and its lost report."""
    with service(db, data_dir) as sp:
        r = sp.reunion(reunion_key(sp, reunion))
        case = sp.found_case(r.found_case_id)
        report = sp.lost_report(r.lost_report_id) if r.lost_report_id else None
        dog = dog_masked(r.dog)
        if as_json:
            print_json(r.model_copy(update={"dog": dog}))
            return
        t = Table(show_header=False, title=f"Reunion {r.id[:SHORT]}: {r.state}", title_justify="left")
        t.add_row("Reunion", r.id)
        t.add_row("Score", f"{r.score:.3f} (confidence {r.probability:.0%}), {decision_words(r)}, found searching the "
                  + ("dogs reported lost" if r.source == "lost" else "whole registry"))
        if r.decided_at is not None:
            t.add_row("Decided", f"{r.state} by {escape(r.decided_by or '-')}, {local_time(r.decided_at)}")
        t.add_row("[bold]Found dog[/]", f"case {case.id[:SHORT]}, {case.state}: found {local_time(case.found_at)}, "
                  f"{escape(place_words(case))}" + (f"; held {days_left(case)}" + (" more" if case.days_left else "")
                                               if case.days_left is not None else ""))
        about = [escape(dog.breed)] if dog.breed else []
        about += [dog.sex.value] if dog.sex.value != "unknown" else []
        t.add_row("[bold]Registered dog[/]", f"{dog.registration_number}  {escape(dog.name)}"
                  + "".join(f", {x}" for x in about) + f"; status {dog.status.value}")
        t.add_row("Owner", escape(owner_cell(dog)))
        if report is not None:
            t.add_row("Lost report", f"{report.id[:SHORT]}, {report.state}: lost {local_time(report.lost_at)}, "
                      f"{escape(place_words(report))}; owner told by {report.channel} to {report.contact}")
        out.print(t)
        print_paths(f"The found dog's photos (case {case.id[:SHORT]}):",
                     [sp.store.path(p.sha256) for p in r.found_photos])
        print_paths(f"{escape(dog.name)}'s registered photos:", [sp.store.path(p.sha256) for p in dog.photos])
    if r.state == "possible":
        out.print(f"Decide: savepets reunions confirm {r.id[:SHORT]} | savepets reunions reject {r.id[:SHORT]}")


def decide_reunion(reunion: str, confirm: bool, db, data_dir, as_json: bool) -> None:
    from sqlalchemy import select

    from core.registry.models import LostReport, LostState

    with service(db, data_dir) as sp:
        rid = reunion_key(sp, reunion)
        with sp.db.sessions() as s:  # the dog's open lost reports: a confirmation ends them (home)
            dog_id = sp.reunion(rid).dog.id
            open_reports = list(s.scalars(select(LostReport.id).where(
                LostReport.dog_id == dog_id, LostReport.state == LostState.OPEN, LostReport.deleted_at.is_(None))))
        r = sp.decide_reunion(rid, confirm)
        told = confirm and sp.owner_told(r.found_case_id)
        relays = not sp.sends_notifications()
        ended = [sp.lost_report(x) for x in open_reports] if confirm else []
    if as_json:
        print_json(r.model_copy(update={"dog": dog_masked(r.dog)}))
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
    decide_reunion(reunion, True, db, data_dir, as_json)


@reunions_app.command("reject")
def reunions_reject(reunion: ReunionArg,
                    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Reject a reunion: the found dog is not that registered dog. The found case stays open."""
    decide_reunion(reunion, False, db, data_dir, as_json)
