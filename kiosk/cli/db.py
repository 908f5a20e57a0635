"""`savepets db ...`: registry database maintenance."""

from __future__ import annotations

import typer

from kiosk.cli.common import (
    DataOption,
    DbOption,
    _safe_url,
    app,
    errors_to_exit,
    out,
    settings_for,
)

db_app = typer.Typer(help="Registry database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


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
