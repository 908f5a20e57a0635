"""The `savepets` command: every mode of the one install (kiosk, server, registry tools, engine tools).

One module per command group; the shared set-up (the typer app, consoles, exit codes, common options, the core
service and errors_to_exit) lives in kiosk.cli.common and is re-exported here."""

from __future__ import annotations

# isort: off
# Each group's module registers its commands on `app` when imported; `savepets --help` lists them in this order.
from kiosk.cli import identify, dogs, db, backup, owners, reviews, users, audit  # noqa: F401
from kiosk.cli import lost, found, reunions  # noqa: F401
from kiosk.cli import admin, serve, gui, sync_cmd, engine, templates  # noqa: F401
# isort: on
from kiosk.cli.common import (
    EXIT_DUPLICATE,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    DataOption,
    DbOption,
    JsonOption,
    app,
    err,
    errors_to_exit,
    fail,
    out,
    plural,
    service,
    settings_for,
    warn,
)

__all__ = ["EXIT_DUPLICATE", "EXIT_FAILED", "EXIT_INVALID", "EXIT_NOT_FOUND", "DataOption", "DbOption", "JsonOption",
           "app", "err", "errors_to_exit", "fail", "main", "out", "plural", "service", "settings_for", "warn"]


def main() -> None:
    app()
