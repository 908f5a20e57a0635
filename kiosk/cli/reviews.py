"""`savepets reviews ...`: possible duplicates for a person to decide."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from core.errors import NotFound
from kiosk.cli.common import (
    DataOption,
    DbOption,
    JsonOption,
    _phone,
    app,
    fail,
    out,
    plural,
    service,
)

reviews_app = typer.Typer(help="Possible duplicates: two registrations that may be one dog, for a person to decide.",
                          no_args_is_help=True)
app.add_typer(reviews_app, name="reviews")
REVIEW_ID_MIN = 6  # characters of a review id enough to name it (reviews list shows 8)
def _review_dog(dog) -> str:
    return (f"[bold]{dog.registration_number}[/]\n{dog.name} · {dog.registered_at.astimezone():%Y-%m-%d}\n"
            f"{dog.owner.name or '-'}  {_phone(dog.owner.phone)}\n{plural(len(dog.photos), 'photo')}")


@reviews_app.command("list")
def reviews_list(limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
                 db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Open reviews, newest first: both registrations (the older first: a merge keeps it) and the score."""
    with service(db, data_dir) as sp:
        page = sp.list_reviews(limit=limit)
    if as_json:
        print(page.model_dump_json(indent=2))
        return
    if not page.reviews:
        out.print("No reviews open.")
        return
    t = Table("Review", "Older registration (kept)", "Newer registration", show_lines=True)
    for r in page.reviews:
        t.add_row(f"[bold]{r.id[:8]}[/]\nscore {r.score:.3f}\n{r.created_at.astimezone():%Y-%m-%d %H:%M}",
                  _review_dog(r.older), _review_dog(r.newer))
    out.print(t)
    shown = f"{len(page.reviews)} of {page.count}" if page.count > len(page.reviews) else str(page.count)
    out.print(f"{shown} open. Decide one: savepets reviews resolve REVIEW --same-dog | --different")


def _review_id(sp, key: str) -> str:
    """A review by its id or by the start of it (at least REVIEW_ID_MIN characters) among the open reviews."""
    from core.errors import InvalidInput

    key = key.strip().lower()
    if len(key) >= 36:
        return key
    if len(key) < REVIEW_ID_MIN:
        raise InvalidInput(f"Give at least {REVIEW_ID_MIN} characters of the review's id (savepets reviews list).")
    found = [r.id for r in sp.list_reviews(limit=500).reviews if r.id.startswith(key)]
    if len(found) > 1:
        raise InvalidInput(f"{key!r} starts {len(found)} reviews' ids: give more characters.")
    if not found:
        raise NotFound(f"No open review whose id starts with {key!r}.", review=key)
    return found[0]


@reviews_app.command("resolve")
def reviews_resolve(
    review: Annotated[str, typer.Argument(help="The review's id, or its first characters (from reviews list)")],
    same_dog: Annotated[bool | None, typer.Option(
        "--same-dog/--different", show_default=False,
        help="The same dog (merge the newer registration into the older one) or different dogs")] = None,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Decide a review: --same-dog merges the newer registration into the older one (which keeps its number and
    owner and gains the photos; the newer one is removed), --different keeps both."""
    if same_dog is None:
        fail("Say --same-dog (merge the newer registration into the older one) or --different.")
    with service(db, data_dir) as sp:
        result = sp.resolve_review(_review_id(sp, review), same_dog)
    if as_json:
        print(result.model_dump_json(indent=2))
        return
    older, newer = result.older, result.newer
    if not same_dog:
        out.print(f"[bold green]Different dogs:[/] {older.registration_number} ({older.name}) and "
                  f"{newer.registration_number} ({newer.name}) both stay registered.")
        return
    out.print(f"[bold green]Merged:[/] {newer.registration_number} ({newer.name}) into {older.registration_number} "
              f"({older.name}), which keeps its number; {plural(result.photos_added, 'photo')} added, "
              f"{newer.registration_number} removed.")
    if result.other_reviews:
        out.print(f"{plural(result.other_reviews, 'other review')} of {newer.registration_number} now name "
                  f"{older.registration_number}.")
    out.print("Tell the owners:" if result.owners_differ else "Tell the owner (both registrations are theirs):")
    for o in result.owners:
        out.print(f"  {o.name or '-'}  {_phone(o.phone)}")
