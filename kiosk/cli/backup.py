"""`savepets backup` and `savepets restore`: the embedded registry and its photos in one encrypted file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiosk.cli.common import (
    EXIT_INVALID,
    DataOption,
    app,
    err,
    errors_to_exit,
    out,
    settings_for,
)

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
