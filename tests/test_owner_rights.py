"""Owners' rights: export of everything held about an owner (JSON) and erasure on request, through the use cases
(SQLite and MariaDB) and the command line. Sync and the REST API: tests/test_owner_rights_sync.py."""

from __future__ import annotations

import json
import stat

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from core.errors import AlreadyRegistered, InvalidPhone, NotFound, PermissionDenied
from core.recognition.base import Decision
from core.registry.models import Dog, DogStatus, NosePhoto, NoseTemplate, Owner
from core.schemas import DogIn, OwnerIn
from kiosk.cli import EXIT_INVALID, EXIT_NOT_FOUND, app
from tests.imaging import dog_photo_bytes, dog_photos

PHONE = "010-3141-5926"
OWNER = "박지성"


def family(sp, phone=PHONE):
    """One owner, three dogs: at home, found (in the shelter's care), removed earlier."""
    home = sp.register(OwnerIn(phone=phone, name=OWNER), DogIn(name="초코", notes=f"{OWNER} 씨 이웃"),
                       dog_photos(11)).dog
    found = sp.register(OwnerIn(phone=phone), DogIn(name="보리"), dog_photos(12)).dog
    sp.set_status(found.id, DogStatus.FOUND)
    gone = sp.register(OwnerIn(phone=phone), DogIn(name="콩"), dog_photos(13)).dog
    sp.delete_dog(gone.id)
    return home, found, gone


def rows(sp, model, dog_id):
    with sp.db.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(model.dog_id == dog_id))


def test_export_holds_everything_about_the_owner(standin_service):
    sp = standin_service
    home, found, gone = family(sp)
    other = sp.register(OwnerIn(phone="010-2718-2818", name="남"), DogIn(name="남의개"), dog_photos(14)).dog
    data = json.loads(sp.export_owner("01031415926").model_dump_json())
    assert data["owner"]["name"] == OWNER and data["owner"]["phone"] == "+821031415926"
    assert [d["registration_number"] for d in data["dogs"]] == [home.registration_number, found.registration_number,
                                                               gone.registration_number]
    assert other.registration_number not in json.dumps(data)
    by_name = {d["name"]: d for d in data["dogs"]}
    assert by_name["초코"]["notes"] == f"{OWNER} 씨 이웃" and by_name["보리"]["status"] == "found"
    assert by_name["콩"]["removed_at"] is not None and by_name["초코"]["removed_at"] is None
    assert [p["sha256"] for p in by_name["초코"]["photos"]] == [p.sha256 for p in home.photos]
    with pytest.raises(NotFound):
        sp.export_owner("010-9999-0000")
    with pytest.raises(InvalidPhone):
        sp.export_owner("not a phone")


def test_erasure_removes_the_owner_and_their_dogs_but_keeps_a_dog_in_care(standin_service):
    sp = standin_service
    home, found, gone = family(sp)
    before = {p.sha256 for p in home.photos}
    assert all(sp.store.exists(sha) for sha in before)
    assert sp.erase_owner(PHONE, dry_run=True).removed == [home.registration_number, gone.registration_number]
    assert sp.find_owner(PHONE) is not None  # the dry run changed nothing

    result = sp.erase_owner(PHONE)
    assert result.kept == [found.registration_number]
    assert result.removed == [home.registration_number, gone.registration_number] and result.photos_removed == 10
    # the owner: a tombstone without name, phone or phone hash
    assert sp.find_owner(PHONE) is None and sp.list_dogs(phone=PHONE) == []
    with sp.db.sessions() as s:
        owner = s.get(Owner, home.owner.id)
        assert (owner.name, owner.phone, owner.phone_hash, owner.deleted_at is not None) == ("", "", None, True)
    # the dogs at home and removed earlier: gone with photos (rows and files), templates and notes
    for dog in (home, gone):
        assert rows(sp, NosePhoto, dog.id) == 0 and rows(sp, NoseTemplate, dog.id) == 0
        with pytest.raises(NotFound):
            sp.get_dog(dog.id)
        with sp.db.sessions() as s:
            assert s.get(Dog, dog.id).notes == ""
    assert not any(sp.store.exists(sha) for sha in before)
    assert sp.lookup(dog_photos(11, n=1, first_shot=7)[0]).decision == Decision.NO_MATCH
    # the dog in the shelter's care: still registered and identified by its nose, with no owner
    kept = sp.get_dog(found.id)
    assert (kept.owner.name, kept.owner.phone, kept.status) == ("", "", "found")
    assert rows(sp, NoseTemplate, found.id) == 5
    assert sp.lookup(dog_photos(12, n=1, first_shot=7)[0]).match.dog.id == found.id
    assert kept.masked().owner.phone == ""  # what a mobile key or a refused registration is shown
    with pytest.raises(AlreadyRegistered) as refused:
        sp.register(OwnerIn(phone="010-5555-1212"), DogIn(name="보리"), dog_photos(12, first_shot=10))
    shown = refused.value.details["match"]["dog"]["owner"]
    assert {k: shown[k] for k in ("id", "phone", "name")} == {"id": found.owner.id, "phone": "", "name": ""}
    # once erased, nothing to find; the person may register again as a new owner
    with pytest.raises(NotFound):
        sp.erase_owner(PHONE)
    again = sp.register(OwnerIn(phone=PHONE, name=OWNER), DogIn(name="초코2"), dog_photos(15))
    assert not again.owner_existed and again.dog.owner.id != home.owner.id


