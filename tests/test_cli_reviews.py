"""`savepets reviews list` and `savepets reviews resolve` as a user runs them (stand-in engine): messages and exit
codes."""

from __future__ import annotations

import json

from kiosk.cli import EXIT_INVALID, EXIT_NOT_FOUND
from tests.test_cli import run, write_look_alikes, write_photos  # noqa: F401 - run is a fixture


def register_pair(run, folder, dog, other, phones):  # noqa: F811
    """A dog and then a look-alike of it (flagged for review). Returns both registration numbers."""
    r = run("register", "--name", "초코", "--phone", phones[0], "--owner", "김철수", *write_photos(folder / "a", dog))
    assert r.exit_code == 0, r.output
    r = run("register", "--name", "초코2", "--phone", phones[1], "--owner", "이영희",
            *write_look_alikes(folder / "b", dog, other), "--json")
    assert r.exit_code == 0, r.output
    newer = json.loads(r.output)
    assert newer["possible_duplicates"], "the look-alike must be flagged"
    return newer["possible_duplicates"][0]["dog"]["registration_number"], newer["dog"]["registration_number"]


def test_list_then_different_dogs(run, tmp_path):  # noqa: F811
    assert "No reviews open" in run("reviews", "list").text
    older, newer = register_pair(run, tmp_path, 1, 2, ("010-1234-5678", "010-9876-5432"))
    r = run("reviews", "list")
    assert r.exit_code == 0, r.output
    assert older in r.text and newer in r.text and "010-9876-5432" in r.text and "1 open" in r.text
    page = json.loads(run("reviews", "list", "--json").output)
    assert page["count"] == 1 and page["reviews"][0]["older"]["registration_number"] == older
    review = page["reviews"][0]["id"]

    r = run("reviews", "resolve", review[:8], "--different")
    assert r.exit_code == 0, r.output
    assert "Different dogs" in r.text and older in r.text and newer in r.text
    assert "No reviews open" in run("reviews", "list").text
    r = run("reviews", "resolve", review, "--same-dog")
    assert r.exit_code == EXIT_INVALID and "already resolved" in r.text
    assert newer in run("dogs", "show", newer).text


def test_same_dog_names_the_owners_to_tell(run, tmp_path):  # noqa: F811
    older, newer = register_pair(run, tmp_path, 1, 2, ("010-1234-5678", "010-9876-5432"))
    review = json.loads(run("reviews", "list", "--json").output)["reviews"][0]["id"]
    r = run("reviews", "resolve", review, "--same-dog")
    assert r.exit_code == 0, r.output
    assert f"Merged: {newer} (초코2) into {older} (초코)" in r.text and "5 photos added" in r.text
    assert "Tell the owners: 김철수 010-1234-5678 이영희 010-9876-5432" in r.text
    assert run("dogs", "show", newer).exit_code == EXIT_NOT_FOUND
    shown = json.loads(run("dogs", "show", older, "--json").output)
    assert len(shown["photos"]) == 10 and newer in shown["notes"]


def test_bad_input_exits_2_with_a_message(run, tmp_path):  # noqa: F811
    register_pair(run, tmp_path, 1, 2, ("010-1234-5678", "010-9876-5432"))
    review = json.loads(run("reviews", "list", "--json").output)["reviews"][0]["id"]
    r = run("reviews", "resolve", review)
    assert r.exit_code == EXIT_INVALID and "--same-dog" in r.text and "--different" in r.text
    r = run("reviews", "resolve", review[:3], "--different")
    assert r.exit_code == EXIT_INVALID and "at least 6 characters" in r.text
    r = run("reviews", "resolve", "zzzzzzzz", "--different")
    assert r.exit_code == EXIT_NOT_FOUND and "No open review" in r.text
    r = run("reviews", "resolve", "0" * 36, "--same-dog")
    assert r.exit_code == EXIT_NOT_FOUND and "No review with id" in r.text
    assert run("reviews", "resolve").exit_code == EXIT_INVALID  # typer: the review is missing
    assert json.loads(run("reviews", "list", "--json").output)["count"] == 1  # nothing changed
