"""What a new user reads from `savepets` (issue 26): one error style ("Error: ...", the exit code says the kind),
plural forms, a folder named a folder, a registration number's digits alone, candidates masked in --json as in the
table, no GetPassWarning without a terminal, and a package with one module per command group."""

from __future__ import annotations

import ast
import json
import os
import pty
import re
import select
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from kiosk.cli import EXIT_DUPLICATE, EXIT_INVALID, EXIT_NOT_FOUND
from tests.sync_harness import REPO
from tests.test_backup import PASS, registered
from tests.test_cli import run, write_look_alikes, write_photos  # noqa: F401 - the `run` fixture

CLI = REPO / "kiosk" / "cli"


def test_the_cli_is_a_package_of_one_module_a_command_group():
    modules = {p.stem for p in CLI.glob("*.py")}
    assert {"__init__", "__main__", "common", "identify", "dogs", "db", "backup", "owners", "reviews", "users", "audit",
            "admin", "serve", "gui", "sync_cmd", "engine"} <= modules
    assert not (REPO / "kiosk" / "cli.py").exists()
    assert max(len(p.read_text(encoding="utf-8").splitlines()) for p in CLI.glob("*.py")) < 300
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "--help"], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and "restore" in proc.stdout and "sync" in proc.stdout


def test_errors_are_reported_in_one_place():
    """Only kiosk.cli.common.fail (and say_error) writes the 'Error:' prefix; no module spells its own ('Invalid
    input:', 'Not found:', 'Refused:')."""
    for path in CLI.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for old in ("Invalid input:", "Not found:", "Refused:", "Not enrolled:[/]"):
            assert old not in text, (path.name, old)
        strings = [n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant) and isinstance(n.value,
                                                                                                         str)]
        if path.name != "common.py":
            assert not [s for s in strings if "[bold red]" in s], path.name


def test_every_kind_of_error_reads_the_same(run, tmp_path):  # noqa: F811
    photos = write_photos(tmp_path / "in", dog=1)
    assert run("register", "--name", "초코", "--phone", "010-1234-5678", *photos).exit_code == 0
    cases = [
        (("register", "--name", "초코", "--phone", "01099998888", *write_photos(tmp_path / "again", 1, first=10)),
         EXIT_DUPLICATE, "Error: "),
        (("dogs", "show", "no-such-dog"), EXIT_NOT_FOUND, "Error: "),
        (("register", "--name", "", "--phone", "010", *photos), EXIT_INVALID, "Error: "),
        (("dogs", "status", "no-such-dog", "sleeping"), EXIT_INVALID, "Error: "),
        (("keys", "create", "--role", "king", "--name", "x"), EXIT_INVALID, "Error: Unknown role 'king'"),
        (("reviews", "resolve", "abcdef12"), EXIT_INVALID, "Error: Say --same-dog"),
        (("dogs", "delete", "no-such-dog"), EXIT_NOT_FOUND, "Error: "),
    ]
    for args, code, start in cases:
        r = run(*args)
        assert r.exit_code == code and r.text.startswith(start), (args, r.output)
        assert r.text.count("Error:") == 1


def test_plural_forms(run, tmp_path, monkeypatch):  # noqa: F811
    r = run("register", "--name", "초코", "--phone", "010-1234-5678", "--owner", "김철수",
            *write_photos(tmp_path / "in", dog=1))
    assert r.exit_code == 0
    r = run("lookup", write_photos(tmp_path / "probe", dog=1, n=1, first=8)[0])
    assert "1 photo compared with 1 registered dog" in r.text and "dog(s)" not in r.text
    r = run("owners", "export", "010-1234-5678", "--out", tmp_path / "o.json")
    assert "(1 dog)" in r.text
    monkeypatch.setenv("SAVEPETS_BACKUP_PASSPHRASE", PASS)
    r = run("backup", tmp_path / "b.spbak")
    assert r.exit_code == 0 and "Backed up 1 dog and 5 photos" in r.text, r.output
    monkeypatch.setenv("COLUMNS", "200")
    r = run("audit", "--action", "register")
    assert "1 entry, newest first" in r.text and "1 entries" not in r.text


