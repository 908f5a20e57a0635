"""`savepets kiosk`: the touch-screen GUI."""

from __future__ import annotations

from typing import Annotated

import typer

from kiosk.cli.common import (
    DataOption,
    DbOption,
    app,
    errors_to_exit,
    settings_for,
)


@app.command()
def kiosk(
    camera: Annotated[str | None, typer.Option(help="Camera number (0, 1, …), a video file, or a folder of photos "
                                               "(looped; for demos and tests with no camera)")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="ko (default) or en")] = None,
    engine: Annotated[str | None, typer.Option(help="Recognition engine: auto, learned, classical, standin")] = None,
    db: DbOption = None, data_dir: DataOption = None,
) -> None:
    """Open the kiosk (touch-screen GUI): look up, register, browse the registry, settings."""
    from core.registry.inuse import holding
    from kiosk.app import run

    settings = settings_for(db, data_dir, camera=camera, language=lang, engine=engine)
    with errors_to_exit(), holding(settings.database_url):  # no restore replaces the registry while the kiosk runs
        code = run(settings)
    raise typer.Exit(code)
