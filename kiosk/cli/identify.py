"""`savepets register` and `savepets lookup`: a dog from its nose photos."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kiosk.cli.common import (
    EXIT_NOT_FOUND,
    DataOption,
    DbOption,
    JsonOption,
    _print_dog,
    _read_photos,
    app,
    errors_to_exit,
    out,
    plural,
    service,
)


@app.command()
def register(
    photos: Annotated[list[Path], typer.Argument(help="Exactly 5 nose photos of the dog", show_default=False)],
    name: Annotated[str, typer.Option("--name", help="The dog's name")],
    phone: Annotated[str, typer.Option("--phone", help="Owner's phone, e.g. 010-1234-5678")],
    owner: Annotated[str, typer.Option("--owner", help="Owner's name")] = "",
    breed: Annotated[str, typer.Option(help="Breed")] = "",
    sex: Annotated[str, typer.Option(help="male, female or unknown")] = "unknown",
    birth_date: Annotated[str | None, typer.Option("--birth-date", help="YYYY-MM-DD")] = None,
    neutered: Annotated[bool | None, typer.Option("--neutered/--not-neutered", help="Neutered?")] = None,
    notes: Annotated[str, typer.Option(help="Free notes")] = "",
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Register a dog from 5 nose photos. Refuses a dog that is surely registered already (exit 3); one that only
    looks like registered dogs is registered and flagged for a person's review."""
    from core.schemas import DogIn, OwnerIn

    with errors_to_exit():
        owner_in = OwnerIn(phone=phone, name=owner)
        dog_in = DogIn(name=name, breed=breed, sex=sex, birth_date=birth_date, neutered=neutered, notes=notes)
        images = _read_photos(photos)
    with service(db, data_dir) as sp:
        result = sp.register(owner_in, dog_in, images)
    if as_json:
        print(result.model_copy(update={"possible_duplicates": _concealed(result.possible_duplicates)})
              .model_dump_json(indent=2))
        return
    out.print("[bold green]Registered.[/]" + (" (existing owner)" if result.owner_existed else ""))
    if result.possible_duplicates:
        others = ", ".join(f"{c.dog.name} ({c.dog.registration_number}, score {c.score:.3f})"
                           for c in result.possible_duplicates)
        out.print(f"[bold yellow]Flagged for review:[/] possible duplicate of {others}; a person reviews it.")
    _print_dog(result.dog)


@app.command()
def lookup(
    photos: Annotated[list[Path], typer.Argument(help="1 to 5 nose photos of the same dog", show_default=False)],
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Identify a dog from 1 to 5 nose photos of the same dog. Exit code 0 when found or when a person should
    compare the candidates shown (possible match), 4 when not registered."""
    from core.errors import PhotosRejected
    from core.recognition.base import Decision
    from core.usecases import MAX_LOOKUP_PHOTOS

    with errors_to_exit():
        if len(photos) > MAX_LOOKUP_PHOTOS:  # before loading the engine
            raise PhotosRejected(f"A look-up takes 1 to {MAX_LOOKUP_PHOTOS} photos of one dog; got {len(photos)}.",
                                 count=len(photos))
        images = _read_photos(photos)
    with service(db, data_dir) as sp:
        result = sp.lookup(images)
    if as_json:
        sure = result.decision == Decision.MATCH  # only a sure match is shown in full, in the table as here
        masked = {"candidates": _concealed(result.candidates),
                  **({} if sure or result.match is None else {"match": _concealed([result.match])[0]})}
        print(result.model_copy(update=masked).model_dump_json(indent=2))
    else:
        _print_lookup(result)
    if result.decision == Decision.NO_MATCH:
        raise typer.Exit(EXIT_NOT_FOUND)


def _print_lookup(result) -> None:
    """The decision, why, and (unless the match is sure) the candidates side by side for a person to compare."""
    from core.recognition.base import Decision

    if result.decision == Decision.MATCH:
        out.print(f"[bold green]Found[/] (confidence {result.match.probability:.0%}, score {result.match.score:.3f})")
    elif result.decision == Decision.UNCERTAIN:
        out.print("[bold yellow]Possible match — a person compares the candidates below[/]")
    else:
        out.print("[bold]Not registered.[/]")
    out.print(f"Why: {result.message}.")
    out.print(f"[dim]{plural(result.photos_used, 'photo')} compared with "
              f"{plural(result.gallery_dogs, 'registered dog')}[/]")
    if result.decision == Decision.MATCH:
        _print_dog(result.match.dog)
    elif result.candidates:
        uncertain = result.decision == Decision.UNCERTAIN
        _print_candidates(result.candidates, "Candidates to compare, best first" if uncertain
                          else "Closest registered dogs (none is a match), best first")


def _concealed(candidates: list) -> list:
    """Candidates as the table shows them, in --json too: the owner's name and phone masked ('김**',
    '010-****-5678'), no notes (free text that may name people). One in full: savepets dogs show NUMBER."""
    from core.schemas import mask_name

    def conceal(dog):
        owner = dog.owner.masked()  # a phone masked already (by the core, for some roles) stays as it is
        return dog.model_copy(update={"owner": owner.model_copy(update={"name": mask_name(owner.name)}), "notes": ""})

    return [c.model_copy(update={"dog": conceal(c.dog)}) for c in candidates]


def _print_candidates(candidates, title: str) -> None:
    from core.phone import mask_phone
    from core.recognition.base import Decision

    t = Table("#", "Registration number", "Name", "Breed", "Score", "Decision", "Owner phone", title=title,
              title_justify="left")
    for i, c in enumerate(candidates, 1):
        t.add_row(str(i), c.dog.registration_number, c.dog.name, c.dog.breed or "-", f"{c.score:.3f}",
                  "possible" if c.decision == Decision.UNCERTAIN else "unlikely", mask_phone(c.dog.owner.phone))
    out.print(t)
    out.print("One in full: savepets dogs show <registration number>")
