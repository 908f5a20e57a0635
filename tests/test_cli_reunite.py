"""`savepets lost|found|reunions` as a user runs them (stand-in engine, synthetic photos, SQLite): a lost report, a
found dog matched to it, the reunion compared and confirmed; and every bad input, with its message and exit code."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.cli import EXIT_INVALID, EXIT_NOT_FOUND
from tests.test_cli import run, write_photos  # noqa: F401 - run is a fixture

PHONE = "010-1234-5678"


def register(run, folder, dog=1, name="초코", phone=PHONE):  # noqa: F811
    r = run("register", "--name", name, "--phone", phone, "--owner", "김철수", *write_photos(folder, dog), "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)["dog"]


def report(run, key, *extra):  # noqa: F811
    r = run("lost", "report", key, "--place", "서울 마포구 망원한강공원", *extra, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def found(run, photos, *extra):  # noqa: F811
    r = run("found", "open", *photos, "--place", "서울 마포구 합정역 2번 출구", *extra, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


@pytest.fixture
def local_seoul(monkeypatch):
    """This machine's local time is Korea's (UTC+9) for the test."""
    monkeypatch.setenv("TZ", "Asia/Seoul")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_lost_found_confirm_reunited(run, tmp_path):  # noqa: F811
    dog = register(run, tmp_path / "reg")
    number = dog["registration_number"]
    assert "No open lost reports" in run("lost", "list").text

    r = run("lost", "report", number.replace("ㅊㅋ", ""), "--place", "서울 마포구 망원한강공원", "--at", "2 hours ago",
            "--notes", "빨간 목줄")
    assert r.exit_code == 0, r.output
    assert f"Reported lost: 초코 ({number})" in r.text and "No open found case matches this dog yet" in r.text
    assert "lost" in run("dogs", "show", number).text
    r = run("lost", "list")
    assert r.exit_code == 0 and number in r.text and "초코" in r.text and "open" in r.text and "1 report" in r.text
    (lost,) = json.loads(run("lost", "list", "--json").output)
    assert lost["state"] == "open" and lost["place"] == "서울 마포구 망원한강공원"
    assert datetime.now(UTC) - datetime.fromisoformat(lost["lost_at"]) - timedelta(hours=2) < timedelta(minutes=1)

    # the same dog's other photos, taken in as a stray
    photos = write_photos(tmp_path / "found", 1, n=2, first=5)
    r = run("found", "open", *photos, "--place", "서울 마포구 합정역 2번 출구")
    assert r.exit_code == 0, r.output
    assert "Found case" in r.text and "opened (2 photos; held until" in r.text and "10 days left" in r.text
    assert number in r.text and "lost report" in r.text and "010-****-5678" in r.text and PHONE not in r.text
    case = json.loads(run("found", "list", "--json").output)[0]
    assert case["state"] == "open" and len(case["photos"]) == 2 and case["days_left"] == 10
    assert case["reunions"][0]["dog"]["owner"]["phone"] == "010-****-5678"  # masked in --json too
    assert PHONE not in run("found", "show", case["id"][:8], "--json").output

    r = run("reunions", "list")
    assert r.exit_code == 0 and number in r.text and case["id"][:8] in r.text and "1 reunion" in r.text
    (reunion,) = json.loads(run("reunions", "list", "--json").output)
    assert reunion["state"] == "possible" and reunion["source"] == "lost" and reunion["lost_report_id"] == lost["id"]
    assert reunion["dog"]["owner"] == {**reunion["dog"]["owner"], "name": "김**", "phone": "010-****-5678"}

    r = run("reunions", "show", reunion["id"][:8])
    assert r.exit_code == 0, r.output
    assert "The found dog's photos" in r.output and "초코's registered photos" in r.output
    paths = [line.strip() for line in r.output.splitlines() if line.startswith("  /")]
    assert len(paths) == 7 and all((tmp_path / "data").as_posix() in p for p in paths)
    assert "김** 010-****-5678" in r.text and PHONE not in r.text and "lost report" in r.text.lower()
    assert f"savepets reunions confirm {reunion['id'][:8]}" in r.text

    r = run("reunions", "confirm", reunion["id"][:8])
    assert r.exit_code == 0, r.output
    assert f"Reunited: the found dog of case {case['id'][:8]} is 초코 ({number})" in r.text
    assert f"lost report {lost['id'][:8]} ended (home)" in r.text
    assert "The owner's message is queued: sms to the owner's registered phone" in r.text
    assert f"savepets dogs status {number} home" in r.text

    assert "No open lost reports" in run("lost", "list").text
    r = run("lost", "list", "--state", "home")
    assert number in r.text and "home" in r.text
    assert "No open found cases" in run("found", "list").text
    r = run("found", "list", "--state", "reunited")
    assert case["id"][:8] in r.text and "reunited" in r.text and number in r.text
    assert json.loads(run("found", "show", case["id"][:8], "--json").output)["dog_id"] == dog["id"]
    assert "No possible reunions" in run("reunions", "list").text
    assert json.loads(run("reunions", "list", "--state", "confirmed", "--json").output)[0]["id"] == reunion["id"]
    assert "found" in run("dogs", "show", number).text

    r = run("reunions", "confirm", reunion["id"])
    assert r.exit_code == EXIT_INVALID and "confirmed already" in r.text
    r = run("lost", "withdraw", lost["id"][:8])
    assert r.exit_code == EXIT_INVALID and "home already" in r.text


def test_withdraw_then_withdraw_again(run, tmp_path):  # noqa: F811
    dog = register(run, tmp_path / "reg")
    lost = report(run, dog["id"], "--email", "owner@example.com", "--language", "en", "--notify-possible")
    assert lost["channel"] == "email" and lost["contact"] == "o***@example.com" and lost["language"] == "en"
    r = run("lost", "report", dog["registration_number"], "--place", "다시")
    assert r.exit_code == EXIT_INVALID and "reported lost already" in r.text

    r = run("lost", "withdraw", lost["id"][:8])
    assert r.exit_code == 0, r.output
    assert f"Lost report {lost['id'][:8]} withdrawn" in r.text and "is now home" in r.text
    r = run("lost", "withdraw", lost["id"][:8])
    assert r.exit_code == EXIT_INVALID and "withdrawn already" in r.text
    assert "withdrawn" in run("lost", "list", "--state", "all").text
    r = run("lost", "home", lost["id"])
    assert r.exit_code == EXIT_INVALID and "withdrawn already" in r.text

    again = report(run, dog["registration_number"])  # a new report once the last has ended
    r = run("lost", "home", again["id"][:6])
    assert r.exit_code == 0 and "ended: the dog is home" in r.text


def test_a_stray_taken_in_before_the_lost_report(run, tmp_path):  # noqa: F811
    dog = register(run, tmp_path / "reg")
    case = found(run, write_photos(tmp_path / "found", 1, n=2, first=5))
    (reunion,) = case["reunions"]
    assert reunion["source"] == "registry" and reunion["lost_report_id"] is None
    r = run("lost", "report", dog["registration_number"], "--place", "망원한강공원", "--email", "minji@example.com",
            "--language", "en")
    assert r.exit_code == 0, r.output
    assert "Found dogs that may be this one" in r.text and f"case {case['id'][:8]}" in r.text
    assert "by email to m***@example.com, in English" in r.text
    lost = json.loads(run("lost", "list", "--json").output)[0]
    r = run("reunions", "confirm", reunion["id"][:8])
    assert r.exit_code == 0, r.output
    assert f"lost report {lost['id'][:8]} ended (home)" in r.text
    assert "The owner's message is queued: email to m***@example.com" in r.text
    assert json.loads(run("lost", "list", "--state", "home", "--json").output)[0]["id"] == lost["id"]


def test_reject_keeps_the_case_open_then_close(run, tmp_path):  # noqa: F811
    dog = register(run, tmp_path / "reg")
    case = found(run, write_photos(tmp_path / "found", 1, n=1, first=6))
    (reunion,) = case["reunions"]
    assert reunion["source"] == "registry" and reunion["dog"]["id"] == dog["id"]
    r = run("reunions", "reject", reunion["id"][:8])
    assert r.exit_code == 0 and "Rejected" in r.text and "stays open" in r.text
    assert json.loads(run("found", "show", case["id"], "--json").output)["state"] == "open"
    assert "rejected" in run("reunions", "list", "--state", "all").text

    r = run("found", "close", case["id"][:8])
    assert r.exit_code == 0 and f"Found case {case['id'][:8]} closed" in r.text
    r = run("found", "close", case["id"][:8])
    assert r.exit_code == EXIT_INVALID and "closed already" in r.text
    assert case["id"][:8] in run("found", "list", "--state", "closed").text


def test_a_stray_nobody_registered(run, tmp_path):  # noqa: F811
    register(run, tmp_path / "reg", dog=1)
    r = run("found", "open", *write_photos(tmp_path / "stray", 2, n=3), "--place", "부산역", "--lat", "35.115",
            "--lon", "129.041", "--notes", "갈색 목줄")
    assert r.exit_code == 0, r.output
    assert "No registered dog matches these photos yet" in r.text and "(35.11500, 129.04100)" in r.text
    case = json.loads(run("found", "list", "--json").output)[0]
    assert case["reunions"] == [] and case["lat"] == 35.115
    r = run("found", "show", case["id"][:8])
    assert r.exit_code == 0 and "No registered dog matches this case yet" in r.text and "갈색 목줄" in r.text


def test_times_without_a_zone_are_local(run, tmp_path, local_seoul):  # noqa: F811
    dog = register(run, tmp_path / "reg")
    seoul = datetime.now(UTC).astimezone() - timedelta(days=1)
    typed = seoul.strftime("%Y-%m-%dT%H:%M")
    lost = report(run, dog["id"], "--at", typed)
    assert datetime.fromisoformat(lost["lost_at"]) == seoul.replace(second=0, microsecond=0)
    shown = run("lost", "list").output  # in local time too (the date above the time)
    assert seoul.strftime("%Y-%m-%d") in shown and seoul.strftime("%H:%M") in shown
    case = found(run, write_photos(tmp_path / "f", 3, n=1), "--at", "2026-01-02T03:04:00+00:00")
    assert datetime.fromisoformat(case["found_at"]) == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    shown = run("found", "list").output
    assert "2026-01-02" in shown and "12:04" in shown


@pytest.mark.parametrize("args, code, message", [
    (["26010101015678"], EXIT_NOT_FOUND, "No registered dog's number has the digits 26010101015678"),
    (["초코"], EXIT_NOT_FOUND, "No dog with id or registration number '초코': find its number with savepets dogs list"),
    (["DOG", "--at", "yesterday-ish"], EXIT_INVALID, "--at 'yesterday-ish' is not a time: give ISO 8601"),
    (["DOG", "--at", "2026-13-40"], EXIT_INVALID, "is not a time"),
    (["DOG", "--at", "2099-01-01T09:00"], EXIT_INVALID, "--at 2099-01-01 09:00 is in the future"),
    (["DOG", "--at", "2020-01-01"], EXIT_INVALID, "--at is more than 3 years ago"),
    (["DOG", "--place", " "], EXIT_INVALID, "--place is empty"),
    (["DOG", "--place", "x" * 201], EXIT_INVALID, "--place is too long (at most 200 characters)"),
    (["DOG", "--place", "망원\x07"], EXIT_INVALID, "--place contains control characters"),
    (["DOG", "--lat", "37.55"], EXIT_INVALID, "--lat needs --lon: give both coordinates, or neither"),
    (["DOG", "--lon", "126.9"], EXIT_INVALID, "--lon needs --lat"),
    (["DOG", "--lat", "137.5", "--lon", "126.9"], EXIT_INVALID, "--lat must be between -90 and 90; got 137.5"),
    (["DOG", "--lat", "north", "--lon", "126.9"], EXIT_INVALID, "Invalid value for '--lat'"),
    (["DOG", "--email", "owner-at-example"], EXIT_INVALID, "--email 'owner-at-example' is not an e-mail address"),
    (["DOG", "--phone", "123"], EXIT_INVALID, "--phone: Not a valid phone number"),
    (["DOG", "--channel", "email"], EXIT_INVALID, "--channel email needs --email"),
    (["DOG", "--channel", "fax"], EXIT_INVALID, "--channel must be sms or email; got 'fax'"),
    (["DOG", "--language", "fr"], EXIT_INVALID, "--language must be ko or en; got 'fr'"),
])
def test_lost_report_bad_input(run, tmp_path, args, code, message):  # noqa: F811
    dog = register(run, tmp_path / "reg")
    args = [dog["registration_number"] if a == "DOG" else a for a in args]
    if "--place" not in args:
        args += ["--place", "망원한강공원"]
    r = run("lost", "report", *args)
    assert r.exit_code == code, r.output
    assert message in r.text and "Traceback" not in r.output
    if r.output.startswith("Error:"):
        assert r.output.count("Error:") == 1
    assert "No lost reports" in run("lost", "list", "--state", "all").text


@pytest.mark.parametrize("case, message", [
    ("text", "dog1-0.jpg: not an image (JPEG or PNG expected)"),
    ("tiny", "dog1-0.jpg: not an image (JPEG or PNG expected)"),
    ("missing", "nope.jpg: no such file"),
    ("six", "A found dog takes 1 to 5 nose photos; got 6"),
    ("half-place", "--lon needs --lat"),
    ("time", "--at 'last tuesday' is not a time"),
])
def test_found_open_bad_input(run, tmp_path, case, message):  # noqa: F811
    photos = write_photos(tmp_path / "f", 1, n=2)
    extra = []
    if case == "text":
        photos[0].write_text("hello, not a photo")
    elif case == "tiny":
        photos[0].write_bytes(b"hi\n")
    elif case == "missing":
        photos[1] = tmp_path / "nope.jpg"
    elif case == "six":
        photos = write_photos(tmp_path / "f", 1, n=6)
    elif case == "half-place":
        extra = ["--lon", "126.9"]
    else:
        extra = ["--at", "last tuesday"]
    r = run("found", "open", *photos, "--place", "합정역", *extra)
    assert r.exit_code == EXIT_INVALID, r.output
    assert message in r.text and "Traceback" not in r.output
    assert "No found cases" in run("found", "list", "--state", "all").text


def test_states_and_ids(run, tmp_path):  # noqa: F811
    from core.registry.models import LostReport, LostState
    from kiosk.cli.common import _database

    for cmd, states in (("lost", "open, withdrawn, home or all"), ("found", "open, reunited, closed or all"),
                        ("reunions", "possible, confirmed, rejected or all")):
        r = run(cmd, "list", "--state", "lots")
        assert r.exit_code == EXIT_INVALID and f"--state must be {states}; got 'lots'" in r.text

    dog = register(run, tmp_path / "reg")
    db = _database(None, tmp_path / "data")
    with db.session() as s:  # two ended reports whose ids start alike
        for n in (1, 2):
            s.add(LostReport(id=f"abcdef0{n}-0000-4000-8000-00000000000{n}", dog_id=dog["id"], place="망원",
                             lost_at=datetime.now(UTC), state=LostState.WITHDRAWN))
    db.dispose()
    assert "abcdef01" in run("lost", "list", "--state", "withdrawn").text
    r = run("lost", "home", "abcdef")
    assert r.exit_code == EXIT_INVALID and "'abcdef' starts the ids of 2 lost reports: give more characters" in r.text
    r = run("lost", "home", "abcdef02")
    assert r.exit_code == EXIT_INVALID and "withdrawn already" in r.text

    for cmd, what in (("lost withdraw", "lost report"), ("found show", "found case"), ("found close", "found case"),
                      ("reunions show", "reunion"), ("reunions confirm", "reunion"), ("reunions reject", "reunion")):
        r = run(*cmd.split(), "0123abcd")
        assert r.exit_code == EXIT_NOT_FOUND and f"No {what} whose id starts with '0123abcd'" in r.text, r.output
        r = run(*cmd.split(), "01a")
        assert r.exit_code == EXIT_INVALID and f"at least 6 characters of the {what}'s id" in r.text
        r = run(*cmd.split(), "초코")
        assert r.exit_code == EXIT_NOT_FOUND and f"No {what} '초코'" in r.text
