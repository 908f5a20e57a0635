"""Opening a registry database: any SQLAlchemy URL, upgraded to the newest schema with Alembic."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.registry.models import Meta

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


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
            cur.close()

        return engine
    if url.startswith("mysql"):
        if "charset=" not in url:  # Hangul names need 4-byte UTF-8 whatever the server default
            url += ("&" if "?" in url else "?") + "charset=utf8mb4"
        return create_engine(url, pool_pre_ping=True, pool_recycle=3600, isolation_level="READ COMMITTED")
    return create_engine(url, pool_pre_ping=True)


class Database:
    def __init__(self, url: str, upgrade: bool = True):
        self.url = url
        self.engine = make_engine(url)
        if upgrade:
            self.upgrade()
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self, revision: str = "head") -> None:
        with self.engine.begin() as conn:
            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

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
