"""The FastAPI application: ``create_app(settings)`` builds it, ``savepets serve`` runs it under uvicorn."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from core import __version__
from core.recognition.base import Engine
from core.settings import Settings
from sync.server import errors, logs
from sync.server.access_log import AccessLog
from sync.server.audit_routes import router as audit_router
from sync.server.device_routes import router as device_router
from sync.server.keys import KeyStore
from sync.server.limits import AuthGuard, BodySizeLimit, RedisWindow, TokenBucket
from sync.server.me_routes import router as me_router
from sync.server.owner_routes import router as owner_router
from sync.server.reunite_routes import router as reunite_router
from sync.server.review_routes import router as review_router
from sync.server.routes import public, router
from sync.server.transport import HttpsOnly, networks
from sync.server.webapp import install_webapp
from sync.server.webhook import router as notifications_router
from sync.server.webhook import server_transports, start_notifications

log = logging.getLogger(__name__)

# Swagger UI for /docs comes from the package (static/swagger-ui: swagger-ui-dist, Apache-2.0), never from a CDN: a
# shelter's offline network must see the docs too.
SWAGGER_UI = Path(__file__).resolve().parent / "static" / "swagger-ui"
SWAGGER_ROUTE = "/docs/assets"

DESCRIPTION = """Register dogs by 5 nose photos and identify them by one.

Every route but /v1/health, /v1/ready and /v1/devices/enroll needs an API key (`Authorization: Bearer sp_...`).
A key belongs to a device of one organisation: a device redeems a one-time code from `savepets devices enroll` at
`POST /v1/devices/enroll`, or an administrator makes one with `savepets keys create --role ... --org ...`.
Errors are always `{"error": {"code": "...", "message": "...", "details": {...}}}`.
"""

# The reunite routes (sync/server/reunite_routes.py) described in /docs; other tags appear after these.
TAGS = [
    {"name": "lost", "description": "Lost reports: an owner's dog reported lost (staff keys: any dog; the app: its "
                                    "verified owner's own dogs), withdrawn, or ended when the dog is home."},
    {"name": "found", "description": "Found cases: a shelter's intake of a stray or a finder's report (1 to 5 nose "
                                     "photos), searched among the lost dogs first, then all dogs."},
    {"name": "reunions", "description": "Possible reunions between found cases and registered dogs, for staff to "
                                        "compare and confirm or reject (their organisation's cases)."},
]


def is_loopback(host: str) -> bool:
    """Whether every address `host` names is this machine's loopback (127.0.0.0/8, ::1): nothing outside can
    connect. 0.0.0.0 and :: (every interface) are not."""
    import ipaddress
    import socket

    name = host.strip().strip("[]")
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except (socket.gaierror, UnicodeError):
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def tls_problem(host: str, certfile, keyfile, insecure: bool = False) -> str | None:
    """Why the server must not listen as asked, or None. Owners' data must not cross a network in clear text: a
    non-loopback address needs TLS (certificate and key) unless `insecure` says otherwise (e.g. a TLS reverse
    proxy in front on a trusted network). A certificate and key given are checked to load as a pair."""
    import ssl

    if bool(certfile) != bool(keyfile):
        return "TLS needs both --ssl-certfile and --ssl-keyfile."
    if certfile:
        for what, path in (("certificate", certfile), ("key", keyfile)):
            if not Path(path).is_file():
                return f"The TLS {what} file {path} does not exist."
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(str(certfile), str(keyfile))
        except (ssl.SSLError, OSError, ValueError) as exc:
            return (f"The TLS certificate {certfile} and key {keyfile} do not load as a PEM pair ({exc}); the key "
                    "must be unencrypted.")
        return None
    if not insecure and not is_loopback(host):
        return (f"Refusing to listen on {host} without TLS: owners' names and phone numbers would cross the network "
                "in clear text. Give --ssl-certfile and --ssl-keyfile, listen on 127.0.0.1 behind a TLS reverse "
                "proxy, or say --insecure (a trusted network only).")
    return None


class TransportRefused(ValueError):
    """create_app refuses settings that would put owners' data on a network in clear text (see tls_problem)."""


def redis_enabled(settings: Settings) -> bool:
    """Redis is used only when asked for: a Redis URL given explicitly, or the Celery task backend."""
    return settings.task_backend == "celery" or "redis_url" in settings.model_fields_set


