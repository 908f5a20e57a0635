"""`savepets users ...`: staff accounts of this kiosk's registry."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from core.errors import NotFound
from kiosk.cli.common import (
    DataOption,
    DbOption,
    JsonOption,
    _database,
    app,
    errors_to_exit,
    fail,
    out,
)

users_app = typer.Typer(help="Staff accounts of this kiosk's registry: who signs in at the kiosk, with a PIN and a "
                             "role (staff or admin).", no_args_is_help=True)
app.add_typer(users_app, name="users")
PinFileOption = Annotated[Path | None, typer.Option(
    "--pin-file", help="Read the PIN from this file (for scripts; else $SAVEPETS_PIN, else it is asked twice)",
    exists=True, dir_okay=False)]


def _staff_accounts(db: str | None, data_dir: Path | None):
    from core.staff import StaffAccounts

    return StaffAccounts(_database(db, data_dir))  # with the install's registry key (key_file)


def _read_pin(pin_file: Path | None) -> str:
    """The PIN from --pin-file, $SAVEPETS_PIN, or asked twice on the terminal (never on the command line itself,
    where other users of the machine could read it)."""
    import os

    if pin_file is not None:
        return pin_file.read_text(encoding="utf-8").strip()
    if os.environ.get("SAVEPETS_PIN"):
        return os.environ["SAVEPETS_PIN"].strip()
    if not sys.stdin.isatty():
        fail("No PIN given: use --pin-file FILE or $SAVEPETS_PIN (there is no terminal to ask on).")
    first = typer.prompt("PIN (4 to 8 digits)", hide_input=True)
    if typer.prompt("The same PIN again", hide_input=True) != first:
        fail("The two PINs differ; nothing was changed.")
    return first


@users_app.command("add")
def users_add(name: Annotated[str, typer.Argument(help="The member's name, as they pick it at the kiosk")],
              role: Annotated[str, typer.Option(help="staff or admin (the first account must be admin)")] = "staff",
              pin_file: PinFileOption = None, db: DbOption = None, data_dir: DataOption = None) -> None:
    """Add a staff account. The PIN is asked twice (or read from --pin-file / $SAVEPETS_PIN)."""
    from core.actors import cli_actor
    from core.staff import check_name, check_pin, check_role

    with errors_to_exit():
        check_name(name), check_role(role)
        pin = check_pin(_read_pin(pin_file))
        member = _staff_accounts(db, data_dir).add(name, pin, role, by=cli_actor())
    out.print(f"Added {member.role} [bold]{member.name}[/]: they sign in at the kiosk with their PIN.")


@users_app.command("list")
def users_list(db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """All staff accounts (never their PINs)."""
    with errors_to_exit():
        staff = _staff_accounts(db, data_dir)
        members = staff.list()
        now = staff.clock()
    if as_json:
        print(json.dumps([m.model_dump(mode="json") for m in members], ensure_ascii=False, indent=2))
        return
    if not members:
        out.print("No staff accounts yet: savepets users add NAME --role admin (or start the kiosk).")
        return
    t = Table("Name", "Role", "State", "Last sign-in", "Created")
    for m in members:
        state = ("disabled" if m.disabled else
                 "locked (wrong PINs)" if m.locked_until and m.locked_until > now else "enabled")
        t.add_row(m.name, m.role, state,
                  m.last_sign_in_at.astimezone().strftime("%Y-%m-%d %H:%M") if m.last_sign_in_at else "-",
                  m.created_at.astimezone().strftime("%Y-%m-%d %H:%M"))
    out.print(t)


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="The member's name")],
                  db: DbOption = None, data_dir: DataOption = None) -> None:
    """Disable an account: it can no longer sign in (the last enabled administrator cannot be disabled)."""
    from core.actors import cli_actor

    with errors_to_exit():
        member = _staff_accounts(db, data_dir).disable(name, by=cli_actor())
    out.print(f"Disabled {member.role} {member.name}.")


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="The member's name")],
                 db: DbOption = None, data_dir: DataOption = None) -> None:
    """Enable a disabled account again."""
    from core.actors import cli_actor

    with errors_to_exit():
        member = _staff_accounts(db, data_dir).enable(name, by=cli_actor())
    out.print(f"Enabled {member.role} {member.name}.")


@users_app.command("reset-pin")
def users_reset_pin(name: Annotated[str, typer.Argument(help="The member's name")],
                    pin_file: PinFileOption = None, db: DbOption = None, data_dir: DataOption = None) -> None:
    """Give an account a new PIN (asked twice, or --pin-file / $SAVEPETS_PIN); it also lifts a lock from wrong
    PINs."""
    from core.actors import cli_actor
    from core.staff import check_pin

    with errors_to_exit():
        staff = _staff_accounts(db, data_dir)
        with staff.db.sessions() as s:
            if staff.member(s, name) is None:
                raise NotFound(f"No staff account named {name!r}.", staff=name)
        pin = check_pin(_read_pin(pin_file))
        member = staff.reset_pin(name, pin, by=cli_actor())
    out.print(f"New PIN set for {member.name}.")
