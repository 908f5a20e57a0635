"""`savepets templates ...`: the nose templates the recognition engine compares (one per photo and model version)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from kiosk.cli.common import DataOption, DbOption, JsonOption, app, err, errors_to_exit, out, plural, settings_for

templates_app = typer.Typer(help="Nose templates: re-embed the registry's photos after a model change.",
                            no_args_is_help=True)
app.add_typer(templates_app, name="templates")


@templates_app.command("rebuild")
def templates_rebuild(
    engine: Annotated[str | None, typer.Option(help="Recognition engine: auto, learned, classical, standin")] = None,
    chunk: Annotated[int, typer.Option(min=1, max=10_000, help="Photos embedded and committed at a time")] = 256,
    as_json: JsonOption = False,
    db: DbOption = None, data_dir: DataOption = None,
) -> None:
    """Make a template with the installed model for every photo that has none of its version (after a model
    change), a chunk at a time. Stopped (Ctrl-C, a crash), it resumes where it stopped when run again. Servers may
    keep serving meanwhile; templates of the previous model stay until removed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from core.photos import PhotoStore
    from core.recognition.factory import load_engine
    from core.registry.db import Database
    from core.registry.inuse import holding
    from core.registry.templates import rebuild_templates

    settings = settings_for(db, data_dir, engine=engine)
    with errors_to_exit(), holding(settings.database_url):
        database = Database(settings.database_url, key_file=settings.key_file)
        try:
            model = load_engine(settings.engine)
            store = PhotoStore(settings.photo_dir)
            device = settings.device_id or database.device_id()
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), console=err, disable=as_json, transient=False) as bar:
                task = bar.add_task(f"Re-embedding with {model.name} {model.version}", total=None)

                def progress(c) -> None:
                    bar.update(task, total=c.todo, completed=c.made + c.already + c.missing_files)

                counts = rebuild_templates(database, store, model, device, chunk=chunk, progress=progress)
        except KeyboardInterrupt:
            err.print("Stopped. What was made is kept: run `savepets templates rebuild` again to go on.")
            raise typer.Exit(130) from None
        finally:
            database.dispose()
    if as_json:
        print(json.dumps(counts.as_dict()))
        return
    out.print(f"{model.name} {model.version}: {plural(counts.photos, 'photo')}, {counts.had} already had a template, "
              f"{counts.made} made now" + (f", {counts.already} made meanwhile elsewhere" if counts.already else "")
              + (f"; {plural(counts.missing_files, 'photo')} not in the photo store" if counts.missing_files else "")
              + ".")