def test_a_folder_given_as_a_photo_is_named_a_folder(run, tmp_path):  # noqa: F811
    photos = write_photos(tmp_path / "in", dog=1)
    for args in (("lookup", tmp_path / "in"), ("register", "--name", "초코", "--phone", "010-1234-5678",
                                                *photos[:4], tmp_path / "in")):
        r = run(*args)
        assert r.exit_code == EXIT_INVALID, r.output
        assert "is a folder, not a photo" in r.text and "no such file" not in r.text and "*.jpg" in r.text


def test_dogs_show_takes_the_numbers_digits_alone(run, tmp_path):  # noqa: F811
    r = run("register", "--name", "초코", "--phone", "010-1234-5678", *write_photos(tmp_path / "a", 1))
    assert r.exit_code == 0, r.output
    number = json.loads(run("dogs", "list", "--json").output)[0]["registration_number"]
    digits = "".join(c for c in number if c.isdigit())
    assert len(digits) == 14
    for key in (digits, digits[:10], number):
        r = run("dogs", "show", key, "--json")
        assert r.exit_code == 0 and json.loads(r.output)["registration_number"] == number, (key, r.output)
    r = run("dogs", "show", "99999999999999")
    assert r.exit_code == EXIT_NOT_FOUND and "Error: No registered dog's number has the digits 99999999999999" in r.text
    r = run("dogs", "status", digits, "lost")
    assert r.exit_code == 0 and "is now lost" in r.text

    # two more dogs registered the same minute: one with the same digits (other initials), one with a -2 suffix
    r = run("register", "--name", "보리", "--phone", "010-1234-5678", *write_photos(tmp_path / "b", 2))
    assert r.exit_code == 0, r.output
    r = run("register", "--name", "콩이", "--phone", "010-7777-8888", *write_photos(tmp_path / "c", 3))
    assert r.exit_code == 0, r.output
    with closing(sqlite3.connect(tmp_path / "data" / "registry.sqlite3")) as conn, conn:
        conn.execute("UPDATE dogs SET registration_number = ? WHERE name = '보리'", (digits[:10] + "ㅂㄹ5678",))
        conn.execute("UPDATE dogs SET registration_number = ? WHERE name = '콩이'", (number + "-2",))
    r = run("dogs", "show", digits)
    assert r.exit_code == EXIT_INVALID, r.output
    assert "names 2 dogs" in r.text and number in r.text and digits[:10] + "ㅂㄹ5678" in r.text
    assert "010-1234-5678" not in r.text  # the list names the dogs, not their owners
    r = run("dogs", "show", digits[:10])
    assert r.exit_code == EXIT_INVALID and "names 3 dogs" in r.text
    r = run("dogs", "show", digits + "-2", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["name"] == "콩이"


def test_lookup_json_masks_candidates_as_the_table_does(run, tmp_path):  # noqa: F811
    r = run("register", "--name", "초코", "--phone", "010-1234-5678", "--owner", "김철수", "--notes", "옆집 이영희",
            *write_photos(tmp_path / "in", dog=1))
    assert r.exit_code == 0
    r = run("lookup", *write_look_alikes(tmp_path / "like", dog=1, other=2, n=2), "--json")
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    assert result["decision"] == "uncertain" and result["candidates"]
    owner = result["candidates"][0]["dog"]["owner"]
    assert owner["phone"] == "010-****-5678" and owner["name"] == "김**"
    assert result["candidates"][0]["dog"]["notes"] == "" and result["match"]["dog"]["owner"]["name"] == "김**"
    for personal in ("김철수", "1234-5678", "01012345678", "+821012345678", "이영희"):
        assert personal not in r.output
    table = run("lookup", *write_look_alikes(tmp_path / "like", dog=1, other=2, n=2))
    assert "010-****-5678" in table.text and "김철수" not in table.text

    r = run("register", "--name", "보리", "--phone", "010-5555-6666", "--json",
            *write_look_alikes(tmp_path / "new", 1, 3))
    assert r.exit_code == 0, r.output
    dup = json.loads(r.output)["possible_duplicates"][0]["dog"]["owner"]
    assert dup["phone"] == "010-****-5678" and "김철수" not in r.output
    # a sure match is the dog in full, as the table shows it
    r = run("lookup", write_photos(tmp_path / "probe", dog=1, n=1, first=8)[0], "--json")
    assert json.loads(r.output)["match"]["dog"]["owner"]["name"] == "김철수"


def cli_env(data_dir: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("SAVEPETS_")}
    e.update({"SAVEPETS_CONFIG": str(REPO / "tests" / "no-such-config.toml"), "SAVEPETS_ENGINE": "standin",
              "SAVEPETS_DATA_DIR": str(data_dir), "SAVEPETS_KEY_FILE": os.environ["SAVEPETS_KEY_FILE"],
              "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})
    return e


def test_backup_without_a_terminal_says_how_to_give_the_passphrase(tmp_path):
    """`savepets backup x.spbak </dev/null` from a session with no terminal at all: our message, not Python's
    GetPassWarning ("Can not control echo on the terminal")."""
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "backup", str(tmp_path / "x.spbak")], cwd=REPO,
                          env=cli_env(tmp_path / "data"), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          start_new_session=True, timeout=60)
    text = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode == EXIT_INVALID, text
    assert text.startswith("Error: Backups are encrypted with a passphrase, and there is no terminal to ask it on")
    assert "--passphrase-file" in text and "SAVEPETS_BACKUP_PASSPHRASE" in text
    assert "GetPassWarning" not in text and "echo" not in text and "Warning" not in text
    assert not (tmp_path / "x.spbak").exists()


def test_backup_asks_twice_on_a_terminal(tmp_path):
    """On a terminal (a pseudo-terminal here) the passphrase is asked twice, not echoed, and the backup is made."""
    from core.settings import Settings

    registered(Settings(data_dir=tmp_path / "data"))
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "backup", str(tmp_path / "x.spbak")], cwd=REPO,
                            env=cli_env(tmp_path / "data"), stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    seen, answered = b"", 0
    deadline = time.monotonic() + 90
    try:
        while proc.poll() is None or select.select([master], [], [], 0)[0]:
            assert time.monotonic() < deadline, seen
            if select.select([master], [], [], 0.2)[0]:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
            # "Backup passphrase: " then "Repeat for confirmation: ", each ": " written by getpass once echo is off
            if seen.count(b": ") > answered and answered < 2:
                os.write(master, PASS.encode() + b"\n")
                answered += 1
    finally:
        proc.wait(30)
        os.close(master)
    text = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", seen.decode(errors="replace")).split())  # rich's colours
    assert proc.returncode == 0, text
    assert answered == 2 and "Backed up 1 dog and 5 photos" in text and PASS not in text
    assert (tmp_path / "x.spbak").is_file()


