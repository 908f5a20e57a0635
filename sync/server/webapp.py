"""/app: the mobile web app (the package `web`: HTML, ES modules, CSS, icons, manifest, service worker), served by
`savepets serve` with no build step, gzip-compressed, and the public routes it needs (sync/server/public_routes.py).

The files are sent with `Cache-Control: no-cache` (the browser revalidates with the ETag, a 304 when unchanged; the
service worker keeps the app shell for offline use) and a Content-Security-Policy that allows nothing but this
server: no CDN, no inline script.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from sync.server.public_routes import router as public_router
from sync.server.staff_routes import router as staff_router

log = logging.getLogger(__name__)

PREFIX = "/app"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "media-src 'self' blob: mediastream:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
TYPES = {".webmanifest": "application/manifest+json", ".js": "text/javascript; charset=utf-8"}


def web_folder() -> Path | None:
    """The installed package `web` (its files only: it has no Python code to import); None when it is missing."""
    spec = importlib.util.find_spec("web")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder if (folder / "index.html").is_file() else None


class AppFiles(StaticFiles):
    """The app's files with their headers; Python files of the package are never served."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path.endswith((".py", ".pyc")) or "__pycache__" in path:
            return Response("Not Found", status_code=404, media_type="text/plain")
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        suffix = Path(path).suffix
        if suffix in TYPES:
            response.headers["Content-Type"] = TYPES[suffix]
        if path.endswith("sw.js"):
            response.headers["Service-Worker-Allowed"] = PREFIX + "/"
        return response


def install_webapp(app: FastAPI) -> None:
    """Mount the app at /app (and /app -> /app/), compressed, and add its routes (public sessions and the photo
    check; the staff phones' PIN sign-in)."""
    app.include_router(public_router)
    app.include_router(staff_router)

    @app.api_route(PREFIX, methods=["GET", "HEAD"], include_in_schema=False)
    async def app_root() -> RedirectResponse:
        return RedirectResponse(PREFIX + "/", status_code=308)

    folder = web_folder()
    if folder is None:
        log.warning("The web app's files (package 'web') are not installed: /app is not served (pip install .)")
        return
    app.mount(PREFIX, GZipMiddleware(AppFiles(directory=folder, html=True), minimum_size=400), name="webapp")
