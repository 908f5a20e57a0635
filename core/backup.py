"""Back up and restore an install's registry: the SQLite database (copied with SQLite's online backup, so a
running kiosk can be backed up), the photo store and a manifest, in one file encrypted with a passphrase.

The archive is a .tar.gz sealed with AES-256-GCM under a key derived from the passphrase (core/crypto.py,
SealedWriter). Inside, the registry's personal fields are re-encrypted under another key derived from the same
passphrase: the machine's registry key never leaves the machine, and a backup restores on any machine that is
given the passphrase (restore re-encrypts the fields with that machine's key). Backups made before encryption
(plain .tar.gz) still restore; their registry is encrypted on the way in.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tarfile
import tempfile
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from core import __version__, crypto
from core.errors import InvalidInput
from core.settings import Settings

MANIFEST = "savepets-backup.json"
REGISTRY = "registry.sqlite3"


def _sqlite_path(settings: Settings) -> Path:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise InvalidInput("Backup covers the embedded SQLite registry; back up a MySQL server with mysqldump "
                           "(its personal fields stay encrypted with the server's registry key: keep that key too).")
    return Path(url.database)


def backup(settings: Settings, target: Path, passphrase: str) -> dict:
    from core.registry.db import Database

    db_path = _sqlite_path(settings)
    if not db_path.is_file():
        raise InvalidInput(f"There is no registry at {db_path} to back up.")
    keys = crypto.PassphraseKeys.new(passphrase)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    live = Database(settings.database_url, key_file=settings.key_file)  # upgraded, and its key checked
    try:
        with tempfile.TemporaryDirectory() as tmp:
            snapshot = Path(tmp) / REGISTRY
            with sqlite3.connect(db_path) as src, sqlite3.connect(snapshot) as dst:
                src.backup(dst)
            copy = Database(f"sqlite:///{snapshot}", key=live.key)
            try:
                copy.rekey(keys.registry)  # the fields under the passphrase's key, not this machine's
            finally:
                copy.dispose()
            with sqlite3.connect(snapshot) as conn:
                dogs = conn.execute("SELECT count(*) FROM dogs WHERE deleted_at IS NULL").fetchone()[0]
                revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            photos = [p for p in settings.photo_dir.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")] \
                if settings.photo_dir.exists() else []
            manifest = {"app": "savepets", "version": __version__, "schema_revision": revision, "dogs": dogs,
                        "photos": len(photos), "encrypted": True,
                        "created_at": datetime.now(timezone.utc).isoformat()}
            (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, indent=2))
            partial = target.with_name(target.name + ".partial")
            with open(partial, "wb") as f:
                sealed = crypto.SealedWriter(f, keys)
                with tarfile.open(fileobj=sealed, mode="w:gz") as tar:
                    tar.add(Path(tmp) / MANIFEST, MANIFEST)
                    tar.add(snapshot, REGISTRY)
                    for p in photos:
                        tar.add(p, "photos/" + p.relative_to(settings.photo_dir).as_posix())
                sealed.close()
            partial.replace(target)
        _audit(live, settings, "backup", f"dogs={dogs} photos={len(photos)}")
    finally:
        live.dispose()
    return manifest


def restore(settings: Settings, source: Path, passphrase: str | None, force: bool = False) -> dict:
    """Restore into the data folder. Holds the registry's lock exclusively throughout (RegistryInUse while a kiosk,
    server or command uses it). Refuses to overwrite a registry with dogs, or one it cannot read (locked, damaged),
    unless `force`; the old registry is then kept beside it as registry.sqlite3.before-restore, copied with SQLite's
    backup API (its write-ahead log included). A registry locked by another program is never overwritten. An
    encrypted backup needs its passphrase (WrongPassphrase otherwise); a plain one from before encryption needs
    none. Any refusal leaves everything as it was."""
    from core.registry.db import Database
    from core.registry.inuse import holding

    db_path = _sqlite_path(settings)
    source = Path(source)
    if not source.is_file():
        raise InvalidInput(f"No such backup file: {source}")
    with holding(settings.database_url, exclusive=True), \
            tempfile.TemporaryDirectory(dir=_existing_parent(db_path)) as tmp:
        _check_target(db_path, force)
        sealed = crypto.is_sealed(source)
        keys = None
        archive = source
        if sealed:
            if not passphrase:
                raise crypto.WrongPassphrase(f"{source} is encrypted: give its passphrase.")
            archive = Path(tmp) / "backup.tar.gz"
            with open(archive, "wb") as out:
                keys = crypto.unseal(source, passphrase, out)
        try:
            tar = tarfile.open(archive, "r:gz")
        except (tarfile.TarError, OSError) as exc:
            raise InvalidInput(f"{source} is not a SavePets backup (not a .tar.gz).") from exc
        with tar:
            names = set(tar.getnames())
            if MANIFEST not in names or REGISTRY not in names:
                raise InvalidInput(f"{source} is not a SavePets backup (no manifest or registry inside).")
            tar.extractall(Path(tmp) / "x", filter="data")
        if sealed:
            archive.unlink()  # the decrypted archive: its fields are still under the passphrase's key
        extracted = Path(tmp) / "x"
        manifest = json.loads((extracted / MANIFEST).read_text())
        # the registry, upgraded to this version's schema, its fields under this machine's key
        machine_key = crypto.load_key(settings.key_file, create=True)
        url = f"sqlite:///{extracted / REGISTRY}"
        copy = Database(url, key=keys.registry) if keys is not None else Database(url, key=machine_key)
        try:
            if keys is not None:
                copy.rekey(machine_key)
        finally:
            copy.dispose()
        if db_path.exists():
            _safety_copy(db_path)
            for suffix in ("-wal", "-shm"):  # in the safety copy now; left here, SQLite would apply them to the new
                db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        db_path.parent.mkdir(parents=True, exist_ok=True)
        (extracted / REGISTRY).replace(db_path)
        photos_in = extracted / "photos"
        if photos_in.exists():
            for p in photos_in.rglob("*"):
                if p.is_file():
                    dest = settings.photo_dir / p.relative_to(photos_in)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    if not dest.exists():
                        p.replace(dest)
        shutil.rmtree(settings.index_dir, ignore_errors=True)  # rebuilt from the restored registry
        restored = Database(settings.database_url, key_file=settings.key_file)
        try:
            _audit(restored, settings, "restore", f"dogs={manifest.get('dogs')} "
                   f"from={str(manifest.get('created_at', '?'))[:10]}")
        finally:
            restored.dispose()
    return manifest


def check_restore(settings: Settings, force: bool = False) -> None:
    """What restore would refuse about the registry it replaces (in use, holds dogs, unreadable), said before the
    passphrase is asked for and the backup decrypted. Changes nothing."""
    from core.registry.inuse import holding

    db_path = _sqlite_path(settings)
    if db_path.exists():
        with holding(settings.database_url, exclusive=True):
            _check_target(db_path, force)


def _audit(db, settings: Settings, action: str, detail: str) -> None:
    """The backup or restore on the registry's audit trail, as whoever runs it (core.actors: the CLI's user)."""
    from core import audit
    from core.actors import current_actor

    with db.session() as s:
        audit.record(s, action, actor=current_actor(), device_id=settings.device_id or db.device_id(), detail=detail)


def _check_target(db_path: Path, force: bool) -> None:
    """Fail closed: a registry that holds dogs, or that cannot be read, is replaced only with `force`; one that
    another program holds locked, never."""
    if not db_path.exists():
        return
    try:
        dogs = _count_dogs(db_path)
    except sqlite3.Error as exc:
        if _locked(exc):
            raise _locked_by_another(db_path, exc) from exc
        if not force:
            raise InvalidInput(f"Cannot read the registry {db_path} ({exc}): it may be damaged, or not a SavePets "
                               "registry. Nothing was restored; to replace it anyway, restore with --force (it is "
                               "kept as registry.sqlite3.before-restore).", registry=str(db_path)) from exc
        return
    if dogs and not force:
        raise InvalidInput(f"{db_path} already holds dogs; restore with --force to replace it "
                           "(the current registry is kept as registry.sqlite3.before-restore).")


def _count_dogs(db_path: Path) -> int:
    """Registered dogs (deleted ones too: they are history worth keeping); 0 for an empty file. sqlite3.Error for
    a file that is locked, damaged or not a registry."""
    with closing(sqlite3.connect(db_path, timeout=1)) as conn:
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
            return 0
        return conn.execute("SELECT count(*) FROM dogs").fetchone()[0]


def _safety_copy(db_path: Path) -> Path:
    """registry.sqlite3.before-restore: with SQLite's backup API, so the commits still in the write-ahead log are in
    it. A registry SQLite cannot read (damaged, replaced only with --force) is copied as its files are, its log
    beside it under the copy's name."""
    before = db_path.with_name(db_path.name + ".before-restore")
    partial = before.with_name(before.name + ".partial")
    partial.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):  # an earlier copy's log would be applied to this one
        before.with_name(before.name + suffix).unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(db_path, timeout=1)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        if _locked(exc):
            raise _locked_by_another(db_path, exc) from exc
        shutil.copy2(db_path, partial)
        wal = db_path.with_name(db_path.name + "-wal")
        if wal.exists():
            shutil.copy2(wal, before.with_name(before.name + "-wal"))
    partial.replace(before)
    return before


def _locked(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) \
        or "locked" in str(exc)


def _locked_by_another(db_path: Path, exc: sqlite3.Error):
    from core.registry.inuse import RegistryInUse

    return RegistryInUse(f"The registry {db_path} is locked by another program ({exc}): close it first, then "
                         "restore. Nothing was restored.", registry=str(db_path))


def _existing_parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.parent
