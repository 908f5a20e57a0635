"""The `savepets` command: every mode of the one install (kiosk, server, registry tools, engine tools)."""

from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core import __version__
from core.errors import AlreadyRegistered, NotFound, SavePetsError

app = typer.Typer(help="SavePets: register dogs by their nose print and find them again.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
dogs_app = typer.Typer(help="Browse and edit the registry.", no_args_is_help=True)
db_app = typer.Typer(help="Registry database maintenance.", no_args_is_help=True)
app.add_typer(dogs_app, name="dogs")
app.add_typer(db_app, name="db")

out = Console()
err = Console(stderr=True)

EXIT_INVALID, EXIT_DUPLICATE, EXIT_NOT_FOUND = 2, 3, 4

DbOption = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL (default: SQLite in the data folder)",
                                              envvar="SAVEPETS_DB_URL")]
DataOption = Annotated[Path | None, typer.Option("--data-dir", help="Data folder (photos, index, SQLite)",
                                                 envvar="SAVEPETS_DATA_DIR")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


def _version(value: bool) -> None:
    if value:
        out.print(f"savepets {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Show the version and exit")] = False,
          verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def settings_for(db: str | None, data_dir: Path | None, **extra):
    from core.settings import Settings

    values = {k: v for k, v in {"db_url": db, "data_dir": data_dir, **extra}.items() if v is not None}
    return Settings(**values)


@contextmanager
def service(db: str | None, data_dir: Path | None, **extra):
    """The core service, acting as the machine's operator (core.actors.cli_actor: the audit trail's "who"), with
    every core error turned into a message and an exit code."""
    from core.actors import acting_as, cli_actor
    from core.usecases import SavePets

    with errors_to_exit(), acting_as(cli_actor()):
        with err.status("Loading the registry and the recognition engine…"):
            sp = SavePets(settings_for(db, data_dir, **extra))
        try:
            yield sp
        finally:
            sp.close()


def _database(db: str | None, data_dir: Path | None):
    """The registry database alone (no recognition engine), with this install's registry key."""
    from core.registry.db import Database

    settings = settings_for(db, data_dir)
    return Database(settings.database_url, key_file=settings.key_file)


@contextmanager
def errors_to_exit():
    try:
        yield
    except AlreadyRegistered as exc:
        err.print(f"[bold red]Refused:[/] {exc.message}")
        raise typer.Exit(EXIT_DUPLICATE) from None
    except NotFound as exc:
        err.print(f"[bold red]Not found:[/] {exc.message}")
        raise typer.Exit(EXIT_NOT_FOUND) from None
    except SavePetsError as exc:
        err.print(f"[bold red]Error:[/] {exc.message}")
        raise typer.Exit(EXIT_INVALID) from None
    except ValueError as exc:  # pydantic ValidationError is a ValueError
        err.print(f"[bold red]Invalid input:[/] {_validation_message(exc)}")
        raise typer.Exit(EXIT_INVALID) from None


def _validation_message(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in errors())
    return str(exc)


def _read_photos(paths: list[Path]):
    from core.photos import read_photo_file

    return [read_photo_file(p) for p in paths]


def _print_dog(dog, title: str | None = None) -> None:
    t = Table(show_header=False, title=title, title_justify="left")
    t.add_row("Registration number", f"[bold]{dog.registration_number}[/]")
    t.add_row("Name", dog.name)
    t.add_row("Breed", dog.breed or "-")
    t.add_row("Sex", dog.sex.value)
    t.add_row("Birth date", str(dog.birth_date or "-"))
    t.add_row("Neutered", {True: "yes", False: "no", None: "-"}[dog.neutered])
    t.add_row("Status", dog.status.value)
    t.add_row("Owner", f"{dog.owner.name or '-'}  {_phone(dog.owner.phone)}")
    t.add_row("Registered", dog.registered_at.astimezone().strftime("%Y-%m-%d %H:%M"))
    if dog.notes:
        t.add_row("Notes", dog.notes)
    if dog.needs_review:
        t.add_row("Review", "[yellow]possible duplicate of another registration[/]")
    t.add_row("Id", dog.id)
    out.print(t)


