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
    """Create the registry database or upgrade it to the newest schema. On a server database (MySQL/MariaDB) this
    is the deploy step: servers do not migrate on their own, and refuse to start until it has run. Two at once are
    safe: the second waits for the first (a database lock), then finds nothing to do."""
    from core.registry.db import Database

    settings = settings_for(db, data_dir)
    with errors_to_exit():
        database = Database(settings.database_url, upgrade=False, key_file=settings.key_file)
        try:
            before = database.current_revision()
            ran = database.upgrade()  # False: at the head already (or another deploy upgraded it meanwhile)
            if database.engine.dialect.name == "sqlite":
                database.compact()  # nothing deleted stays readable in the file or its log
            after = database.current_revision()
        finally:
            database.dispose()
    if not ran or before == after:
        out.print(f"Database already at revision {after}, nothing to do: {_safe_url(settings.database_url)}")
    else:
        out.print(f"Database upgraded from revision {before or 'none'} to {after}: "
                  f"{_safe_url(settings.database_url)}")
