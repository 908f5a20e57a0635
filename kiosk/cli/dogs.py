"""`savepets dogs ...`: browse and edit the registry."""

from __future__ import annotations

import json
import re
import sys
from typing import Annotated

import typer
from rich.table import Table

from kiosk.cli.common import (
    EXIT_FAILED,
    DataOption,
    DbOption,
    JsonOption,
    _phone,
    _print_dog,
    app,
    err,
    errors_to_exit,
    fail,
    out,
    service,
)

dogs_app = typer.Typer(help="Browse and edit the registry.", no_args_is_help=True)
app.add_typer(dogs_app, name="dogs")
KEY_HELP = ("Registration number, its digits alone (26112617305678 for 2611261730ㅊㅋ5678, or the first 10 when they "
            "name one dog), or id")
NUMBER_DIGITS = re.compile(r"\d{10}(?:\d{4}(?:-\d+)?)?")


def _digits(number: str) -> str:
    """A registration number without its letters: 2611261730ㅊㅋ5678-2 -> 26112617305678-2."""
    base, dash, suffix = number.partition("-")
    return "".join(c for c in base if c.isdigit()) + (dash + suffix if dash else "")


def dog_key(sp, key: str) -> str:
    """The dog `key` names: an id or registration number as it is, or the number's digits alone (typed without the
    Hangul initials): all 14 (with a -2 suffix where the number has one), or the first 10 (the registration minute).
    Digits that name no dog: NotFound; several dogs: they are listed on standard error, exit code 2."""
    from sqlalchemy import select

    from core.errors import NotFound
    from core.registry.models import Dog

    key = key.strip()
    if not NUMBER_DIGITS.fullmatch(key):
        return key
    with sp.db.sessions() as s:
        rows = s.execute(select(Dog.id, Dog.registration_number, Dog.name, Dog.registered_at)
                         .where(Dog.registration_number.like(key[:10] + "%"), Dog.deleted_at.is_(None))
                         .order_by(Dog.registration_number)).all()
    found = [r for r in rows if len(key) == 10 or _digits(r.registration_number) == key]
    if not found:
        raise NotFound(f"No registered dog's number has the digits {key}.", dog=key)
    if len(found) > 1:
        t = Table("Registration number", "Name", "Registered", title=f"Dogs whose number has the digits {key}",
                  title_justify="left")
        for r in found:
            t.add_row(r.registration_number, r.name, r.registered_at.astimezone().strftime("%Y-%m-%d %H:%M"))
        err.print(t)
        fail(f"{key} names {len(found)} dogs: give the whole registration number (one of the above).")
    return found[0].id


@dogs_app.command("list")
def dogs_list(
    query: Annotated[str | None, typer.Argument(help="Name, registration number or phone")] = None,
    phone: Annotated[str | None, typer.Option(help="Only this owner's dogs")] = None,
    status: Annotated[str | None, typer.Option(help="home, lost, found or deceased")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """List registered dogs, newest first."""
    from core.registry.models import DogStatus

    with errors_to_exit():
        status_v = DogStatus(status) if status else None
    with service(db, data_dir) as sp:
        dogs = sp.list_dogs(query=query, phone=phone, status=status_v, limit=limit)
    if as_json:
        print(json.dumps([d.model_dump(mode="json") for d in dogs], ensure_ascii=False, indent=2))
        return
    t = Table("Registration number", "Name", "Breed", "Status", "Owner", "Phone")
    for d in dogs:
        owner, phone = (("online only", "") if d.owner.redacted else (d.owner.name, _phone(d.owner.phone)))
        t.add_row(d.registration_number, d.name, d.breed, d.status.value, owner, phone)
    out.print(t if dogs else "No dogs found.")


@dogs_app.command("show")
def dogs_show(key: Annotated[str, typer.Argument(help=KEY_HELP)],
              db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Show one dog."""
    with service(db, data_dir) as sp:
        dog = sp.get_dog(dog_key(sp, key))
    if as_json:
        print(dog.model_dump_json(indent=2))
    else:
        _print_dog(dog)


@dogs_app.command("status")
def dogs_status(key: Annotated[str, typer.Argument(help=KEY_HELP)],
                status: Annotated[str, typer.Argument(help="home, lost, found or deceased")],
                db: DbOption = None, data_dir: DataOption = None) -> None:
    """Report a dog lost, found, home or deceased."""
    from core.registry.models import DogStatus

    with errors_to_exit():
        value = DogStatus(status)
    with service(db, data_dir) as sp:
        dog = sp.set_status(dog_key(sp, key), value)
    out.print(f"{dog.name} ({dog.registration_number}) is now {dog.status.value}.")


@dogs_app.command("delete")
def dogs_delete(key: Annotated[str, typer.Argument(help=KEY_HELP)],
                yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False,
                db: DbOption = None, data_dir: DataOption = None) -> None:
    """Remove a dog from the registry (kept as a tombstone for sync)."""
    with service(db, data_dir) as sp:
        key = dog_key(sp, key)
        dog = sp.get_dog(key)
        if not yes:
            if not sys.stdin.isatty():
                fail("Not deleted: confirm on a terminal, or give --yes.")
            if not typer.confirm(f"Delete {dog.name} ({dog.registration_number})?"):
                out.print("Not deleted.")
                raise typer.Exit(EXIT_FAILED)
        sp.delete_dog(key)
    out.print(f"Deleted {dog.name} ({dog.registration_number}).")