def _phone(e164: str) -> str:
    from core.phone import display_phone

    return display_phone(e164) if e164.startswith("+") else e164


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
        print(result.model_dump_json(indent=2))
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
        print(result.model_dump_json(indent=2))
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
    out.print(f"[dim]{result.photos_used} photo(s) compared with {result.gallery_dogs} registered dog(s)[/]")
    if result.decision == Decision.MATCH:
        _print_dog(result.match.dog)
    elif result.candidates:
        uncertain = result.decision == Decision.UNCERTAIN
        _print_candidates(result.candidates, "Candidates to compare, best first" if uncertain
                          else "Closest registered dogs (none is a match), best first")


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


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, data_dir: DataOption = None) -> None:
    """Create the registry database or upgrade it to the newest schema."""
    from core.registry.db import Database

    settings = settings_for(db, data_dir)
    with errors_to_exit():
        database = Database(settings.database_url, key_file=settings.key_file)
        if database.engine.dialect.name == "sqlite":
            database.compact()  # nothing deleted stays readable in the file or its log
    out.print(f"Database at revision {database.current_revision()}: {_safe_url(settings.database_url)}")


PASSPHRASE_ENV = "SAVEPETS_BACKUP_PASSPHRASE"
PassphraseOption = Annotated[Path | None, typer.Option(
    "--passphrase-file", help=f"File whose first line is the backup passphrase (for scripts; else ${PASSPHRASE_ENV}, "
    "else it is asked)")]


def _passphrase(file: Path | None, confirm: bool) -> str:
    """The backup passphrase: from --passphrase-file, else $SAVEPETS_BACKUP_PASSPHRASE, else asked (twice when
    making a backup). No terminal to ask on: exit code 2 with what to do."""
    import os

    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            err.print(f"[bold red]Error:[/] Cannot read the passphrase file {file}: {exc}")
            raise typer.Exit(EXIT_INVALID) from None
        return lines[0] if lines else ""
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    try:
        return typer.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
    except typer.Abort:
        err.print(f"[bold red]Error:[/] Backups are encrypted with a passphrase: give --passphrase-file FILE or set "
                  f"{PASSPHRASE_ENV} (there is no terminal to ask on).")
        raise typer.Exit(EXIT_INVALID) from None


@app.command("backup")
def backup_cmd(target: Annotated[Path, typer.Argument(help="Backup file to write")],
               passphrase_file: PassphraseOption = None, data_dir: DataOption = None) -> None:
    """Back up the embedded registry and its photos into one file encrypted with a passphrase (safe while the
    kiosk runs). Keep the passphrase apart from the file: without it the backup cannot be restored."""
    from core.actors import acting_as, cli_actor
    from core.backup import backup

    passphrase = _passphrase(passphrase_file, confirm=True)
    with errors_to_exit(), acting_as(cli_actor()):  # recorded on the audit trail as this machine's user
        manifest = backup(settings_for(None, data_dir), target, passphrase)
    out.print(f"Backed up {manifest['dogs']} dogs and {manifest['photos']} photos to {target} (encrypted).")


@app.command("restore")
def restore_cmd(source: Annotated[Path, typer.Argument(help="Backup file made by `savepets backup`")],
                force: Annotated[bool, typer.Option("--force", help="Replace a registry that holds dogs")] = False,
                passphrase_file: PassphraseOption = None, data_dir: DataOption = None) -> None:
    """Restore a backup into the data folder, upgrading it to this version's schema; asks for its passphrase."""
    from core.actors import acting_as, cli_actor
    from core.backup import restore
    from core.crypto import is_sealed

    passphrase = _passphrase(passphrase_file, confirm=False) if source.is_file() and is_sealed(source) else None
    with errors_to_exit(), acting_as(cli_actor()):  # recorded on the restored registry's audit trail
        manifest = restore(settings_for(None, data_dir), source, passphrase, force=force)
    out.print(f"Restored {manifest['dogs']} dogs and {manifest['photos']} photos "
              f"(backup of {manifest['created_at'][:16]}, version {manifest['version']}).")


