"""Back up and restore an install's registry: the SQLite database (copied with SQLite's online backup, so a
running kiosk can be backed up), the photo store and a manifest, in one .tar.gz."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from core import __version__
from core.errors import InvalidInput
from core.settings import Settings

MANIFEST = "savepets-backup.json"


def _sqlite_path(settings: Settings) -> Path:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise InvalidInput("Backup covers the embedded SQLite registry; back up a MySQL server with mysqldump.")
    return Path(url.database)


def backup(settings: Settings, target: Path) -> dict:
    db_path = _sqlite_path(settings)
    if not db_path.is_file():
        raise InvalidInput(f"There is no registry at {db_path} to back up.")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = Path(tmp) / "registry.sqlite3"
        with sqlite3.connect(db_path) as src, sqlite3.connect(snapshot) as dst:
            src.backup(dst)
        with sqlite3.connect(snapshot) as conn:
            dogs = conn.execute("SELECT count(*) FROM dogs WHERE deleted_at IS NULL").fetchone()[0]
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        photos = [p for p in settings.photo_dir.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")] \
            if settings.photo_dir.exists() else []
        manifest = {"app": "savepets", "version": __version__, "schema_revision": revision, "dogs": dogs,
                    "photos": len(photos), "created_at": datetime.now(timezone.utc).isoformat()}
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(Path(tmp) / MANIFEST, MANIFEST)
            tar.add(snapshot, "registry.sqlite3")
            for p in photos:
                tar.add(p, "photos/" + p.relative_to(settings.photo_dir).as_posix())
        partial.replace(target)
    return manifest


def restore(settings: Settings, source: Path, force: bool = False) -> dict:
    """Restore into the data folder. Refuses to overwrite a registry with dogs unless `force`; the old
    registry is then kept beside it as registry.sqlite3.before-restore."""
    db_path = _sqlite_path(settings)
    source = Path(source)
    if not source.is_file():
        raise InvalidInput(f"No such backup file: {source}")
    try:
        tar = tarfile.open(source, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise InvalidInput(f"{source} is not a SavePets backup (not a .tar.gz).") from exc
    with tar, tempfile.TemporaryDirectory(dir=_existing_parent(db_path)) as tmp:
        names = set(tar.getnames())
        if MANIFEST not in names or "registry.sqlite3" not in names:
            raise InvalidInput(f"{source} is not a SavePets backup (no manifest or registry inside).")
        tar.extractall(tmp, filter="data")
        manifest = json.loads((Path(tmp) / MANIFEST).read_text())
        if db_path.exists() and not force and _has_dogs(db_path):
            raise InvalidInput(f"{db_path} already holds dogs; restore with --force to replace it "
                               "(the current registry is kept as registry.sqlite3.before-restore).")
        if db_path.exists():
            shutil.copy2(db_path, db_path.with_name(db_path.name + ".before-restore"))
            for suffix in ("-wal", "-shm"):
                db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        Path(tmp, "registry.sqlite3").replace(db_path)
        photos_in = Path(tmp) / "photos"
        if photos_in.exists():
            for p in photos_in.rglob("*"):
                if p.is_file():
                    dest = settings.photo_dir / p.relative_to(photos_in)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    if not dest.exists():
                        p.replace(dest)
    shutil.rmtree(settings.index_dir, ignore_errors=True)  # rebuilt from the restored registry
    from core.registry.db import Database

    Database(settings.database_url).dispose()  # upgrade an older backup to this version's schema
    return manifest


def _has_dogs(db_path: Path) -> bool:
    try:
        with sqlite3.connect(db_path) as conn:
            return conn.execute("SELECT count(*) FROM dogs").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def _existing_parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.parent