def test_only_administrators_may_export_or_erase(standin_service):
    sp = standin_service
    family(sp)
    sp.create_first_admin("관리자", "1357")
    sp.add_staff("직원", "2468", "staff")
    sp.sign_in("직원", "2468")
    for call in (lambda: sp.export_owner(PHONE), lambda: sp.erase_owner(PHONE)):
        with pytest.raises(PermissionDenied):
            call()
    assert sp.find_owner(PHONE) is not None
    sp.sign_in("관리자", "1357")
    assert sp.export_owner(PHONE).owner.name == OWNER
    sp.erase_owner(PHONE)
    sp.signed_in = None
    assert sp.find_owner(PHONE) is None


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("SAVEPETS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SAVEPETS_ENGINE", "standin")
    runner = CliRunner()

    def invoke(*args, input=None):
        r = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
        r.text = " ".join(r.output.split())
        return r

    return invoke


def register_cli(run, tmp_path, dog, phone=PHONE, owner=OWNER):
    photos = []
    for s in range(5):
        p = tmp_path / "in" / f"d{dog}-{s}.jpg"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(dog_photo_bytes(dog, s))
        photos.append(p)
    r = run("register", "--name", "초코", "--phone", phone, "--owner", owner, *photos)
    assert r.exit_code == 0, r.output


def test_cli_export_and_erase(run, tmp_path):
    register_cli(run, tmp_path, 21)
    r = run("owners", "export", "01031415926")
    assert r.exit_code == 0 and json.loads(r.output)["owner"]["name"] == OWNER
    r = run("owners", "export", PHONE, "--out", tmp_path / "out" / "owner.json")
    assert r.exit_code == 0 and "(1 dog)" in r.text
    assert json.loads((tmp_path / "out" / "owner.json").read_text())["owner"]["phone"] == "+821031415926"
    assert stat.S_IMODE((tmp_path / "out" / "owner.json").stat().st_mode) == 0o600
    assert run("owners", "export", "010-9999-0000").exit_code == EXIT_NOT_FOUND
    r = run("owners", "export", "12")
    assert r.exit_code == EXIT_INVALID and "phone" in r.text.lower()

    # erase asks first: no terminal to ask on, or 'no', erases nothing
    r = run("owners", "erase", PHONE)
    assert r.exit_code == EXIT_INVALID and "--yes" in r.text and "removes 1 dog with 5 photos" in r.text
    r = run("owners", "erase", PHONE, input="n\n")
    assert r.exit_code == 1 and "Nothing erased" in r.text
    assert run("owners", "export", PHONE).exit_code == 0
    r = run("owners", "erase", PHONE, input="y\n")
    assert r.exit_code == 0 and "Erased the owner" in r.text and "Removed 1 dog and 5 photos" in r.text
    assert run("owners", "export", PHONE).exit_code == EXIT_NOT_FOUND
    assert run("owners", "erase", PHONE, "--yes").exit_code == EXIT_NOT_FOUND
    register_cli(run, tmp_path, 22, phone="010-2222-3333", owner="최")
    r = run("owners", "erase", "010-2222-3333", "--yes")
    assert r.exit_code == 0
    r = run("dogs", "list")
    assert r.exit_code == 0 and "최" not in r.text and OWNER not in r.text
