"""Deploys (issue 23): a server database (MariaDB) is migrated by `savepets db upgrade` under a database lock, never
by a server's start; a server refuses an older or newer schema and says what to run; the kiosk's SQLite upgrades
itself; a migration that failed part-way is completed by running the upgrade again (SQLite and MariaDB)."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from core import crypto
from core.registry.db import Database, SchemaAhead, SchemaBehind, head_revision, require_schema
from kiosk.cli import app
from tests.serverkit import Server, base_env, savepets_command

FUTURE = "0999_from_a_newer_release"


def _cli(monkeypatch, db_url, tmp_path, *args):
    monkeypatch.setenv("SAVEPETS_DB_URL", db_url)
    monkeypatch.setenv("SAVEPETS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SAVEPETS_ENGINE", "standin")
    return CliRunner().invoke(app, [str(a) for a in args])


def _said(result) -> str:
    """The command's output as one line (rich wraps it), lower case."""
    return " ".join(result.output.split()).lower()


def _stamp(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        engine.dispose()


def test_server_refuses_a_database_not_upgraded_and_db_upgrade_is_the_deploy_step(mariadb_url, tmp_path,
                                                                                  monkeypatch):
    serve = _cli(monkeypatch, mariadb_url, tmp_path, "serve", "--port", "1")
    assert serve.exit_code != 0
    assert "run `savepets db upgrade` with this version" in _said(serve)
    worker = _cli(monkeypatch, mariadb_url, tmp_path, "worker")
    assert worker.exit_code != 0 and "savepets db upgrade" in worker.output
    engine = create_engine(mariadb_url)
    try:
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []  # the refused starts changed nothing
    finally:
        engine.dispose()

    first = _cli(monkeypatch, mariadb_url, tmp_path, "db", "upgrade")
    assert first.exit_code == 0, first.output
    assert f"upgraded from revision none to {head_revision()}" in _said(first)
    again = _cli(monkeypatch, mariadb_url, tmp_path, "db", "upgrade")
    assert again.exit_code == 0 and "nothing to do" in again.output
    require_schema(mariadb_url)  # the servers may start now

    _stamp(mariadb_url, "0010_idempotency_keys")  # as a deploy of the next release finds it
    with pytest.raises(SchemaBehind, match="savepets db upgrade"):
        require_schema(mariadb_url)


def test_a_server_older_than_its_database_refuses_to_start(db_url, tmp_path, monkeypatch):
    Database(db_url).dispose()
    _stamp(db_url, FUTURE)  # a newer release migrated it
    if db_url.startswith("sqlite"):  # the kiosk: its registry is not touched, and it says why
        with pytest.raises(SchemaAhead, match="older than the database"):
            Database(db_url)
        return
    with pytest.raises(SchemaAhead):
        require_schema(db_url)
    serve = _cli(monkeypatch, db_url, tmp_path, "serve", "--port", "1")
    assert serve.exit_code != 0
    assert "this server is older than the database: upgrade the server" in _said(serve)
    upgrade = _cli(monkeypatch, db_url, tmp_path, "db", "upgrade")
    assert upgrade.exit_code != 0 and "older than the database" in _said(upgrade)
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [FUTURE]
    finally:
        engine.dispose()


def test_the_kiosk_registry_upgrades_itself_on_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'kiosk.sqlite3'}"
    old = Database(url, upgrade=False)
    old.upgrade("0008_devices")
    old.dispose()
    require_schema(url)  # nothing to refuse: an embedded registry is upgraded by its own start
    db = Database(url)
    try:
        assert db.current_revision() == head_revision()
    finally:
        db.dispose()


def test_two_upgrades_at_once_take_turns_under_the_database_lock(mariadb_url, monkeypatch):
    """One upgrade waits while another holds the lock (GET_LOCK), then finds the head and does nothing."""
    import core.registry.db as registry_db

    first = Database(mariadb_url, upgrade=False)
    name = mariadb_url.rsplit("/", 1)[1]
    holder = first.engine.connect()
    try:
        assert holder.exec_driver_sql(f"SELECT GET_LOCK('savepets_upgrade:{name}', 10)").scalar() == 1
        done: dict[str, object] = {}

        def second():
            db = Database(mariadb_url, upgrade=False)
            try:
                done["ran"] = db.upgrade()
            finally:
                db.dispose()

        t = threading.Thread(target=second)
        t.start()
        time.sleep(1.5)
        assert t.is_alive() and "ran" not in done  # waiting for the lock
        with monkeypatch.context() as m:  # the deploy that holds the lock migrates meanwhile
            m.setattr(registry_db, "MIGRATE_LOCK", "savepets_test_other:")
            assert first.upgrade() is True
        assert t.is_alive()
        holder.exec_driver_sql(f"SELECT RELEASE_LOCK('savepets_upgrade:{name}')")
        t.join(60)
        assert done == {"ran": False}  # the second found the head
    finally:
        holder.close()
        first.dispose()


