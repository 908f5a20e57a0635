"""What the server's operator sees: SavePets' own loggers (core.*, sync.*, kiosk.*) at INFO by default on stderr.

``create_app`` calls ``configure(settings.log_level)``. The CLI's default root level is WARNING (third-party
libraries stay quiet); our own loggers get the level set here, and their lines go to the root logger's handler (the
one `savepets` sets up) or, when nothing set one up (``uvicorn --factory sync.server.app:create_app``), to stderr.
A level set on one of these loggers by someone else (a logging config file) is left as it is.
"""

from __future__ import annotations

import logging

OWN_LOGGERS = ("core", "sync", "kiosk")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = ("debug", "info", "warning", "error")

_configured: dict[str, int] = {}  # logger name -> the level this module set (so a later call may change it)


def level_of(name: str) -> int:
    if name.lower() not in LEVELS:
        raise ValueError(f"log_level: one of {', '.join(LEVELS)} (got {name!r})")
    return logging.getLevelName(name.upper())


def configure(level: str = "info") -> None:
    """Our loggers at `level`, with a stderr handler on the root logger when it has none. Idempotent."""
    wanted = level_of(level)
    root = logging.getLogger()
    if root.level != logging.NOTSET:
        wanted = min(wanted, root.level)  # `savepets -v serve`: more, never less
    for name in OWN_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level in (logging.NOTSET, _configured.get(name)):  # not set by anyone else
            logger.setLevel(wanted)
            _configured[name] = wanted
    if not root.handlers:
        handler = logging.StreamHandler()  # stderr
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
