"""The `savepets` command as a user runs it: messages and exit codes, on the stand-in engine."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from core.recognition.base import Decision
from kiosk.cli import EXIT_DUPLICATE, EXIT_INVALID, EXIT_NOT_FOUND, app
from tests.imaging import dog_photo_bytes, look_alike_photo_bytes


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("SAVEPETS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SAVEPETS_ENGINE", "standin")
    runner = CliRunner()

    def invoke(*args):
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        result.text = " ".join(result.output.split())  # rich wraps long lines
        return result

    return invoke


def write_photos(folder, dog, n=5, first=0):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in range(first, first + n):
        p = folder / f"dog{dog}-{s}.jpg"
        p.write_bytes(dog_photo_bytes(dog, s))
        paths.append(p)
    return paths


def test_help_and_version(run):
    r = run("--help")
    assert r.exit_code == 0
    for cmd in ("register", "lookup", "dogs", "db"):
        assert cmd in r.text
    assert run("--version").output.startswith("savepets ")


def test_register_lookup_and_refuse_again(run, tmp_path):
    photos = write_photos(tmp_path / "in", dog=1)
    r = run("register", "--name", "초코", "--phone", "010-1234-5678", "--owner", "김철수", *photos)
    assert r.exit_code == 0, r.output
    assert "Registered" in r.text and "ㅊㅋ5678" in r.text

    probe = write_photos(tmp_path / "probe", dog=1, n=1, first=8)[0]
    r = run("lookup", probe, "--json")
    assert r.exit_code == 0
    assert json.loads(r.output)["match"]["dog"]["name"] == "초코"

    r = run("register", "--name", "초코", "--phone", "01099998888", *write_photos(tmp_path / "again", 1, first=10))
    assert r.exit_code == EXIT_DUPLICATE and "already registered" in r.text

    stranger = write_photos(tmp_path / "stranger", dog=2, n=1)[0]
    r = run("lookup", stranger)
    assert r.exit_code == EXIT_NOT_FOUND and "Not registered" in r.text

    r = run("dogs", "list", "--phone", "+82 10 1234 5678")
    assert r.exit_code == 0 and "초코" in r.text
    number = json.loads(run("dogs", "list", "--json").output)[0]["registration_number"]
    assert run("dogs", "status", number, "lost").exit_code == 0
    assert "lost" in run("dogs", "show", number).text
    assert run("dogs", "delete", number, "--yes").exit_code == 0
    assert run("dogs", "show", number).exit_code == EXIT_NOT_FOUND


@pytest.mark.parametrize("case, message", [
    ("missing", "no such file"),
    ("text", "not an image"),
    ("truncated", "damaged or truncated"),
])
def test_bad_photo_files(run, tmp_path, case, message):
    photos = write_photos(tmp_path / "in", dog=1)
    if case == "missing":
        photos[2] = tmp_path / "nope.jpg"
    elif case == "text":
        photos[2].write_text("hello")
    else:
        photos[2].write_bytes(photos[2].read_bytes()[:2000])
    r = run("register", "--name", "초코", "--phone", "010-1234-5678", *photos)
    assert r.exit_code == EXIT_INVALID and message in r.text
    assert "No dogs" in run("dogs", "list").text


@pytest.mark.parametrize("args, message", [
    (["--phone", "12345"], "phone"),
    (["--phone", "010-1234-5678", "--sex", "cat"], "sex"),
    (["--phone", "010-1234-5678", "--birth-date", "yesterday"], "birth_date"),
])
def test_bad_fields(run, tmp_path, args, message):
    photos = write_photos(tmp_path / "in", dog=1)
    r = run("register", "--name", "초코", *args, *photos)
    assert r.exit_code == EXIT_INVALID and message in r.text.lower()


def test_wrong_number_of_photos(run, tmp_path):
    r = run("register", "--name", "초코", "--phone", "010-1234-5678", *write_photos(tmp_path / "in", 1, n=3))
    assert r.exit_code == EXIT_INVALID and "exactly 5" in r.text


def write_look_alikes(folder, dog, other, n=5):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in range(n):
        p = folder / f"like{dog}-{s}.jpg"
        p.write_bytes(look_alike_photo_bytes(dog, other, s))
        paths.append(p)
    return paths


def test_lookup_with_several_photos_and_candidates_to_compare(run, tmp_path):
    photos = write_photos(tmp_path / "in", dog=1)
    assert run("register", "--name", "초코", "--phone", "010-1234-5678", *photos).exit_code == 0
    number = json.loads(run("dogs", "list", "--json").output)[0]["registration_number"]

    r = run("lookup", *write_photos(tmp_path / "probe", dog=1, n=2, first=8))
    assert r.exit_code == 0, r.output
    assert "Found" in r.text and "Why: one registered dog stands clearly apart" in r.text
    assert "2 photos compared with 1 registered dog" in r.text  # plural forms, "1 dog" not "1 dogs"
    assert number in r.text and "Candidates" not in r.text  # a sure match: the dog, no comparison
    found = json.loads(run("lookup", *write_photos(tmp_path / "probe3", dog=1, n=3, first=10), "--json").output)
    assert found["decision"] == Decision.MATCH and found["photos_used"] == 3 and found["reason"] == "sure_match"

    # a look-alike: not sure, so the candidates are listed for a person, phones masked; exit 0 (a possible match)
    r = run("lookup", *write_look_alikes(tmp_path / "like", dog=1, other=2, n=2))
    assert r.exit_code == 0, r.output
    assert "Possible match" in r.text and "not enough to be sure" in r.text
    assert "Candidates to compare" in r.text and number in r.text and "초코" in r.text and "possible" in r.text
    assert "010-****-5678" in r.text and "010-1234-5678" not in r.text

    r = run("register", "--name", "보리", "--phone", "010-5555-6666", *write_look_alikes(tmp_path / "new", 1, 3))
    assert r.exit_code == 0, r.output
    assert f"possible duplicate of 초코 ({number}" in r.text and "a person reviews it" in r.text

    r = run("lookup", write_photos(tmp_path / "stranger", dog=4, n=1)[0])
    assert r.exit_code == EXIT_NOT_FOUND and "Not registered" in r.text
    assert "no registered dog is alike enough" in r.text


@pytest.mark.parametrize("count", [0, 6])
def test_lookup_needs_one_to_five_photos(run, tmp_path, count):
    r = run("lookup", *write_photos(tmp_path / "in", dog=1, n=count))
    assert r.exit_code == EXIT_INVALID
    assert ("Missing argument" in r.text) if count == 0 else ("1 to 5 photos of one dog; got 6" in r.text)


def test_lookup_with_an_unreadable_photo(run, tmp_path):
    photos = write_photos(tmp_path / "in", dog=1, n=2)
    photos[1].write_text("hello")
    r = run("lookup", photos[0], photos[1])
    assert r.exit_code == EXIT_INVALID and "dog1-1.jpg: not an image" in r.text
    r = run("lookup", photos[0], tmp_path / "nope.jpg")
    assert r.exit_code == EXIT_INVALID and "nope.jpg: no such file" in r.text


def test_db_upgrade_is_idempotent(run):
    for _ in range(2):
        r = run("db", "upgrade")
        assert r.exit_code == 0 and "revision" in r.text
