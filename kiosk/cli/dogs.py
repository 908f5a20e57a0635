"""`savepets dogs ...`: browse and edit the registry."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from kiosk.cli.common import (
    DataOption,
    DbOption,
    JsonOption,
    _phone,
    _print_dog,
    app,
    err,
    errors_to_exit,
    out,
    service,
)

dogs_app = typer.Typer(help="Browse and edit the registry.", no_args_is_help=True)


app.add_typer(dogs_app, name="dogs")


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
        t.add_row(d.registration_number, d.name, d.breed, d.status.value, d.owner.name, _phone(d.owner.phone))
    out.print(t if dogs else "No dogs found.")


@dogs_app.command("show")
def dogs_show(key: Annotated[str, typer.Argument(help="Registration number or id")],
              db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Show one dog."""
    with service(db, data_dir) as sp:
        dog = sp.get_dog(key)
    if as_json:
        print(dog.model_dump_json(indent=2))
    else:
        _print_dog(dog)


@dogs_app.command("status")
def dogs_status(key: Annotated[str, typer.Argument(help="Registration number or id")],
                status: Annotated[str, typer.Argument(help="home, lost, found or deceased")],
                db: DbOption = None, data_dir: DataOption = None) -> None:
    """Report a dog lost, found, home or deceased."""
    from core.registry.models import DogStatus

    with errors_to_exit():
        value = DogStatus(status)
    with service(db, data_dir) as sp:
        dog = sp.set_status(key, value)
    out.print(f"{dog.name} ({dog.registration_number}) is now {dog.status.value}.")


@dogs_app.command("delete")
def dogs_delete(key: Annotated[str, typer.Argument(help="Registration number or id")],
                yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False,
                db: DbOption = None, data_dir: DataOption = None) -> None:
    """Remove a dog from the registry (kept as a tombstone for sync)."""
    with service(db, data_dir) as sp:
        dog = sp.get_dog(key)
        if not yes and not (sys.stdin.isatty() and typer.confirm(f"Delete {dog.name} ({dog.registration_number})?")):
            err.print("Not deleted (use --yes to confirm without a prompt).")
            raise typer.Exit(1)
        sp.delete_dog(key)
    out.print(f"Deleted {dog.name} ({dog.registration_number}).")
