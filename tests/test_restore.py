"""`savepets restore` fails closed: its safety copy keeps the commits still in the write-ahead log (SQLite's backup
API), a registry it cannot read (damaged, locked by another program) is never taken for an empty one, and it is
refused while a kiosk, a server or another command holds the registry (core/registry/inuse.py). Through the real
CLI; other processes are real processes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import httpx
import pytest
from typer.testing import CliRunner

from core.backup import backup
from core.registry.inuse import RegistryInUse, holding
from core.settings import Settings
from kiosk.cli import EXIT_INVALID, app
from tests.sync_harness import REPO, free_port
from tests.test_backup import PASS, registered


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A backup of one dog (김철수's 초코), and another install `dst` whose registry holds 이영희's dog."""
    monkeypatch.setenv("SAVEPETS_ENGINE", "standin")
    monkeypatch.setenv("SAVEPETS_BACKUP_PASSPHRASE", PASS)
    src, dst = Settings(data_dir=tmp_path / "a"), Settings(data_dir=tmp_path / "b")
    registered(src)
    backup(src, tmp_path / "b.spbak", PASS)
    registered(dst, phone="010-5555-6666", owner="이영희")
    return tmp_path / "b.spbak", dst


def cli(*args):
    r = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    r.text = " ".join(r.output.split())
    return r


def owners_in(db_file) -> list[str]:
    """Dog names read straight from a SQLite file (the names are not encrypted; the owners are)."""
    with closing(sqlite3.connect(db_file)) as conn:
        return sorted(n for (n,) in conn.execute("SELECT name FROM dogs"))


def env(data_dir) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("SAVEPETS_")}
    e.update({"SAVEPETS_CONFIG": str(REPO / "tests" / "no-such-config.toml"), "SAVEPETS_ENGINE": "standin",
              "SAVEPETS_DATA_DIR": str(data_dir), "SAVEPETS_KEY_FILE": os.environ["SAVEPETS_KEY_FILE"],
              "PYTHONUNBUFFERED": "1", "QT_QPA_PLATFORM": "offscreen"})
    return e


def held(settings) -> bool:
    try:
        with holding(settings.database_url, exclusive=True):
            return False
    except RegistryInUse:
        return True


def test_the_safety_copy_keeps_commits_still_in_the_write_ahead_log(world, tmp_path):
    spbak, dst = world
    db_file = dst.data_dir / "registry.sqlite3"
    # a process commits and dies before any checkpoint: the commit lives only in registry.sqlite3-wal
    code = ("import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_autocheckpoint=0'); "
            "c.execute(\"UPDATE dogs SET name = 'only-in-the-wal'\"); c.commit(); os._exit(0)")
    subprocess.run([sys.executable, "-c", code, str(db_file)], check=True, timeout=60)
    assert db_file.with_name("registry.sqlite3-wal").stat().st_size > 0
    main_only = tmp_path / "main-only.sqlite3"
    shutil.copy2(db_file, main_only)  # what the old safety copy kept: the main file without its log
    assert owners_in(main_only) == ["초코"]

    r = cli("restore", spbak, "--data-dir", dst.data_dir, "--force")
    assert r.exit_code == 0 and "Restored 1 dog and 5 photos" in r.text, r.output
    before = dst.data_dir / "registry.sqlite3.before-restore"
    assert not before.with_name(before.name + "-wal").exists()  # one self-contained file
    assert owners_in(before) == ["only-in-the-wal"]  # the commit is in the safety copy
    r = cli("dogs", "list", "--data-dir", dst.data_dir)
    assert r.exit_code == 0 and "김철수" in r.text and "이영희" not in r.text


def test_a_registry_that_cannot_be_read_is_not_taken_for_an_empty_one(world):
    spbak, dst = world
    db_file = dst.data_dir / "registry.sqlite3"
    for suffix in ("-wal", "-shm"):
        db_file.with_name(db_file.name + suffix).unlink(missing_ok=True)
    damaged = b"SQLite format 3\x00" + os.urandom(8192)
    db_file.write_bytes(damaged)

    r = cli("restore", spbak, "--data-dir", dst.data_dir)
    assert r.exit_code == EXIT_INVALID and r.text.startswith("Error: Cannot read the registry"), r.output
    assert "--force" in r.text and "Nothing was restored" in r.text
    assert db_file.read_bytes() == damaged and not (dst.data_dir / "registry.sqlite3.before-restore").exists()

    # --force replaces it, and keeps the damaged file as it was
    r = cli("restore", spbak, "--data-dir", dst.data_dir, "--force")
    assert r.exit_code == 0, r.output
    assert (dst.data_dir / "registry.sqlite3.before-restore").read_bytes() == damaged
    assert owners_in(db_file) == ["초코"]


