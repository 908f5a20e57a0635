"""`savepets audit` as an operator runs it: a look-up made at the command line shows in the trail, with its decision,
as the machine's user; filters; bad filters exit 2; `audit purge` applies the retention."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from core.actors import cli_actor
from core.recognition.base import Decision
from kiosk.cli import EXIT_INVALID
from tests.test_cli import run, write_photos  # noqa: F401 - the `run` fixture


def test_a_cli_lookup_shows_in_the_audit(run, tmp_path, monkeypatch):  # noqa: F811
    r = run("register", "--name", "초코", "--phone", "010-1234-5678", "--owner", "김철수", "--json",
            *write_photos(tmp_path / "in", dog=1))
    assert r.exit_code == 0, r.output
    number = json.loads(r.output)["dog"]["registration_number"]
    probe = write_photos(tmp_path / "probe", dog=1, n=1, first=8)[0]
    assert run("lookup", probe).exit_code == 0

    me = cli_actor().name
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: one line per entry
    r = run("audit")
    assert r.exit_code == 0, r.output
    assert f"cli:{me}" in r.text and "lookup" in r.text and "match (sure_match)" in r.text and number in r.text
    assert "newest first" in r.text
    for personal in ("김철수", "1234-5678", "01012345678"):
        assert personal not in r.output

    entries = json.loads(run("audit", "--action", "lookup", "--json").output)
    assert len(entries) == 1
    lookup = entries[0]
    assert (lookup["actor_kind"], lookup["actor_name"], lookup["decision"], lookup["reason"]) == \
        ("cli", me, Decision.MATCH, "sure_match")
    assert lookup["registration_number"] == number and lookup["detail"] == "photos=1 candidates=1"

    by_dog = json.loads(run("audit", "--dog", number, "--json").output)
    assert [e["action"] for e in by_dog] == ["contact_view", "lookup", "register"]  # newest first
    assert by_dog[0]["detail"] == "via=lookup"  # the look-up printed the owner's contact
    assert len(json.loads(run("audit", "--who", f"cli:{me}", "--json").output)) == 3
    assert json.loads(run("audit", "--who", "staff:nobody", "--json").output) == []
    yesterday = (datetime.now() - timedelta(days=1)).date().isoformat()
    assert len(json.loads(run("audit", "--since", yesterday, "--json").output)) == 3
    tomorrow = (datetime.now() + timedelta(days=1)).date().isoformat()
    assert "No audit entries match." in run("audit", "--since", tomorrow).text


def test_bad_filters_exit_2(run):  # noqa: F811
    r = run("audit", "--since", "last week")
    assert r.exit_code == EXIT_INVALID and "since: 'last week' is not a date" in r.text
    r = run("audit", "--action", "peek")
    assert r.exit_code == EXIT_INVALID and "action: 'peek' is not recorded; one of: lookup" in r.text
    r = run("audit", "--limit", "0")
    assert r.exit_code == EXIT_INVALID


def test_purge_applies_the_retention(run, monkeypatch):  # noqa: F811
    assert "No audit entries yet." in run("audit").text
    r = run("audit", "purge")
    assert r.exit_code == 0 and "Deleted 0 audit entries older than 730 days." in r.text
    entries = json.loads(run("audit", "--json").output)
    assert [(e["action"], e["actor_kind"], e["detail"]) for e in entries] == \
        [("audit_purge", "cli", "deleted=0 days=730")]
    monkeypatch.setenv("SAVEPETS_AUDIT_RETENTION_DAYS", "0")
    r = run("audit", "purge")
    assert r.exit_code == EXIT_INVALID and "audit_retention_days" in r.text


def test_backup_and_restore_are_recorded(run, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SAVEPETS_BACKUP_PASSPHRASE", "개구리 연못 7 steps")
    r = run("register", "--name", "초코", "--phone", "010-1234-5678", *write_photos(tmp_path / "in", dog=1))
    assert r.exit_code == 0, r.output
    assert run("backup", tmp_path / "b.spbak").exit_code == 0
    backups = json.loads(run("audit", "--action", "backup", "--json").output)
    assert [(e["actor_kind"], e["detail"]) for e in backups] == [("cli", "dogs=1 photos=5")]

    monkeypatch.setenv("SAVEPETS_DATA_DIR", str(tmp_path / "elsewhere"))  # restored into another install
    assert run("restore", tmp_path / "b.spbak").exit_code == 0
    trail = json.loads(run("audit", "--json").output)
    assert [e["action"] for e in trail] == ["restore", "register"]  # the backup's own entry came after it
    assert trail[0]["actor_kind"] == "cli" and trail[0]["detail"].startswith("dogs=1 from=")


def test_the_audit_reads_at_80_columns(run, tmp_path, monkeypatch):  # noqa: F811
    """At 80 columns each entry's time, who, dog number and action stay whole on its first line (the details wrap
    at spaces beside them); nothing is cut off or wider than the terminal. Wider terminals get the full table."""
    from rich.cells import cell_len

    r = run("register", "--name", "초코", "--phone", "010-1234-5678", "--json", *write_photos(tmp_path / "in", dog=1))
    number = json.loads(r.output)["dog"]["registration_number"]
    run("lookup", write_photos(tmp_path / "probe", dog=1, n=1, first=8)[0])
    run("lookup", write_photos(tmp_path / "stranger", dog=4, n=1)[0])
    monkeypatch.setenv("COLUMNS", "80")
    r = run("audit")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert max(cell_len(line) for line in lines) <= 80 and "│" not in r.output
    firsts = [line for line in lines if line[:2] == "20"]  # an entry's first line starts with its date
    assert len(firsts) == 5, r.output
    assert all(number in line for line in firsts if "lookup no_match" not in line)
    for action in ("contact_view", "lookup", "register"):
        assert any(f"{number}  {action}" in line for line in firsts), action
    assert "(no_similar_dog);" in r.text and "5 entries, newest first." in r.text
    monkeypatch.setenv("COLUMNS", "160")
    wide = run("audit").output.splitlines()
    assert "Device" in wide[0] and sum(1 for line in wide if line[:2] == "20") == 5  # one line per entry
