"""`savepets owners ...`: owners' rights (a copy of their data, erasure)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kiosk.cli.common import (
    DataOption,
    DbOption,
    app,
    errors_to_exit,
    fail,
    out,
    plural,
    service,
)

owners_app = typer.Typer(help="Owners' rights over their data: a copy of everything held about one owner (export) "
                              "and erasure on request.", no_args_is_help=True)
app.add_typer(owners_app, name="owners")
PhoneArg = Annotated[str, typer.Argument(help="The owner's phone, any format (010-1234-5678)")]


@owners_app.command("export")
def owners_export(phone: PhoneArg,
                  out_file: Annotated[Path | None, typer.Option("--out", help="Write the JSON to this file (readable "
                                                                       "only by you) instead of printing it")] = None,
                  db: DbOption = None, data_dir: DataOption = None) -> None:
    """Everything the registry holds about one owner, as JSON: the owner, their dogs with registration numbers,
    and the dogs' photos. Exit code 4 when no owner has this phone."""
    import os

    with service(db, data_dir) as sp, errors_to_exit():
        data = sp.export_owner(phone)
    text = data.model_dump_json(indent=2) + "\n"
    if out_file is None:
        sys.stdout.write(text)
        return
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: the user's eyes only
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        fail(f"Cannot write {out_file}: {exc}")
    out.print(f"Wrote the owner's data ({plural(len(data.dogs), 'dog')}) to {out_file}.")


@owners_app.command("erase")
def owners_erase(phone: PhoneArg,
                 yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
                 db: DbOption = None, data_dir: DataOption = None) -> None:
    """Erase an owner on request: their name and phone removed here and, through sync, everywhere; their dogs
    removed with photos and nose templates, except dogs in the shelter's care (status found), kept without an
    owner. Cannot be undone. Asks for confirmation unless --yes."""
    with service(db, data_dir) as sp, errors_to_exit():
        if not yes:
            plan = sp.erase_owner(phone, dry_run=True)
            out.print(f"This erases the owner's name and phone for good; removes {plural(len(plan.removed), 'dog')} "
                      f"with {plural(plan.photos_removed, 'photo')} ({', '.join(plan.removed) or 'none'}); keeps "
                      f"{plural(len(plan.kept), 'dog')} in the shelter's care ({', '.join(plan.kept) or 'none'}).")
            try:
                sure = typer.confirm("Erase this owner?", default=False)
            except typer.Abort:
                fail("Nothing erased: confirm on a terminal, or give --yes.")
            if not sure:
                out.print("Nothing erased.")
                raise typer.Exit(1)
        result = sp.erase_owner(phone)
    out.print(f"Erased the owner. Removed {plural(len(result.removed), 'dog')} and "
              f"{plural(result.photos_removed, 'photo')}; kept {plural(len(result.kept), 'dog')} in the shelter's care "
              "without an owner. Kiosks erase it at their next sync.")
