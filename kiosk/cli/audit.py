"""`savepets audit ...`: the audit trail."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from kiosk.cli.common import (
    DataOption,
    DbOption,
    JsonOption,
    _database,
    app,
    errors_to_exit,
    out,
    settings_for,
)

audit_app = typer.Typer(help="The audit trail: who looked up, saw or changed what, when, from which device.")


app.add_typer(audit_app, name="audit")


@audit_app.callback(invoke_without_command=True)
def audit_list(
    ctx: typer.Context,
    dog: Annotated[str | None, typer.Option("--dog", help="A dog's registration number or id")] = None,
    who: Annotated[str | None, typer.Option("--who", help="Who: a staff name, an API key id or name, a CLI user, "
                                            "or kind:name as listed (staff:kim)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this date (YYYY-MM-DD, local time) or ISO date "
                                              "and time on")] = None,
    action: Annotated[str | None, typer.Option("--action", help="Only this action (lookup, contact_view, register, "
                                               "edit, status, delete, …)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many entries")] = 100,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """List the audit trail, newest first (`savepets audit purge` applies the retention)."""
    if ctx.invoked_subcommand is not None:
        return
    from core import audit

    with errors_to_exit():
        audit.check_action(action)
        audit.parse_since(since)  # bad filters fail before the registry is opened
        database = _database(db, data_dir)
        try:
            entries = audit.trail(database, dog=dog, who=who, since=since, action=action, limit=limit)
        finally:
            database.dispose()
    if as_json:
        print(json.dumps([e.model_dump(mode="json") for e in entries], ensure_ascii=False, indent=2))
        return
    if not entries:
        out.print("No audit entries" + (" match." if any((dog, who, since, action)) else " yet."))
        return
    t = Table()
    for column in ("When", "Who", "Action", "Dog", "Details", "Device"):
        t.add_column(column, overflow="fold")  # nothing cut off on a narrow terminal
    for e in entries:
        decision = " ".join(x for x in (e.decision, e.reason and f"({e.reason})") if x)
        who_ = e.who + (f" ({e.actor_role})" if e.actor_role else "")
        t.add_row(e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"), who_, e.action, e.registration_number or "-",
                  "; ".join(x for x in (decision, e.detail) if x) or "-", e.device_id[:8])
    out.print(t)
    out.print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, newest first"
              + (f" (the newest {limit}: --limit for more)" if len(entries) == limit else "") + ".")


@audit_app.command("purge")
def audit_purge(db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Delete the entries older than the retention (setting audit_retention_days, default 730); the purge is itself
    recorded. Also done at every start and once a day."""
    from core import audit
    from core.actors import cli_actor

    with errors_to_exit():
        settings = settings_for(db, data_dir)
        database = _database(db, data_dir)
        try:
            gone = audit.purge_database(database, settings.audit_retention_days, actor=cli_actor(),
                                        device_id=settings.device_id or database.device_id())
        finally:
            database.dispose()
    if as_json:
        print(json.dumps({"deleted": gone, "retention_days": settings.audit_retention_days}))
        return
    out.print(f"Deleted {gone} audit entr{'y' if gone == 1 else 'ies'} older than {settings.audit_retention_days} "
              "days.")
