"""`savepets lost ...`: an owner's report that a registered dog is lost (core/service/lost_and_found.py)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from kiosk.cli.common import (
    EXIT_NOT_FOUND,
    DataOption,
    DbOption,
    JsonOption,
    app,
    errors_to_exit,
    fail,
    out,
    plural,
    service,
)
from kiosk.cli.dogs import KEY_HELP, dog_key
from kiosk.cli.reunite import (
    AT_HELP,
    LAT_HELP,
    LON_HELP,
    LOST_STATES,
    PLACE_HELP,
    SHORT,
    ReportArg,
    check_place,
    local_time,
    one_of,
    parse_when,
    resolve,
    state_filter,
    validated,
)
from kiosk.cli.reunite_show import dog_cell, possible_reunions_of, print_json, print_lost, print_reunions

lost_app = typer.Typer(help="Dogs reported lost by their owners: report, list, withdraw, home.", no_args_is_help=True)
app.add_typer(lost_app, name="lost")


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
        check_place(place, lat, lon)
        how = one_of(channel, "--channel", ("sms", "email")) if channel else ("email" if email and not phone
                                                                                else "sms")
        if how == "email" and not email:
            fail("--channel email needs --email (the owner's address).")
        report = validated(LostIn, dog=dog.strip() or "-", lost_at=parse_when(at), place=place, lat=lat, lon=lon,
                        contact_email=email, contact_phone=phone, channel=how,
                        language=one_of(language, "--language", ("ko", "en")), notify_possible=notify_possible,
                        notes=notes)
    with service(db, data_dir) as sp:
        try:
            made = sp.report_lost(report.model_copy(update={"dog": dog_key(sp, dog)}))
        except NotFound as exc:
            if "dog" in exc.details:  # digits that name no dog (dog_key): its message says so
                raise
            fail(f"{exc.message.rstrip('.')}: find its number with savepets dogs list {dog.strip()!r}.",
                 EXIT_NOT_FOUND)  # a name, most likely
        reunions = [sp.reunion(rid) for rid in possible_reunions_of(sp, made.dog_id)]
        cases = {r.found_case_id: sp.found_case(r.found_case_id) for r in reunions}
    if as_json:
        print_json(made)
        return
    out.print(f"[bold green]Reported lost:[/] {escape(made.dog_name)} ({made.registration_number}), report "
              f"[bold]{made.id[:SHORT]}[/].")
    print_lost(made)
    if reunions:
        print_reunions(reunions, "Found dogs that may be this one, best first", cases=cases, dog=False)
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
        wanted = state_filter(state, LOST_STATES)
    with service(db, data_dir) as sp:
        reports = sp.lost_reports(state=wanted, limit=limit)
    if as_json:
        print_json(reports)
        return
    if not reports:
        out.print("No lost reports." if wanted is None else f"No {wanted} lost reports.")
        return
    t = Table("Report", "Dog", "Lost", "Place", "State")
    t.columns[0].no_wrap = t.columns[1].no_wrap = t.columns[2].no_wrap = True
    for r in reports:
        t.add_row(f"[bold]{r.id[:SHORT]}[/]", dog_cell(r.registration_number, r.dog_name),
                  local_time(r.lost_at).replace(" ", "\n"), escape(r.place), r.state)
    out.print(t)
    out.print(f"{plural(len(reports), 'report')}." + (" Ends: savepets lost home REPORT | savepets lost withdraw REPORT"
                                                      if any(r.state == "open" for r in reports) else ""))


def end_report(report: str, how: str, db, data_dir, as_json: bool) -> None:
    from core.registry.models import LostReport

    with service(db, data_dir) as sp:
        ended = sp.end_lost(resolve(sp, LostReport, report, "lost report", "savepets lost list --state all"), how)
        status = sp.get_dog(ended.dog_id).status.value
    if as_json:
        print_json(ended)
        return
    said = "withdrawn" if how == "withdrawn" else "ended: the dog is home"
    out.print(f"[bold green]Lost report {ended.id[:SHORT]} {said}.[/] {escape(ended.dog_name)} "
              f"({ended.registration_number}) is now {status}.")


@lost_app.command("withdraw")
def lost_withdraw(report: ReportArg,
                  db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Withdraw a lost report (the owner took it back); the dog's status becomes home."""
    end_report(report, "withdrawn", db, data_dir, as_json)


@lost_app.command("home")
def lost_home(report: ReportArg,
              db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """End a lost report: the dog is home."""
    end_report(report, "home", db, data_dir, as_json)


