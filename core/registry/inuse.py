"""Who holds the embedded registry: every process that uses it (the kiosk, the server, a `savepets` command) holds a
shared lock on `<registry>.lock` beside the SQLite file while it runs; a restore takes that lock exclusively. So a
restore is refused while anything uses the registry, and nothing starts while a restore replaces it.

The lock is the operating system's advisory file lock (flock on POSIX, LockFileEx on Windows): it belongs to the open
file, so it is released when the process ends, however it ends, and no stale lock is ever left behind. A MySQL or
MariaDB registry is not restored from these backups and takes no lock."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from core.errors import Conflict


class RegistryInUse(Conflict):
    """Another process holds the registry: a restore is refused while a kiosk, server or command runs, and these
    do not start during a restore."""

    code = "registry_in_use"


def sqlite_file(database_url: str) -> Path | None:
    """The SQLite file of an embedded registry; None for a server database or an in-memory one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def lock_file(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@contextmanager
def holding(database_url: str, exclusive: bool = False) -> Iterator[None]:
    """Hold the registry's lock for the block: shared (using it) or exclusive (replacing it). Never waits:
    RegistryInUse at once when the other kind is held."""
    db_path = sqlite_file(database_url)
    if db_path is None:
        yield
        return
    path = lock_file(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _lock(fd, exclusive):
            if exclusive:
                raise RegistryInUse(f"The registry {db_path} is in use by a running kiosk, server or savepets "
                                    "command: close it first, then restore. Nothing was restored.",
                                    registry=str(db_path))
            raise RegistryInUse(f"A restore is replacing the registry {db_path}: try again when it has finished.",
                                registry=str(db_path))
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import ctypes
    import msvcrt
    from ctypes import wintypes

    _LOCKFILE_FAIL_IMMEDIATELY, _LOCKFILE_EXCLUSIVE_LOCK = 0x1, 0x2

    class _Overlapped(ctypes.Structure):
        _fields_ = [("Internal", ctypes.c_void_p), ("InternalHigh", ctypes.c_void_p), ("Offset", wintypes.DWORD),
                    ("OffsetHigh", wintypes.DWORD), ("hEvent", wintypes.HANDLE)]

    def _lock(fd: int, exclusive: bool) -> bool:
        flags = _LOCKFILE_FAIL_IMMEDIATELY | (_LOCKFILE_EXCLUSIVE_LOCK if exclusive else 0)
        handle = wintypes.HANDLE(msvcrt.get_osfhandle(fd))
        return bool(ctypes.windll.kernel32.LockFileEx(handle, flags, 0, 1, 0, ctypes.byref(_Overlapped())))

    def _unlock(fd: int) -> None:
        handle = wintypes.HANDLE(msvcrt.get_osfhandle(fd))
        ctypes.windll.kernel32.UnlockFileEx(handle, 0, 1, 0, ctypes.byref(_Overlapped()))
else:
    import fcntl

    def _lock(fd: int, exclusive: bool) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