# ------------------------------------------------------------------------------------------ owners' rights
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
        err.print(f"[bold red]Error:[/] Cannot write {out_file}: {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    out.print(f"Wrote the owner's data ({len(data.dogs)} dogs) to {out_file}.")


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
            out.print(f"This erases the owner's name and phone for good; removes {len(plan.removed)} dog(s) with "
                      f"their {plan.photos_removed} photos ({', '.join(plan.removed) or 'none'}); keeps "
                      f"{len(plan.kept)} dog(s) in the shelter's care ({', '.join(plan.kept) or 'none'}).")
            try:
                sure = typer.confirm("Erase this owner?", default=False)
            except typer.Abort:
                err.print("[bold red]Error:[/] Nothing erased: confirm on a terminal, or give --yes.")
                raise typer.Exit(EXIT_INVALID) from None
            if not sure:
                out.print("Nothing erased.")
                raise typer.Exit(1)
        result = sp.erase_owner(phone)
    out.print(f"Erased the owner. Removed {len(result.removed)} dog(s) and {result.photos_removed} photos; kept "
              f"{len(result.kept)} dog(s) in the shelter's care without an owner. Kiosks erase it at their next sync.")


# ------------------------------------------------------------------------------------------ reviews
reviews_app = typer.Typer(help="Possible duplicates: two registrations that may be one dog, for a person to decide.",
                          no_args_is_help=True)
app.add_typer(reviews_app, name="reviews")
REVIEW_ID_MIN = 6  # characters of a review id enough to name it (reviews list shows 8)


def _review_dog(dog) -> str:
    return (f"[bold]{dog.registration_number}[/]\n{dog.name} · {dog.registered_at.astimezone():%Y-%m-%d}\n"
            f"{dog.owner.name or '-'}  {_phone(dog.owner.phone)}\n{len(dog.photos)} photos")


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
        err.print("[bold red]Invalid input:[/] say --same-dog (merge the newer registration into the older one) "
                  "or --different.")
        raise typer.Exit(EXIT_INVALID)
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
              f"({older.name}), which keeps its number; {result.photos_added} photos added, "
              f"{newer.registration_number} removed.")
    if result.other_reviews:
        out.print(f"{result.other_reviews} other review(s) of {newer.registration_number} now name "
                  f"{older.registration_number}.")
    out.print("Tell the owners:" if result.owners_differ else "Tell the owner (both registrations are theirs):")
    for o in result.owners:
        out.print(f"  {o.name or '-'}  {_phone(o.phone)}")


# ------------------------------------------------------------------------------------------ staff accounts
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
        err.print("[bold red]Invalid input:[/] no PIN given: use --pin-file FILE or $SAVEPETS_PIN (no terminal to "
                  "ask on).")
        raise typer.Exit(EXIT_INVALID)
    first = typer.prompt("PIN (4 to 8 digits)", hide_input=True)
    if typer.prompt("The same PIN again", hide_input=True) != first:
        err.print("[bold red]Invalid input:[/] the two PINs differ; nothing was changed.")
        raise typer.Exit(EXIT_INVALID)
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


# ------------------------------------------------------------------------------------------ audit trail
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