def test_two_deploys_at_once_both_succeed(mariadb_url, tmp_path):
    env = base_env(mariadb_url, tmp_path / "data")
    runs = [subprocess.Popen([*savepets_command(), "db", "upgrade"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outs = [r.communicate(timeout=300)[0] for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outs
    said = " ".join(" ".join(o.split()) for o in outs)
    assert said.count("upgraded from revision none") == 1 and said.count("nothing to do") == 1, outs
    require_schema(mariadb_url)


def test_a_replica_starts_after_the_deploy_step(mariadb_url, tmp_path):
    srv = Server(mariadb_url, tmp_path / "data").start()  # Server.start runs `savepets db upgrade` first
    try:
        assert srv.client().get("/v1/ready").status_code == 200
    finally:
        srv.stop()


# ----------------------------------------------------------------- a migration that failed part-way, run again
def _fail_after(monkeypatch, calls: int):
    real = crypto.RegistryKey.encrypt
    seen = {"n": 0}

    def encrypt(self, *args, **kwargs):
        seen["n"] += 1
        if seen["n"] > calls:
            raise RuntimeError("the power went off")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(crypto.RegistryKey, "encrypt", encrypt)


def test_a_data_migration_that_failed_part_way_completes_when_run_again(db_url, monkeypatch):
    """0009 re-encrypts every value: stopped after a few, the database is left at 0008 with every value as it
    was (its own transaction, on MariaDB too); the next upgrade completes it and everything reads."""
    from tests.test_crypto_aad import A_PHONE, PLAIN_ROWS

    old = Database(db_url, upgrade=False)
    old.upgrade("0004_review_resolution")
    with old.engine.begin() as conn:
        for sql in PLAIN_ROWS:
            conn.execute(text(sql))
    old.upgrade("0008_devices")
    with old.engine.connect() as conn:
        before = conn.execute(text("SELECT id, phone, name FROM owners ORDER BY id")).all()
    with monkeypatch.context() as m:
        _fail_after(m, 2)
        with pytest.raises(RuntimeError, match="power"):
            old.upgrade()
    assert old.current_revision() == "0008_devices"
    with old.engine.connect() as conn:
        assert conn.execute(text("SELECT id, phone, name FROM owners ORDER BY id")).all() == before
    old.dispose()

    db = Database(db_url)  # the deploy step (or the kiosk's start) again
    try:
        assert db.current_revision() == head_revision()
        from core.registry.models import Owner

        with db.sessions() as s:
            assert s.get(Owner, "o1").phone == A_PHONE
    finally:
        db.dispose()


def test_a_migration_whose_ddl_ran_before_the_crash_completes_when_run_again(db_url):
    """On MySQL/MariaDB DDL commits at once: a crash after 0010's table or 0011's index was made, before the
    revision was stamped, leaves them there; the upgrade run again does not stumble on them."""
    db = Database(db_url, upgrade=False)
    try:
        db.upgrade("0010_idempotency_keys")
        with db.engine.begin() as conn:
            conn.execute(text("CREATE UNIQUE INDEX uq_template_photo_model ON nose_templates "
                              "(photo_id, model_name, model_version)"))
            conn.execute(text("DROP INDEX ix_idempotency_keys_expires_at ON idempotency_keys")
                         if not db_url.startswith("sqlite") else text("DROP INDEX ix_idempotency_keys_expires_at"))
            conn.execute(text("UPDATE alembic_version SET version_num = '0009_encrypt_with_aad'"))
        assert db.upgrade() is True
        assert db.current_revision() == head_revision()
        with db.engine.connect() as conn:
            names = {ix["name"] for ix in inspect(conn).get_indexes("idempotency_keys")}
            assert "ix_idempotency_keys_expires_at" in names
    finally:
        db.dispose()


def test_0011_removes_duplicate_templates_keeping_the_oldest(db_url):
    db = Database(db_url, upgrade=False)
    try:
        db.upgrade("0010_idempotency_keys")
        now = "2026-01-01 00:00:0"
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO owners (id, phone, name, created_at, updated_at) "
                              f"VALUES ('o1', '', '', '{now}0', '{now}0')"))
            conn.execute(text("INSERT INTO dogs (id, owner_id, registration_number, registered_at, name, breed, sex, "
                              f"notes, status, created_at, updated_at) VALUES ('d1', 'o1', 'R1', '{now}0', 'a', '', "
                              f"'female', '', 'home', '{now}0', '{now}0')"))
            conn.execute(text("INSERT INTO nose_photos (id, dog_id, sha256, path, width, height, quality, "
                              f"position, created_at, updated_at) VALUES ('p1', 'd1', 's1', 'x', 1, 1, 1, 0, "
                              f"'{now}0', '{now}0')"))
            for tid, second, version in (("t3", 3, "1"), ("t1", 1, "1"), ("t2", 2, "1"), ("t4", 4, "2")):
                conn.execute(text("INSERT INTO nose_templates (id, photo_id, dog_id, model_name, model_version, dim, "
                                  "vector, quality, created_at, updated_at) VALUES (:id, 'p1', 'd1', 'm', :v, 1, "
                                  ":vec, 1, :at, :at)"), {"id": tid, "v": version, "vec": b"\0\0\0\0",
                                                          "at": f"{now}{second}"})
        db.upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM nose_templates ORDER BY id")).scalars().all() == ["t1", "t4"]
        from sqlalchemy.exc import IntegrityError

        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text("INSERT INTO nose_templates (id, photo_id, dog_id, model_name, model_version, dim, "
                              f"vector, quality, created_at, updated_at) VALUES ('t5', 'p1', 'd1', 'm', '1', 1, "
                              f":vec, 1, '{now}5', '{now}5')"), {"vec": b"\0\0\0\0"})
        db.downgrade("0010_idempotency_keys")
        db.upgrade()
        assert db.current_revision() == head_revision()
    finally:
        db.dispose()
