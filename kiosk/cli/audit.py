"""`savepets audit ...`: the audit trail."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from kiosk.cli.common import (
    DataOption,
    DbOption,
    JsonOption,
    _database,
    app,
    errors_to_exit,
    out,
    plural,
    settings_for,
)

WIDE = 120  # narrower terminals (80 columns): no seconds, no device column (in --json), the action with its details
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
    wide = out.width >= WIDE
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    t.add_column("When", no_wrap=True)
    t.add_column("Who", no_wrap=True, overflow="ellipsis", max_width=None if wide else 18)
    if wide:
        t.add_column("Action", no_wrap=True)
    t.add_column("Dog", no_wrap=True)
    t.add_column("Details" if wide else "What", ratio=1, overflow="fold")  # the one that wraps (at spaces)
    if wide:
        t.add_column("Device", no_wrap=True)
    for e in entries:
        decision = " ".join(x for x in (e.decision, e.reason and f"({e.reason})") if x)
        who_ = e.who + (f" ({e.actor_role})" if e.actor_role else "")
        details = "; ".join(x for x in (decision, e.detail) if x)
        when = e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S" if wide else "%Y-%m-%d %H:%M")
        if wide:
            t.add_row(when, who_, e.action, e.registration_number or "-", details or "-", e.device_id[:8])
        else:  # 80 columns: the action leads its details, so they share the room left
            t.add_row(when, who_, e.registration_number or "-", f"[bold]{e.action}[/] {escape(details)}".rstrip())
    out.print(t)
    out.print(f"{plural(len(entries), 'entry', 'entries')}, newest first"
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
    out.print(f"Deleted {plural(gone, 'audit entry', 'audit entries')} older than {settings.audit_retention_days} "
              "days.")
