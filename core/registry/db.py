"""Opening a registry database: any SQLAlchemy URL, upgraded to the newest schema with Alembic.

Who migrates: the kiosk's embedded SQLite upgrades itself on start. A server database (MySQL/MariaDB) is upgraded by
the deploy step, `savepets db upgrade`, under a named database lock (GET_LOCK: two deploys at once run one after the
other, and the second finds the head and does nothing); `savepets serve` and `savepets worker` refuse to start on an
older or newer schema (require_schema). On MySQL every DDL statement commits, so migrations run one transaction each
(Alembic's default there) and each is written to be run again after a crash part-way (see the migrations' notes)."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import create_engine, event, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core import crypto
from core.errors import SavePetsError
from core.registry.models import Meta

MIGRATIONS = Path(__file__).with_name("migrations")
AAD_REVISION = "0009"  # from this migration on, every encrypted value is bound to its place (core/crypto.py)
MIGRATE_LOCK = "savepets_upgrade:"  # + the database's name: the MySQL/MariaDB named lock an upgrade holds (GET_LOCK)
MIGRATE_LOCK_WAIT_S = 3600  # a second deploy waits this long for the first one's migrations
log = logging.getLogger(__name__)


class SchemaMismatch(SavePetsError):
    """The database's schema is not the one this version of SavePets is written for."""

    code = "schema_mismatch"


class SchemaBehind(SchemaMismatch):
    """The database is older than this version: `savepets db upgrade` (the deploy step) brings it up."""

    code = "schema_behind"


class SchemaAhead(SchemaMismatch):
    """The database was migrated by a newer version than this one: this install must be upgraded."""

    code = "schema_ahead"


