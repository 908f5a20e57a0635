"""Shared set-up of every `savepets` command: the typer app, the consoles, exit codes, common options, the
core service as the machine's operator, and core errors turned into a message and an exit code."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core import __version__
from core.errors import AlreadyRegistered, NotFound, SavePetsError

app = typer.Typer(help="SavePets: register dogs by their nose print and find them again.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

out = Console()
err = Console(stderr=True)

# the exit code says the kind of failure; the message always reads "Error: ..." (fail)
EXIT_FAILED, EXIT_INVALID, EXIT_DUPLICATE, EXIT_NOT_FOUND = 1, 2, 3, 4

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
    every core error turned into a message and an exit code. Holds the registry (core.registry.inuse) while it
    runs, so no restore replaces it meanwhile."""
    from core.actors import acting_as, cli_actor
    from core.registry.inuse import holding
    from core.usecases import SavePets

    settings = settings_for(db, data_dir, **extra)
    with errors_to_exit(), holding(settings.database_url), acting_as(cli_actor()):
        with err.status("Loading the registry and the recognition engine…"):
            sp = SavePets(settings)
        try:
            yield sp
        finally:
            sp.close()


def _database(db: str | None, data_dir: Path | None):
    """The registry database alone (no recognition engine), with this install's registry key."""
    from core.registry.db import Database

    settings = settings_for(db, data_dir)
    return Database(settings.database_url, key_file=settings.key_file)


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """The one way a command reports an error: "Error: <message>" on standard error, and an exit code that says
    the kind (EXIT_FAILED did not finish, EXIT_INVALID invalid input or refused, EXIT_DUPLICATE already registered,
    EXIT_NOT_FOUND not found)."""
    say_error(message)
    raise typer.Exit(code)


def say_error(message: str) -> None:
    """An error in fail()'s words, where the command goes on (one of several, e.g. a sync's rejected changes)."""
    err.print(f"[bold red]Error:[/] {escape(message)}")


def warn(message: str) -> None:
    err.print(f"[bold yellow]Warning:[/] {escape(message)}")


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 dog', '2 dogs', '0 dogs'; `many` for irregular plurals (plural(n, 'entry', 'entries'))."""
    return f"{n} {word if n == 1 else many or word + 's'}"


@contextmanager
def errors_to_exit():
    """Every core error (and a validation error) as fail() reports it: the message, and the kind in the exit
    code."""
    try:
        yield
    except AlreadyRegistered as exc:
        fail(exc.message, EXIT_DUPLICATE)
    except NotFound as exc:
        fail(exc.message, EXIT_NOT_FOUND)
    except SavePetsError as exc:
        fail(exc.message, EXIT_INVALID)
    except ValueError as exc:  # pydantic ValidationError is a ValueError
        fail(_validation_message(exc), EXIT_INVALID)


def _validation_message(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in errors())
    return str(exc)


def _read_photos(paths: list[Path]):
    from core.errors import InvalidPhoto
    from core.photos import read_photo_file

    for p in paths:
        if p.is_dir():  # before read_photo_file, which would say "no such file"
            raise InvalidPhoto(f"{p}: is a folder, not a photo; give the photo files in it (e.g. {p / '*.jpg'}).",
                               photo=str(p))
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
    t.add_row("Owner", owner_line(dog.owner))
    t.add_row("Registered", dog.registered_at.astimezone().strftime("%Y-%m-%d %H:%M"))
    if dog.notes:
        t.add_row("Notes", dog.notes)
    if dog.needs_review:
        t.add_row("Review", "[yellow]possible duplicate of another registration[/]")
    t.add_row("Id", dog.id)
    out.print(t)


REDACTED_OWNER = "another organisation's dog: contact available online"


def owner_line(owner) -> str:
    """The owner as the CLI shows it; another organisation's owner (redacted by the server) says where to ask."""
    if getattr(owner, "redacted", False):
        return REDACTED_OWNER
    return f"{owner.name or '-'}  {_phone(owner.phone)}"


def _phone(e164: str) -> str:
    from core.phone import display_phone

    return display_phone(e164) if e164.startswith("+") else e164


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
