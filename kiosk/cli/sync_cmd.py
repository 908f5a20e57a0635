"""`savepets sync` and `savepets sync enroll`: this kiosk and the server."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from kiosk.cli.common import (
    EXIT_FAILED,
    EXIT_INVALID,
    DataOption,
    DbOption,
    JsonOption,
    _database,
    app,
    errors_to_exit,
    fail,
    out,
    plural,
    say_error,
    service,
    settings_for,
)

sync_app = typer.Typer(help="Sync with the server: one round (savepets sync), or enroll this kiosk (sync enroll).")
app.add_typer(sync_app, name="sync")


@sync_app.callback(invoke_without_command=True)
def sync_cmd(
    ctx: typer.Context,
    server: Annotated[str | None, typer.Option("--server", help="Server URL (default: settings server_url)",
                                               envvar="SAVEPETS_SERVER_URL")] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", help="An API key of role kiosk (default: the key "
                                                "enrolled, kept in the system keyring)",
                                                envvar="SAVEPETS_API_KEY")] = None,
    no_photos: Annotated[bool, typer.Option("--no-photos", help="Do not download other kiosks' photos")] = False,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Push this kiosk's changes to the server and pull everyone else's. Exit code 1 when it did not finish."""
    if ctx.invoked_subcommand is not None:
        return
    from kiosk.credentials import resolve_api_key, sync_error_words
    from sync.client import SyncClient

    with errors_to_exit():
        key = resolve_api_key(settings_for(db, data_dir), api_key)  # an api_key in the config file moves out here
    with service(db, data_dir, server_url=server, api_key=key) as sp:
        with errors_to_exit():
            client = SyncClient(sp, fetch_photos=not no_photos)
        report = client.sync_once()
        status = client.status
        client.close()
    hint = sync_error_words(status.last_error) if status.state != "online" else None
    if as_json:
        print(json.dumps({"state": status.state, "pending": status.pending, "cursor": status.cursor,
                          "pushed": report.pushed, "duplicates": report.duplicates, "rejected": report.rejected,
                          "remapped": report.remapped, "photos_up": report.photos_up, "audit_up": report.audit_up,
                          "pulled": report.pulled,
                          "photos_down": report.photos_down, "seconds": round(report.seconds, 3),
                          "errors": report.errors, **({"hint": hint} if hint else {})}))
    else:
        colour = "green" if status.state == "online" else "red"
        out.print(f"[bold {colour}]{status.state}[/]: {_summary(report)}; "
                  f"{plural(status.pending, 'change')} pending")
        for e in report.errors:
            say_error(e)
        if hint:
            say_error(hint)
    if status.state != "online":
        raise typer.Exit(EXIT_FAILED)


def _summary(r) -> str:
    return (f"pushed {r.pushed} (+{r.duplicates} already there, {r.rejected} rejected, {r.remapped} "
            "renumbered/merged), "
            f"{plural(r.photos_up, 'photo')} up, {plural(r.audit_up, 'audit entry', 'audit entries')} up; "
            f"pulled {r.pulled}, {plural(r.photos_down, 'photo')} down; {r.seconds:.1f} s")


@sync_app.command("enroll")
def sync_enroll(
    server: Annotated[str, typer.Option("--server", help="The server's address, https://host[:port]")],
    code: Annotated[str, typer.Option("--code", help="The one-time code from savepets devices enroll")],
    name: Annotated[str | None, typer.Option("--name", help="This kiosk's name (default: the code's)")] = None,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Enroll this kiosk with a one-time code: its key goes to the system keyring (never the config file), the
    server address to the config file, the organisation to the registry. Exit code 2 when the code is refused."""
    from kiosk.credentials import EnrollError, enroll

    settings = settings_for(db, data_dir)
    with errors_to_exit():
        database = _database(db, data_dir)
        try:
            done = enroll(server, code, settings.data_dir, db=database, name=name)
        except EnrollError as exc:
            fail(f"Not enrolled: {exc.message}", EXIT_FAILED if exc.kind == "unreachable" else EXIT_INVALID)
        finally:
            database.dispose()
    if as_json:
        print(json.dumps({"server_url": done.server_url, "device_id": done.device_id, "org_id": done.org_id,
                          "org_name": done.org_name, "role": done.role, "name": done.name,
                          "key_stored_in": done.stored_in}, ensure_ascii=False))
        return
    out.print(f"Enrolled [bold]{done.name}[/] ({done.role}, device {done.device_id}) of [bold]{done.org_name}[/] "
              f"at {done.server_url}.")
    out.print(f"Its key is kept in {done.stored_in}; the config file holds only the server address. "
              "Sync now with: savepets sync")