# ------------------------------------------------------------------------------------------ server
keys_app = typer.Typer(help="API keys of the REST server (one per device, each with a role).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
orgs_app = typer.Typer(help="Organisations of the REST server: shelters, clinics, the app.", no_args_is_help=True)
app.add_typer(orgs_app, name="orgs")
devices_app = typer.Typer(help="Devices of the REST server: enroll a kiosk with a one-time code, list, revoke.",
                          no_args_is_help=True)
app.add_typer(devices_app, name="devices")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000)")] = None,
    workers: Annotated[int | None, typer.Option(help="Threads for recognition (register, look up)")] = None,
    engine: Annotated[str | None, typer.Option(help="Recognition engine: auto, learned, classical, standin")] = None,
    redis: Annotated[str | None, typer.Option("--redis", help="Redis URL: keep several servers' galleries in "
                                              "step and share rate limits (default: no Redis)")] = None,
    task_backend: Annotated[str | None, typer.Option("--task-backend", help="local (threads) or celery")] = None,
    ssl_certfile: Annotated[Path | None, typer.Option("--ssl-certfile", help="TLS certificate (PEM, with its chain); "
                                                      "needed to listen on a non-loopback address")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option("--ssl-keyfile",
                                                     help="TLS private key (PEM, unencrypted)")] = None,
    insecure: Annotated[bool, typer.Option("--insecure", help="Listen on a non-loopback address without TLS "
                                           "(only behind a TLS reverse proxy on a trusted network)")] = False,
    db: DbOption = None, data_dir: DataOption = None,
) -> None:
    """Run the headless REST server (FastAPI): /v1 API, /docs, /openapi.json. A non-loopback --host needs TLS
    (--ssl-certfile and --ssl-keyfile) or --insecure."""
    import uvicorn

    from sync.server.app import create_app, tls_problem

    settings = settings_for(db, data_dir, host=host, port=port, workers=workers, engine=engine, redis_url=redis,
                            task_backend=task_backend, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
                            insecure=insecure or None)
    problem = tls_problem(settings.host, settings.ssl_certfile, settings.ssl_keyfile, settings.insecure)
    if problem:
        err.print(f"[bold red]Invalid input:[/] {problem}")
        raise typer.Exit(EXIT_INVALID)
    tls = settings.ssl_certfile is not None
    if not tls and settings.insecure:
        err.print(f"[bold yellow]Warning:[/] listening on {settings.host} without TLS (--insecure).")
    with errors_to_exit():
        application = create_app(settings)
    err.print(f"SavePets server on {'https' if tls else 'http'}://{settings.host}:{settings.port}  "
              "(docs: /docs, schema: /openapi.json)")
    # proxy_headers off: the app believes X-Forwarded-* from settings.trusted_proxies only (sync/server/transport.py)
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="warning", access_log=False,
                timeout_graceful_shutdown=10, proxy_headers=False,
                ssl_certfile=str(settings.ssl_certfile) if tls else None,
                ssl_keyfile=str(settings.ssl_keyfile) if tls else None)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(ctx: typer.Context, db: DbOption = None, data_dir: DataOption = None) -> None:
    """Run a Celery worker for task_backend=celery (extra arguments go to celery, e.g. --concurrency 4)."""
    settings = settings_for(db, data_dir)
    from sync.server import tasks

    tasks.configure(settings)
    tasks.app.worker_main(["worker", "--loglevel", "WARNING", *ctx.args])


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="kiosk, vet, mobile or admin")],
    name: Annotated[str, typer.Option(help='Who holds it, e.g. "Shelter A kiosk 1"')],
    org: Annotated[str | None, typer.Option(help="The organisation (name or id) of the new device (default: the "
                                            "default organisation)")] = None,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """Make a key for a new device. It is printed once: store it on the device now. For a kiosk, prefer
    `savepets devices enroll` (a one-time code the kiosk redeems itself)."""
    from sync.server.keys import KeyStore

    with errors_to_exit():
        info, key = KeyStore(_database(db, data_dir)).create(_role(role), name, org=org)
    if as_json:
        print(json.dumps({"id": info.id, "name": info.name, "role": info.role.value, "device_id": info.device_id,
                          "key": key}))
        return
    out.print(f"Created {info.role.value} key [bold]{info.id}[/] for {info.name}. The key (shown only now):")
    print(key)


