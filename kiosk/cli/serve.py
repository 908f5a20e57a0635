"""`savepets serve` and `savepets worker`: the REST server and its Celery worker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiosk.cli.common import (
    DataOption,
    DbOption,
    app,
    err,
    errors_to_exit,
    fail,
    settings_for,
    warn,
)


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

    from core.registry.db import require_schema
    from core.registry.inuse import holding
    from sync.server.app import TransportRefused, create_app

    settings = settings_for(db, data_dir, host=host, port=port, workers=workers, engine=engine, redis_url=redis,
                            task_backend=task_backend, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
                            insecure=insecure or None)
    with errors_to_exit():
        try:  # first, before anything is opened or made on disk
            application = create_app(settings)  # the one TLS rule: the factory refuses clear text off this machine
        except TransportRefused as exc:
            fail(str(exc))
        require_schema(settings.database_url)  # a server database is migrated by `savepets db upgrade`, not here
    tls = settings.ssl_certfile is not None
    if not tls and settings.insecure:
        warn(f"listening on {settings.host} without TLS (--insecure).")
    err.print(f"SavePets server on {'https' if tls else 'http'}://{settings.host}:{settings.port}  "
              "(docs: /docs, schema: /openapi.json)")
    # proxy_headers off: the app believes X-Forwarded-* from settings.trusted_proxies only (sync/server/transport.py)
    with errors_to_exit(), holding(settings.database_url):  # no restore replaces the registry while it serves
        uvicorn.run(application, host=settings.host, port=settings.port, log_level="warning", access_log=False,
                    timeout_graceful_shutdown=10, proxy_headers=False,
                    ssl_certfile=str(settings.ssl_certfile) if tls else None,
                    ssl_keyfile=str(settings.ssl_keyfile) if tls else None)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(ctx: typer.Context, db: DbOption = None, data_dir: DataOption = None) -> None:
    """Run a Celery worker for task_backend=celery (extra arguments go to celery, e.g. --concurrency 4)."""
    from core.registry.db import require_schema
    from core.registry.inuse import holding
    from sync.server import tasks

    settings = settings_for(db, data_dir)
    with errors_to_exit():
        require_schema(settings.database_url, "worker")
    tasks.configure(settings)
    with errors_to_exit(), holding(settings.database_url):
        tasks.app.worker_main(["worker", "--loglevel", "WARNING", *ctx.args])