def test_another_programs_sqlite_database_is_not_an_empty_registry(world):
    spbak, dst = world
    db_file = dst.data_dir / "registry.sqlite3"
    shutil.rmtree(dst.data_dir)
    dst.data_dir.mkdir()
    with sqlite3.connect(db_file) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    r = cli("restore", spbak, "--data-dir", dst.data_dir)
    assert r.exit_code == EXIT_INVALID and "no such table: dogs" in r.text and "--force" in r.text, r.output


def test_a_registry_locked_by_another_program_is_never_overwritten(world):
    spbak, dst = world
    db_file = dst.data_dir / "registry.sqlite3"
    code = ("import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
            "c.execute('PRAGMA locking_mode=EXCLUSIVE'); c.execute('BEGIN EXCLUSIVE'); print('ready', flush=True); "
            "time.sleep(120)")
    locker = subprocess.Popen([sys.executable, "-c", code, str(db_file)], stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline().strip() == "ready"
        before = db_file.read_bytes()
        for force in ((), ("--force",)):
            r = cli("restore", spbak, "--data-dir", dst.data_dir, *force)
            assert r.exit_code == EXIT_INVALID, r.output
            assert "is locked by another program" in r.text and "Nothing was restored" in r.text
        assert db_file.read_bytes() == before and not (dst.data_dir / "registry.sqlite3.before-restore").exists()
    finally:
        locker.kill()
        locker.wait()
    assert owners_in(db_file) == ["초코"]


def test_no_restore_while_the_server_runs(world):
    spbak, dst = world
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "serve", "--port", str(port)], cwd=REPO,
                              env=env(dst.data_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.stdout.read()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        assert held(dst)
        r = cli("restore", spbak, "--data-dir", dst.data_dir, "--force")
        assert r.exit_code == EXIT_INVALID, r.output
        assert "is in use by a running kiosk, server or savepets command" in r.text and "Nothing was restored" in r.text
    finally:
        server.terminate()
        server.wait(30)
    assert not held(dst)  # released with the process
    r = cli("restore", spbak, "--data-dir", dst.data_dir, "--force")
    assert r.exit_code == 0, r.output


def test_no_restore_while_the_kiosk_runs(world, tmp_path):
    spbak, dst = world
    camera = tmp_path / "camera"
    camera.mkdir()
    from tests.imaging import dog_photo_bytes

    (camera / "1.jpg").write_bytes(dog_photo_bytes(1, 0))
    kiosk = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "kiosk", "--camera", str(camera), "--lang", "en"],
                             cwd=REPO, env=env(dst.data_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
    try:
        deadline = time.monotonic() + 90
        while not held(dst):
            assert kiosk.poll() is None, kiosk.stdout.read()
            assert time.monotonic() < deadline, "the kiosk did not start"
            time.sleep(0.3)
        r = cli("restore", spbak, "--data-dir", dst.data_dir, "--force")
        assert r.exit_code == EXIT_INVALID and "in use by a running kiosk" in r.text, r.output
    finally:
        kiosk.terminate()
        kiosk.wait(30)
    assert not held(dst)


def test_commands_wait_for_no_restore_and_restore_for_no_command(world, monkeypatch):
    """While a restore replaces the registry (the lock held exclusively), a command refuses at once; while a command
    uses it (held shared), a restore is refused before its passphrase is asked for."""
    spbak, dst = world
    with holding(dst.database_url, exclusive=True):
        r = cli("dogs", "list", "--data-dir", dst.data_dir)
        assert r.exit_code == EXIT_INVALID and r.text.startswith("Error: A restore is replacing the registry")
    with holding(dst.database_url):
        r = cli("restore", spbak, "--data-dir", dst.data_dir, "--force")
        assert r.exit_code == EXIT_INVALID and "in use" in r.text and "passphrase" not in r.text.lower()
    # a registry with dogs, no --force: said before the passphrase is asked for (none given here)
    monkeypatch.delenv("SAVEPETS_BACKUP_PASSPHRASE")
    r = cli("restore", spbak, "--data-dir", dst.data_dir)
    assert r.exit_code == EXIT_INVALID and "already holds dogs" in r.text and "passphrase" not in r.text.lower()