def _start(settings: Settings, engine: Engine | None):
    """Blocking start-up, off the event loop: registry (migrated), engine, gallery, keys, runner, events."""
    from core.registry.db import require_schema
    from core.usecases import SavePets
    from sync.server.runner import make_runner

    require_schema(settings.database_url)  # MySQL/MariaDB: migrated by the deploy step (`savepets db upgrade`) only
    sp = SavePets(settings, engine=engine)
    try:
        templates = len(sp.gallery)  # load (or build) the gallery now, not at the first lookup
        runner = make_runner(sp, settings)
        events = None
        if redis_enabled(settings):
            from sync.server.events import GalleryEvents

            events = GalleryEvents(sp, settings.redis_url)
            limiter = RedisWindow(settings.rate_limit_per_minute, settings.redis_url, sp.db.device_id())
        else:
            limiter = TokenBucket(settings.rate_limit_per_minute)
            if sp.db.engine.dialect.name != "sqlite":  # other replicas may share the database: poll its change log
                from sync.server.events import GalleryEvents

                events = GalleryEvents(sp, None)
    except BaseException:
        sp.close()
        raise
    log.info("SavePets server ready: engine %s %s, %d templates, %s, redis %s", sp.engine.name,
                sp.engine.version, templates, runner.describe(), "on" if events and events.redis else "off")
    return sp, runner, events, limiter


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The application for `settings` (default: Settings() from SAVEPETS_* and the config file, as
    `uvicorn --factory sync.server.app:create_app` calls it). The TLS rule holds whoever starts it: a non-loopback
    settings.host without a certificate and key is refused here (TransportRefused) unless settings.insecure, and each
    plain-http request from another machine is refused (403 https_required, transport.HttpsOnly) unless it came
    through a trusted proxy that says https, or settings.insecure."""
    settings = settings or Settings()
    logs.configure(settings.log_level)
    problem = tls_problem(settings.host, settings.ssl_certfile, settings.ssl_keyfile, settings.insecure)
    if problem:
        raise TransportRefused(f"{problem} (Settings: ssl_certfile and ssl_keyfile, or insecure: "
                               "SAVEPETS_SSL_CERTFILE, SAVEPETS_SSL_KEYFILE, SAVEPETS_INSECURE=1.)")
    trusted = networks(settings.trusted_proxies)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        sp, runner, events, limiter = await anyio.to_thread.run_sync(_start, settings, engine)
        app.state.savepets = sp
        app.state.runner = runner
        app.state.keys = KeyStore(sp.db)
        app.state.rate_limiter = limiter
        app.state.auth_failures = TokenBucket(settings.auth_failures_per_minute)
        app.state.auth_guard = AuthGuard(settings.auth_failures_per_minute)
        app.state.events = events
        # the outbox (core/notifications.py): sent every notify_interval s, at once after an enqueue here
        app.state.notifications = start_notifications(sp, settings, app.state.transports)
        try:
            yield
        finally:
            app.state.notifications.stop()
            if events is not None:
                events.close()
            runner.close()
            sp.close()

    app = FastAPI(title="SavePets", version=__version__, description=DESCRIPTION, lifespan=lifespan, openapi_tags=TAGS,
                  openapi_url="/openapi.json", docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None)
    app.state.settings = settings
    app.state.trusted_proxies = trusted
    app.state.transports = server_transports(settings)  # a bad notify_webhook_url is refused here
    errors.install(app)
    install_docs(app)
    app.include_router(public)
    app.include_router(router)
    app.include_router(review_router)
    app.include_router(reunite_router)
    app.include_router(owner_router)
    app.include_router(audit_router)
    app.include_router(device_router)
    app.include_router(me_router)
    app.include_router(notifications_router)  # GET /v1/notifications: the outbox's counts (admin)
    install_webapp(app)  # /app: the mobile web app and its public routes (sync/server/webapp.py)
    try:
        from sync.server.sync_routes import router as sync_router
    except ImportError as exc:
        if exc.name != "sync.server.sync_routes":
            raise
    else:
        app.include_router(sync_router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_mb * 1024 * 1024)
    app.add_middleware(HttpsOnly, trusted=trusted, insecure=settings.insecure)  # before anything is read
    if settings.access_log:
        app.add_middleware(AccessLog)  # outermost: refusals of the others are logged and timed too
    return app


def install_docs(app: FastAPI) -> None:
    """GET /docs: Swagger UI with its script, style sheet and icon served from SWAGGER_ROUTE (the package's files)."""
    app.mount(SWAGGER_ROUTE, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title=f"{app.title} API",
            swagger_js_url=f"{SWAGGER_ROUTE}/swagger-ui-bundle.js", swagger_css_url=f"{SWAGGER_ROUTE}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_ROUTE}/favicon-32x32.png",
            # validatorUrl: Swagger UI would fetch a badge from validator.swagger.io for every page shown
            swagger_ui_parameters={"validatorUrl": None})
