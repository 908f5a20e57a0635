"""`savepets backup` and `savepets restore`: the embedded registry and its photos in one encrypted file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from core.errors import InvalidInput
from kiosk.cli.common import (
    DataOption,
    app,
    errors_to_exit,
    fail,
    out,
    plural,
    settings_for,
)

PASSPHRASE_ENV = "SAVEPETS_BACKUP_PASSPHRASE"
PassphraseOption = Annotated[Path | None, typer.Option(
    "--passphrase-file", help=f"File whose first line is the backup passphrase (for scripts; else ${PASSPHRASE_ENV}, "
    "else it is asked)")]


def _passphrase(file: Path | None, confirm: bool) -> str:
    """The backup passphrase: from --passphrase-file, else $SAVEPETS_BACKUP_PASSPHRASE, else asked on the terminal
    (twice when making a backup), else the first line of standard input when it is not a terminal (a pipe). Nothing
    there: exit code 2 with what to do (never Python's GetPassWarning: no terminal is never asked)."""
    import os

    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"Cannot read the passphrase file {file}: {exc}")
        return lines[0] if lines else ""
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            return typer.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
        except typer.Abort:
            fail("No passphrase given; nothing was done.")
    line = sys.stdin.readline().rstrip("\r\n") if sys.stdin is not None else ""
    if not line:
        fail(f"Backups are encrypted with a passphrase, and there is no terminal to ask it on: give "
             f"--passphrase-file FILE (its first line) or set {PASSPHRASE_ENV}.")
    return line


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
    out.print(f"Backed up {plural(manifest['dogs'], 'dog')} and {plural(manifest['photos'], 'photo')} to {target} "
              "(encrypted).")


@app.command("restore")
def restore_cmd(source: Annotated[Path, typer.Argument(help="Backup file made by `savepets backup`")],
                force: Annotated[bool, typer.Option("--force", help="Replace a registry that holds dogs, or one "
                                                    "that cannot be read (damaged)")] = False,
                passphrase_file: PassphraseOption = None, data_dir: DataOption = None) -> None:
    """Restore a backup into the data folder, upgrading it to this version's schema; asks for its passphrase.
    Refused (exit code 2, nothing changed) while a kiosk, server or other savepets command uses the registry, and
    when the registry holds dogs or cannot be read, unless --force (it is then kept as
    registry.sqlite3.before-restore)."""
    from core.actors import acting_as, cli_actor
    from core.backup import check_restore, restore
    from core.crypto import is_sealed

    settings = settings_for(None, data_dir)
    with errors_to_exit():
        if not source.is_file():
            raise InvalidInput(f"No such backup file: {source}" + (" (it is a folder)" if source.is_dir() else ""))
        check_restore(settings, force)  # before the passphrase is asked for
    passphrase = _passphrase(passphrase_file, confirm=False) if is_sealed(source) else None
    with errors_to_exit(), acting_as(cli_actor()):  # recorded on the restored registry's audit trail
        manifest = restore(settings, source, passphrase, force=force)
    out.print(f"Restored {plural(manifest['dogs'], 'dog')} and {plural(manifest['photos'], 'photo')} "
              f"(backup of {manifest['created_at'][:16]}, version {manifest['version']}).")