def _revisions() -> tuple[set[str], set[str]]:
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revisions.update(re.findall(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", text, re.M))
        parents.update(re.findall(r"^down_revision\s*=\s*['\"]([^'\"]+)['\"]", text, re.M))
    return revisions, parents


def known_revisions() -> set[str]:
    """Every migration this version of SavePets has."""
    return _revisions()[0]


def schema_problem(stamped: list[str], where: str = "server") -> SchemaMismatch | None:
    """Why a database stamped with `stamped` (alembic_version's rows) cannot be used by this version as it is:
    SchemaBehind (run the upgrade), SchemaAhead (upgrade the install), or None when it is at the head."""
    head = head_revision()
    if head is not None and stamped == [head]:
        return None
    unknown = [r for r in stamped if r not in known_revisions()]
    if unknown:
        return SchemaAhead(
            f"The registry database is at schema revision {unknown[0]}, newer than this version of SavePets knows "
            f"(its newest is {head}): this {where} is older than the database: upgrade the {where} to the version "
            "that ran the migration. Nothing was changed.", revision=unknown[0], head=head)
    at = ", ".join(stamped) if stamped else "none (an empty database)"
    return SchemaBehind(
        f"The registry database is at schema revision {at}; this version of SavePets needs {head}. Run "
        "`savepets db upgrade` with this version (the deploy step, once for all servers), then start the "
        f"{where}. Nothing was changed.", revision=stamped[0] if stamped else None, head=head)


def stamped_revisions(engine: Engine) -> list[str]:
    """The revisions alembic_version holds ([] for a database no migration has run on)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return []
        return list(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())


def require_schema(url: str, where: str = "server") -> None:
    """A server process's start (serve, worker): a MySQL/MariaDB registry must already be at this version's schema,
    migrated by the deploy step (`savepets db upgrade`); SchemaBehind or SchemaAhead says what to run. An embedded
    SQLite registry passes (Database upgrades it on open: a kiosk has nobody to run a deploy step)."""
    if url.startswith("sqlite"):
        return
    engine = make_engine(url)
    try:
        problem = schema_problem(stamped_revisions(engine), where)
    finally:
        engine.dispose()
    if problem is not None:
        raise problem


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str | None:
    """The newest migration's id, read from the migration files: a registry already there opens without importing
    Alembic (a fifth of a second of every start). None when the files do not name one head: Alembic decides."""
    revisions, parents = _revisions()
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA secure_delete=ON")  # deleted or rewritten values are zeroed, not left in free space
            cur.close()

        return engine
    if url.startswith("mysql"):
        if "charset=" not in url:  # Hangul names need 4-byte UTF-8 whatever the server default
            url += ("&" if "?" in url else "?") + "charset=utf8mb4"
        return create_engine(url, pool_pre_ping=True, pool_recycle=3600, isolation_level="READ COMMITTED")
    return create_engine(url, pool_pre_ping=True)


class Database:
    """A registry database with its registry key (core/crypto.py): given, or found where this install keeps
    it (`key_file`, $SAVEPETS_KEY_FILE, the system keyring, the default key file) and made on first start. A
    registry encrypted with a key that is not here is refused (KeyMissing, KeyMismatch), never overwritten."""

    def __init__(self, url: str, upgrade: bool = True, key: crypto.RegistryKey | None = None,
                 key_file: Path | str | None = None):
        self.url = url
        self.engine = make_engine(url)
        try:
            self.key = key or self._find_key(key_file)
            self.engine.dialect.savepets_key = self.key  # read by the encrypted column types (models.py)
            if upgrade:
                self.upgrade()
            self._allow_legacy_reads()
            self._check_key()
        except BaseException:
            self.engine.dispose()
            raise
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _stored_key_id(self) -> str | None:
        with self.engine.connect() as conn:
            if not inspect(conn).has_table(Meta.__tablename__):
                return None
            return conn.execute(select(Meta.value).where(Meta.key == crypto.KEY_ID_META)).scalar()

    def _find_key(self, key_file: Path | str | None) -> crypto.RegistryKey:
        stored = self._stored_key_id()
        key = crypto.load_key(key_file, create=stored is None)
        if key is None:
            raise crypto.KeyMissing(
                f"This registry's personal data is encrypted with the registry key {stored}, which is not in "
                f"{crypto.key_locations(key_file)}. Put that key back (the key file, or set SAVEPETS_KEY_FILE); "
                "nothing was changed.", key_id=stored)
        return key

    def _allow_legacy_reads(self) -> None:
        """Encrypted values of the first format (no place: not bound to their row and column) are read only from a
        registry that migration 0009_encrypt_with_aad has not yet re-encrypted (one opened with upgrade=False, or
        downgraded): once migrated, every value has its place, and one without was moved there by someone who
        wrote the database. The migration itself reads them explicitly."""
        from core.registry.encrypted import LEGACY_READS

        migrated = any(r >= AAD_REVISION for r in self._stamped())  # revision ids start with their number
        setattr(self.engine.dialect, LEGACY_READS, not migrated)

    def _check_key(self) -> None:
        stored = self._stored_key_id()
        if stored is not None and stored != self.key.key_id:
            raise crypto.KeyMismatch(
                f"This registry is encrypted with the registry key {stored}, but the key found "
                f"({self.key.source}) is {self.key.key_id}. Use the key this registry was made with; nothing was "
                "changed.", key_id=stored, found=self.key.key_id)

    def _stamped(self) -> list[str]:
        return stamped_revisions(self.engine)

    def upgrade(self, revision: str = "head") -> bool:
        """Migrate to `revision` (default the newest); False when there was nothing to do. A database migrated by a
        newer version is refused (SchemaAhead), never touched. On MySQL/MariaDB the migrations run under a named
        lock: a second upgrade at the same time waits, then finds the head and does nothing."""
        if revision == "head":
            problem = schema_problem(self._stamped(), "install")
            if problem is None:
                return False  # up to date: the usual start
            if isinstance(problem, SchemaAhead):
                raise problem
        from alembic import command

        return self._migrate(command.upgrade, revision)

    def downgrade(self, revision: str) -> None:
        from alembic import command

        self._migrate(command.downgrade, revision)

    def _migrate(self, step, revision: str) -> bool:
        if self.engine.dialect.name == "sqlite":
            self._migrate_sqlite(step, revision)
            ran = True
        else:
            ran = self._migrate_server(step, revision)
        self._allow_legacy_reads()
        return ran

    def _migrate_server(self, step, revision: str) -> bool:
        """MySQL/MariaDB (and other servers): under the named lock, with no transaction around the run, so that
        Alembic gives each migration its own (DDL commits implicitly there: one transaction for all would be
        committed piecemeal anyway). A crash leaves the database at the last migration that completed, plus
        whatever DDL of the next one had run: each migration checks what is already there before it acts, so
        running the upgrade again completes it."""
        with self.engine.connect() as conn:
            mysql = conn.dialect.name in ("mysql", "mariadb")
            if mysql:  # named locks are the server's, not one database's: the name says which database
                lock = (MIGRATE_LOCK + (conn.exec_driver_sql("SELECT DATABASE()").scalar() or ""))[:64]
                got = conn.exec_driver_sql("SELECT GET_LOCK(%s, %s)", (lock, MIGRATE_LOCK_WAIT_S)).scalar()
                conn.commit()
                if got != 1:
                    raise SchemaMismatch(f"Another `savepets db upgrade` has held the database's migration lock for "
                                         f"{MIGRATE_LOCK_WAIT_S} s: let it finish, then run this again.")
            try:
                if revision == "head" and schema_problem(stamped_revisions(self.engine), "install") is None:
                    log.info("the registry database is already at the newest schema (another upgrade ran it)")
                    return False
                conn.commit()
                cfg = alembic_config(self.url)
                cfg.attributes["connection"] = conn
                step(cfg, revision)
                conn.commit()
                return True
            finally:
                if mysql:
                    conn.rollback()
                    conn.exec_driver_sql("SELECT RELEASE_LOCK(%s)", (lock,))
                    conn.commit()

    def _migrate_sqlite(self, step, revision: str) -> None:
        sqlite = True
        with self.engine.connect() as conn:
            before = self._revision(conn)
            conn.commit()
            if sqlite:  # a migration that rebuilds a table others point to (0005) needs the checks off
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()
            try:
                with conn.begin():
                    cfg = alembic_config(self.url)
                    cfg.attributes["connection"] = conn
                    step(cfg, revision)
                    if sqlite and (bad := conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                        raise RuntimeError(f"the upgrade would break references between rows: {bad[:5]}")
                # revision ids start with their 4-digit number: did this step encrypt an existing registry?
                encrypted_now = before is not None and before < "0005" <= (self._revision(conn) or "")
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()
        if sqlite and encrypted_now:  # the plain values of an older registry must not stay in free pages or the log
            self.compact()

    def rekey(self, new_key: crypto.RegistryKey) -> None:
        """Re-encrypt every encrypted value (and phone hash) with `new_key`, in one transaction; the registry then
        needs `new_key`. Backups use it to carry the data under the passphrase's key, never the machine's. Each
        value keeps its place (table, column, row)."""
        import json

        from core.registry.encrypted import LEGACY_READS, encrypted_columns, row_key
        from core.registry.models import Base, EncryptedJSON, PhoneHash

        old = self.key
        legacy = bool(getattr(self.engine.dialect, LEGACY_READS, False))

        def again(value, as_json: bool, place: bytes):
            token = json.loads(value) if as_json and isinstance(value, str | bytes) else value
            if token is None:
                return None
            new = new_key.encrypt(old.decrypt(token, place, legacy=legacy), place)
            return json.dumps(new) if as_json else new

        with self.engine.begin() as conn:
            present = set(inspect(conn).get_table_names())
            for table in Base.metadata.sorted_tables:
                enc = encrypted_columns(table)
                hashed = [c for c in table.columns if isinstance(c.type, PhoneHash)]  # of the row's `phone`
                if not enc or table.name not in present:
                    continue
                (pk,) = table.primary_key.columns
                key = table.c[row_key(table)]
                cols = list(dict.fromkeys((pk, key, *enc, *hashed)))
                raw = sa.table(table.name, *[sa.column(c.name) for c in cols])  # no type: raw values
                rows = conn.execute(sa.select(raw)).mappings().all()
                for i in range(0, len(rows), 500):
                    params = []
                    for r in rows[i:i + 500]:
                        places = {c.name: crypto.place(table.name, c.name, r[key.name]) for c in enc}
                        p = {c.name: again(r[c.name], isinstance(c.type, EncryptedJSON), places[c.name])
                             for c in enc}
                        for h in hashed:
                            phone = old.decrypt(r["phone"], places["phone"], legacy=legacy)
                            p[h.name] = new_key.phone_hash(phone) if phone else None
                        params.append({**p, "_pk": r[pk.name]})
                    conn.execute(sa.update(raw).where(raw.c[pk.name] == sa.bindparam("_pk"))
                                 .values({k: sa.bindparam(k) for k in params[0] if k != "_pk"}), params)
            conn.execute(sa.update(Meta).where(Meta.key == crypto.KEY_ID_META).values(value=new_key.key_id))
        self.key = new_key
        self.engine.dialect.savepets_key = new_key
        if self.engine.dialect.name == "sqlite":
            self.compact()

    def compact(self) -> None:
        """SQLite: rewrite the file and empty the write-ahead log, so that nothing deleted stays readable in it."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.exec_driver_sql("VACUUM")
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.commit()
        except OperationalError as exc:  # another process is using it: zeroed pages (secure_delete) remain
            log.warning("could not compact %s now (%s); `savepets db upgrade` does it later", self.url, exc)

    @staticmethod
    def _revision(conn) -> str | None:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        with self.sessions() as s, s.begin():
            yield s

    def meta(self, key: str, default: str | None = None) -> str | None:
        with self.sessions() as s:
            row = s.get(Meta, key)
            return row.value if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.session() as s:
            s.merge(Meta(key=key, value=value))

    def device_id(self) -> str:
        """This database's own id, made once: it names the origin of the rows created here."""
        value = self.meta("device_id")
        if value is None:
            value = str(uuid.uuid4())
            try:
                with self.session() as s:
                    if s.scalar(select(Meta).where(Meta.key == "device_id")) is None:
                        s.add(Meta(key="device_id", value=value))
            except IntegrityError:  # another process sharing the database made it first: use theirs
                pass
            value = self.meta("device_id")
        return value

    def dispose(self) -> None:
        self.engine.dispose()