def test_serve_prints_the_factorys_tls_refusal_as_one_error(tmp_path):
    """One TLS rule, in create_app; `savepets serve` prints its refusal as any other error: exit 2, no traceback."""
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "serve", "--host", "0.0.0.0", "--port", "1"], cwd=REPO,
                          env=cli_env(tmp_path / "data"), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)
    text = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode == EXIT_INVALID, text
    assert text.startswith("Error: Refusing to listen on 0.0.0.0 without TLS") and "Traceback" not in text
    assert "SAVEPETS_SSL_CERTFILE" in text  # the factory's words: the settings too, for whoever starts it
    assert not (tmp_path / "data" / "registry.sqlite3").exists()  # refused before anything opened


def test_another_organisations_owner_is_said_to_be_online_only(run, tmp_path):  # noqa: F811
    """A dog pulled from another organisation comes with its owner redacted: the CLI says where to ask, never a bare
    '-' that reads like an erased owner."""
    from sqlalchemy import select

    from core.registry.db import Database
    from core.registry.models import Owner
    from core.settings import Settings

    r = run("register", "--name", "바둑이", "--phone", "010-4321-8765", "--owner", "홍길동",
            *write_photos(tmp_path / "a", 1))
    assert r.exit_code == 0, r.output
    db = Database(Settings(data_dir=tmp_path / "data").database_url)
    try:
        with db.session() as s:  # what a pull of another organisation's dog leaves: a placeholder owner
            for owner in s.scalars(select(Owner)):
                owner.phone, owner.name = "", ""
    finally:
        db.dispose()
    listed = run("dogs", "list")
    assert "online only" in listed.text and "홍길동" not in listed.text
    number = json.loads(run("dogs", "list", "--json").output)[0]["registration_number"]
    shown = run("dogs", "show", number)
    assert "contact available online" in shown.text