@keys_app.command("list")
def keys_list(db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """All keys (never the secrets)."""
    from sync.server.keys import KeyStore

    with errors_to_exit():
        keys = KeyStore(_database(db, data_dir)).list()
    if as_json:
        print(json.dumps([{"id": k.id, "name": k.name, "role": k.role.value, "created_at": k.created_at.isoformat(),
                           "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None} for k in keys]))
        return
    t = Table("Id", "Role", "Name", "Created", "Revoked")
    for k in keys:
        t.add_row(k.id, k.role.value, k.name, k.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                  k.revoked_at.astimezone().strftime("%Y-%m-%d %H:%M") if k.revoked_at else "")
    out.print(t if keys else "No keys yet: savepets keys create --role admin --name ...")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (from keys list)")],
                db: DbOption = None, data_dir: DataOption = None) -> None:
    """Revoke a key: it stops working at once on every server sharing the database."""
    from sync.server.keys import KeyStore

    with errors_to_exit():
        info = KeyStore(_database(db, data_dir)).revoke(key_id)
    out.print(f"Revoked {info.role.value} key {info.id} ({info.name}).")


def _role(role: str):
    from sync.server.keys import Role

    try:
        return Role(role)
    except ValueError:
        err.print(f"[bold red]Invalid input:[/] unknown role {role!r}: use kiosk, vet, mobile or admin.")
        raise typer.Exit(EXIT_INVALID) from None


@orgs_app.command("add")
def orgs_add(name: Annotated[str, typer.Argument(help='e.g. "Seoul Animal Shelter"')],
             kind: Annotated[str, typer.Option(help="shelter, clinic, app or operator")] = "shelter",
             db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Add an organisation: its devices edit its dogs and see its owners, and no one else's."""
    from sync.server.devices import Devices

    with errors_to_exit():
        org = Devices(_database(db, data_dir)).add_org(name, kind)
    if as_json:
        print(json.dumps({"id": org.id, "name": org.name, "kind": org.kind}))
        return
    out.print(f"Added {org.kind} [bold]{org.name}[/] ({org.id}). Enroll its kiosks with: savepets devices enroll "
              f"--org {json.dumps(org.name, ensure_ascii=False)} --role kiosk --name ...")


@orgs_app.command("list")
def orgs_list(db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Every organisation and how many live devices it has."""
    from sync.server.devices import Devices

    with errors_to_exit():
        orgs = Devices(_database(db, data_dir)).orgs()
    if as_json:
        print(json.dumps([o.__dict__ for o in orgs], ensure_ascii=False))
        return
    t = Table("Id", "Name", "Kind", "Devices")
    for o in orgs:
        t.add_row(o.id, o.name, o.kind, str(o.devices))
    out.print(t if orgs else 'No organisations yet: savepets orgs add "Seoul Animal Shelter" --kind shelter')


@devices_app.command("enroll")
def devices_enroll(
    org: Annotated[str, typer.Option(help="The organisation (name or id)")],
    name: Annotated[str, typer.Option(help='The device, e.g. "Front desk kiosk"')],
    role: Annotated[str, typer.Option(help="kiosk, vet, mobile or admin")] = "kiosk",
    valid_hours: Annotated[float, typer.Option(help="How long the code may be redeemed")] = 24.0,
    db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False,
) -> None:
    """A one-time code for a new device. On the kiosk: savepets sync enroll --server URL --code CODE."""
    from sync.server.devices import Devices

    with errors_to_exit():
        info, code = Devices(_database(db, data_dir)).enroll(org, _role(role), name, valid_hours)
    if as_json:
        print(json.dumps({"code": code, "org": info.org_name, "role": info.role, "name": info.name,
                          "expires_at": info.expires_at.isoformat()}, ensure_ascii=False))
        return
    out.print(f"One-time code for {info.role} [bold]{info.name}[/] of {info.org_name}, valid until "
              f"{info.expires_at.astimezone().strftime('%Y-%m-%d %H:%M')} (shown only now):")
    print(code)
    out.print("On the device: savepets sync enroll --server https://... --code " + code)


@devices_app.command("list")
def devices_list(org: Annotated[str | None, typer.Option(help="Only this organisation's devices")] = None,
                 db: DbOption = None, data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Every device (never a key's secret)."""
    from sync.server.devices import Devices

    with errors_to_exit():
        devices = Devices(_database(db, data_dir)).list(org)
    if as_json:
        print(json.dumps([{**d.__dict__, "created_at": d.created_at.isoformat(),
                           "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None} for d in devices],
                         ensure_ascii=False))
        return
    t = Table("Id", "Organisation", "Role", "Name", "Keys", "Revoked")
    for d in devices:
        t.add_row(d.id, d.org_name, d.role, d.name, str(d.keys),
                  d.revoked_at.astimezone().strftime("%Y-%m-%d %H:%M") if d.revoked_at else "")
    out.print(t if devices else "No devices yet: savepets devices enroll --org ... --name ...")


@devices_app.command("revoke")
def devices_revoke(device_id: Annotated[str, typer.Argument(help="The device's id or its first characters")],
                   db: DbOption = None, data_dir: DataOption = None) -> None:
    """Revoke a device (a stolen kiosk) and every key it holds: they stop working at once."""
    from sync.server.devices import Devices

    with errors_to_exit():
        info = Devices(_database(db, data_dir)).revoke(device_id)
    out.print(f"Revoked {info.role} device {info.id} ({info.name}, {info.org_name}).")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# ------------------------------------------------------------------------------------------ kiosk
@app.command()
def kiosk(
    camera: Annotated[str | None, typer.Option(help="Camera number (0, 1, …), a video file, or a folder of photos "
                                               "(looped; for demos and tests with no camera)")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="ko (default) or en")] = None,
    engine: Annotated[str | None, typer.Option(help="Recognition engine: auto, learned, classical, standin")] = None,
    db: DbOption = None, data_dir: DataOption = None,
) -> None:
    """Open the kiosk (touch-screen GUI): look up, register, browse the registry, settings."""
    from kiosk.app import run

    settings = settings_for(db, data_dir, camera=camera, language=lang, engine=engine)
    with errors_to_exit():
        raise typer.Exit(run(settings))


# ------------------------------------------------------------------------------------------ sync
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
        out.print(f"[bold {colour}]{status.state}[/]: {report.summary()}; {status.pending} change(s) pending")
        for e in report.errors:
            err.print(f"[red]{e}[/]")
        if hint:
            err.print(f"[bold red]{hint}[/]")
    if status.state != "online":
        raise typer.Exit(1)


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
            err.print(f"[bold red]Not enrolled:[/] {exc.message}")
            raise typer.Exit(EXIT_INVALID if exc.kind != "unreachable" else 1) from None
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


# ------------------------------------------------------------------------------------------ recognition
@app.command("eval")
def eval_cmd(
    folder: Annotated[Path, typer.Argument(help="A folder per dog, each holding that dog's nose photos",
                                           exists=True, file_okay=False)],
    enroll: Annotated[int | None, typer.Option("--enroll", help="Also: enroll N photos, probe with the rest")] = None,
    split: Annotated[str, typer.Option("--split", help="all | train | tune | test (by dog id)")] = "all",
    engine: Annotated[str, typer.Option(help="Recognition engine: auto, learned, classical, standin")] = "auto",
    output: Annotated[Path | None, typer.Option("--out", help="Also write the JSON result here")] = None,
    distractors: Annotated[Path | None, typer.Option(
        "--distractors", help="Also register every dog of this folder-per-dog set (up to 5 photos each, never probed; "
                              "dogs named as evaluated ones are skipped) and report the decisions at that registry "
                              "size ('scale')", exists=True, file_okay=False)] = None,
    distractors_max: Annotated[int | None, typer.Option("--distractors-max", min=0,
                                                        help="At most this many distractor dogs")] = None,
) -> None:
    """Measure the recognition engine on a photo set: rank-1/5, ROC AUC, EER, TAR@FAR, open set, latency, and with
    --distractors the decisions at registry scale."""
    import importlib.util

    missing = [m for m in ("sklearn", "scipy") if importlib.util.find_spec(m) is None]
    if missing:  # the desktop bundle leaves the fitting and evaluation libraries out
        err.print(f"[bold red]savepets eval needs {', '.join(missing)}[/], which this install leaves out (the desktop "
                  "bundle does): run it from the Python install (bash scripts/setup.sh; .venv/bin/savepets eval ...).")
        raise typer.Exit(EXIT_INVALID)
    from core.recognition.evaluate import eval_command

    eval_command(str(folder), engine=engine, enroll=enroll, split=split, out=str(output) if output else None,
                 distractors=str(distractors) if distractors else None, distractors_max=distractors_max)


@app.command("train")
def train_cmd(
    folder: Annotated[Path, typer.Argument(help="A folder per dog (FOLDER/<dog id>/<photo>): dogs whose id ends in "
                                                "5 tune the thresholds, in 0 are held out for the report, the rest "
                                                "train", exists=True, file_okay=False)],
    out_dir: Annotated[Path, typer.Option("--out", help="Run folder (checkpoints; resumes)")] = Path("runs/nose"),
    recipe: Annotated[str, typer.Option(help="Training recipe: v1 (the shipped weights) or v2 (v1, then nose-specific "
                                             "augmentation and a moving average of the weights)")] = "v1",
    device: Annotated[str, typer.Option(help="auto (a GPU if torch sees one), cpu or cuda")] = "auto",
    budget_minutes: Annotated[float | None, typer.Option(help="Total training time of the recipe's stages "
                                                              "(default: its 2-core CPU minutes; about 10 on a "
                                                              "GPU)")] = None,
    max_minutes: Annotated[float | None, typer.Option(help="Stop this piece after about this long")] = None,
    all_dogs: Annotated[bool, typer.Option(help="Then train the last stage again on every dog, for the weights "
                                                "to ship (they take the split run's operating point)")] = False,
    install: Annotated[bool, typer.Option(help="Also install the result into resources/models (used from the next "
                                               "start)")] = False,
) -> None:
    """Fine-tune the nose embedding on your own photos with a shipped recipe (resumable: run it again).
    Needs the training extra (PyTorch): pip install -e '.\\[train]'."""
    try:
        from core.recognition.training.recipes import run_recipe
    except ModuleNotFoundError as exc:
        err.print(f"[bold red]Training needs PyTorch[/] (missing: {exc.name}). Install the training extra: "
                  "pip install -e '.\\[train]' (see the README's Training section for the CPU-only wheel).")
        raise typer.Exit(EXIT_INVALID) from None
    with errors_to_exit():
        final = run_recipe(str(folder), out=str(out_dir), recipe=recipe, budget_minutes=budget_minutes,
                           max_minutes=max_minutes, install=install, device=device, all_dogs=all_dogs)
    if final is None:
        typer.echo("Stopped before the end of the schedule; run the same command again to continue.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
