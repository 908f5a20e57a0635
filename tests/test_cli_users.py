"""`savepets users add|list|disable|enable|reset-pin` as an operator runs them: messages and exit codes."""

from __future__ import annotations

import json

from kiosk.cli import EXIT_INVALID, EXIT_NOT_FOUND
from tests.test_cli import run  # noqa: F401 - a fixture


def members(run):  # noqa: F811
    r = run("users", "list", "--json")
    assert r.exit_code == 0, r.output
    return {m["name"]: m for m in json.loads(r.output)}


def test_users_from_the_command_line(run, tmp_path, monkeypatch):  # noqa: F811
    from core.settings import Settings
    from core.usecases import SavePets

    assert "No staff accounts yet" in run("users", "list").text
    pin = tmp_path / "pin.txt"
    pin.write_text("2468\n")
    # the first account must be an administrator
    r = run("users", "add", "김직원", "--pin-file", pin)
    assert r.exit_code == EXIT_INVALID and "must be an administrator" in r.text
    r = run("users", "add", "관리자", "--role", "admin", "--pin-file", pin)
    assert r.exit_code == 0, r.output
    assert "Added admin 관리자" in r.text
    monkeypatch.setenv("SAVEPETS_PIN", "1357")
    assert run("users", "add", "김직원").exit_code == 0
    monkeypatch.delenv("SAVEPETS_PIN")
    listed = members(run)
    assert {n: (m["role"], m["disabled"]) for n, m in listed.items()} == {"관리자": ("admin", False),
                                                                          "김직원": ("staff", False)}
    assert "argon2" not in json.dumps(listed) and "2468" not in json.dumps(listed)
    table = run("users", "list").text
    assert "관리자" in table and "김직원" in table and "enabled" in table

    # the PINs work at sign-in (the kiosk's use case, on the same registry)
    sp = SavePets(Settings(), engine=_standin())
    try:
        assert sp.sign_in("김직원", "1357").role == "staff" and sp.sign_in("관리자", "2468").role == "admin"
    finally:
        sp.close()

    # bad input: exit code 2 and a message naming the problem; nothing changed
    bad = tmp_path / "bad.txt"
    for content, words in (("12", "PIN is 4 to 8 digits"), ("12ab", "PIN is 4 to 8 digits"), ("", "PIN is 4")):
        bad.write_text(content)
        r = run("users", "add", "박직원", "--pin-file", bad)
        assert r.exit_code == EXIT_INVALID and words in r.text, r.output
    r = run("users", "add", "박직원", "--role", "owner", "--pin-file", pin)
    assert r.exit_code == EXIT_INVALID and "role is one of: staff, admin" in r.text
    r = run("users", "add", "김직원", "--pin-file", pin)
    assert r.exit_code == EXIT_INVALID and "exists already" in r.text
    r = run("users", "add", "박직원")  # no terminal to ask on, no file, no variable
    assert r.exit_code == EXIT_INVALID and "Error: No PIN given" in r.text
    assert set(members(run)) == {"관리자", "김직원"}

    # disable, the last administrator, enable, reset a PIN
    r = run("users", "disable", "관리자")
    assert r.exit_code == EXIT_INVALID and "last enabled administrator" in r.text
    assert run("users", "disable", "김직원").exit_code == 0
    assert members(run)["김직원"]["disabled"] and "disabled" in run("users", "list").text
    assert run("users", "enable", "김직원").exit_code == 0
    assert not members(run)["김직원"]["disabled"]
    r = run("users", "disable", "nobody")
    assert r.exit_code == EXIT_NOT_FOUND and "No staff account named 'nobody'" in r.text
    new_pin = tmp_path / "new.txt"
    new_pin.write_text("8642")
    r = run("users", "reset-pin", "김직원", "--pin-file", new_pin)
    assert r.exit_code == 0 and "New PIN set for 김직원" in r.text
    r = run("users", "reset-pin", "nobody", "--pin-file", new_pin)
    assert r.exit_code == EXIT_NOT_FOUND
    bad.write_text("1")
    assert run("users", "reset-pin", "김직원", "--pin-file", bad).exit_code == EXIT_INVALID
    sp = SavePets(Settings(), engine=_standin())
    try:
        assert sp.sign_in("김직원", "8642").name == "김직원"
    finally:
        sp.close()


def _standin():
    from core.recognition.standin import StandInEngine

    return StandInEngine()
