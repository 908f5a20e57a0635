"""Staff accounts, PIN sign-in with its lockout, and what a member of each role may see and do, through the core use
cases on SQLite and on the real MariaDB (core/staff.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.actors import Actor, acting_as, cli_actor
from core.audit import trail
from core.errors import AccountLocked, Conflict, InvalidInput, NotFound, PermissionDenied, SignInFailed
from core.registry.models import Meta
from core.schemas import DogIn, DogUpdate, OwnerIn
from core.staff import LOCK_SECONDS, LOCK_STEPS, MAX_TRIES, StaffPermissions
from tests.imaging import dog_photos


class Clock:
    """A clock the test moves by hand (the lockout is a minute; no test sleeps through it)."""

    def __init__(self):
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def with_team(sp):
    """An administrator and a staff member, made from the command line (no one signed in)."""
    sp.add_staff("관리자", "2468", "admin")
    sp.add_staff("김직원", "1357", "staff")


def register(sp, dog=1, phone="010-1234-5678", owner="김철수", name="초코"):
    return sp.register(OwnerIn(phone=phone, name=owner), DogIn(name=name), dog_photos(dog)).dog


def test_first_account_is_an_administrator_and_pins_are_checked(standin_service):
    sp = standin_service
    assert not sp.has_staff()
    with pytest.raises(InvalidInput, match="first staff account must be an administrator"):
        sp.add_staff("김직원", "1357", "staff")
    for pin in ("123", "123456789", "12a4", "", "１２３４", " 1234"):
        with pytest.raises(InvalidInput, match="PIN is 4 to 8 digits"):
            sp.add_staff("관리자", pin, "admin")
    with pytest.raises(InvalidInput, match="role is one of"):
        sp.add_staff("관리자", "2468", "owner")
    with pytest.raises(InvalidInput, match="name is 1 to"):
        sp.add_staff("   ", "2468", "admin")
    assert not sp.has_staff()  # nothing refused was kept

    sp.add_staff("관리자", "2468", "admin")
    sp.add_staff("Minji Kim", "13579", "staff")
    with pytest.raises(Conflict, match="exists already"):
        sp.add_staff("minji kim", "1111", "staff")  # names are unique whatever the case
    with pytest.raises(Conflict, match="first administrator exists already"):
        sp.create_first_admin("둘째", "9999")
    listed = {m.name: m for m in sp.list_staff()}
    assert set(listed) == {"관리자", "Minji Kim"}
    assert listed["관리자"].role == "admin" and listed["Minji Kim"].role == "staff"
    assert not listed["Minji Kim"].disabled
    # the PIN is stored as an argon2 hash, never as itself
    from core.registry.models import StaffMember

    with sp.db.sessions() as s:
        hashes = list(s.scalars(select(StaffMember.pin_hash)))
    assert all(h.startswith("$argon2id$") and "2468" not in h and "13579" not in h for h in hashes)


def test_sign_in_wrong_pins_lock_the_account_for_a_minute(standin_service):
    sp = standin_service
    clock = Clock()
    sp.staff.clock = clock
    with_team(sp)
    member = sp.sign_in("김직원", "1357")
    assert (member.kind, member.name, member.role) == ("staff", "김직원", "staff")
    assert sp.signed_in == member
    sp.sign_out()
    assert sp.signed_in is None

    for tries_left in range(MAX_TRIES - 1, 0, -1):
        with pytest.raises(SignInFailed, match="Wrong PIN") as err:
            sp.sign_in("김직원", "0000")
        assert err.value.details["tries_left"] == tries_left and not isinstance(err.value, AccountLocked)
    with pytest.raises(AccountLocked, match="locked for 1 minute"):
        sp.sign_in("김직원", "0000")  # the fifth wrong PIN
    clock.advance(20)
    with pytest.raises(AccountLocked, match="locked for 40 more seconds") as err:
        sp.sign_in("김직원", "1357")  # even the right PIN, while locked
    assert err.value.details["seconds"] == 40
    assert sp.signed_in is None
    # another account is not locked
    assert sp.sign_in("관리자", "2468").role == "admin"
    sp.sign_out()
    clock.advance(LOCK_SECONDS - 20 + 1)
    assert sp.sign_in("김직원", "1357").name == "김직원"
    # a success starts the count again: four wrong PINs do not lock
    for _ in range(MAX_TRIES - 1):
        with pytest.raises(SignInFailed):
            sp.sign_in("김직원", "9999")
    assert sp.sign_in("김직원", "1357").name == "김직원"
    with pytest.raises(SignInFailed, match="Wrong PIN: 4 more tries"):
        sp.sign_in("김직원", "9999")

    with pytest.raises(SignInFailed, match="No staff account named 'nobody'"):
        sp.sign_in("nobody", "1234")
    with pytest.raises(InvalidInput, match="Enter your PIN"):
        sp.sign_in("김직원", "")


def test_lockouts_in_a_row_grow_and_each_is_on_the_audit_trail(standin_service):
    """The count of wrong PINs outlives a lock-out: after the first (a minute), each wrong PIN locks the account
    again, for 5, 15, then 60 minutes every time; only a successful sign-in starts the count again."""
    sp = standin_service
    clock = Clock()
    sp.staff.clock = clock
    with_team(sp)
    assert LOCK_STEPS == (60, 300, 900, 3600)
    for _ in range(MAX_TRIES - 1):
        with pytest.raises(SignInFailed, match="Wrong PIN"):
            sp.sign_in("김직원", "0000")
    waits = []
    for minutes in (1, 5, 15, 60, 60):
        with pytest.raises(AccountLocked) as err:
            sp.sign_in("김직원", "0000")  # the 5th wrong PIN, then one right after each lock-out ends
        assert err.value.details["seconds"] == minutes * 60
        assert f"locked for {minutes} minute" in err.value.message
        waits.append(minutes)
        clock.advance(minutes * 60 - 1)  # a second before the end: still locked, even for the right PIN
        with pytest.raises(AccountLocked, match="locked for 1 more second") as err:
            sp.sign_in("김직원", "1357")
        assert err.value.details["seconds"] == 1
        clock.advance(1)
    assert waits == [1, 5, 15, 60, 60]
    # each lock-out is an entry of its own, with the count and the wait
    locks = [e.detail for e in reversed(trail(sp.db, who="김직원", action="lockout"))]
    assert locks == [f"wrong_pin tries={t} minutes={m}" for t, m in zip(range(5, 10), waits, strict=True)]
    # a successful sign-in starts the count again: four wrong PINs do not lock, the fifth locks for a minute
    assert sp.sign_in("김직원", "1357").name == "김직원"
    sp.sign_out()
    for _ in range(MAX_TRIES - 1):
        with pytest.raises(SignInFailed, match="Wrong PIN"):
            sp.sign_in("김직원", "0000")
    with pytest.raises(AccountLocked) as err:
        sp.sign_in("김직원", "0000")
    assert err.value.details["seconds"] == LOCK_SECONDS
    # a new PIN from an administrator lifts the lock and the count
    sp.staff.reset_pin("김직원", "8642")
    assert sp.sign_in("김직원", "8642").name == "김직원"


def test_an_unknown_name_costs_the_same_argon2_check_as_a_wrong_pin(standin_service, monkeypatch):
    """No shortcut for a name that does not exist: its PIN is checked against a dummy argon2 hash, as a wrong PIN
    is against the account's (the calls are counted, not timed)."""
    sp = standin_service
    with_team(sp)
    hasher = sp.staff._hasher
    calls: list[str] = []
    verify = type(hasher).verify

    def counted(self, hash_, password):
        calls.append(hash_)
        return verify(self, hash_, password)

    monkeypatch.setattr(type(hasher), "verify", counted)
    with pytest.raises(SignInFailed, match="Wrong PIN"):
        sp.sign_in("김직원", "0000")
    with pytest.raises(SignInFailed, match="No staff account named 'nobody'") as err:
        sp.sign_in("nobody", "0000")
    assert err.value.details["reason"] == "unknown"
    with pytest.raises(SignInFailed, match="No staff account"):
        sp.sign_in("someone else", "1234")
    assert len(calls) == 3  # one argon2 verification each
    wrong, unknown, unknown_again = calls
    params = wrong.rsplit("$", 2)[0]  # $argon2id$v=19$m=...,t=...,p=...: the same cost
    assert unknown.startswith("$argon2id$") and unknown.rsplit("$", 2)[0] == params and unknown != wrong
    assert unknown_again == unknown


def test_the_lock_is_kept_in_the_registry(standin_service, settings):
    """A restart (a new service on the same database) does not lift a lockout."""
    from core.recognition.standin import StandInEngine
    from core.usecases import SavePets

    sp = standin_service
    clock = Clock()
    sp.staff.clock = clock
    with_team(sp)
    for _ in range(MAX_TRIES):
        with pytest.raises(SignInFailed):
            sp.sign_in("김직원", "0000")
    again = SavePets(settings, engine=StandInEngine(), database=sp.db)
    again.staff.clock = clock
    with pytest.raises(AccountLocked):
        again.sign_in("김직원", "1357")


def test_disable_reset_pin_and_the_last_administrator(standin_service):
    sp = standin_service
    clock = Clock()
    sp.staff.clock = clock
    with_team(sp)
    with pytest.raises(Conflict, match="last enabled administrator"):
        sp.disable_staff("관리자")
    assert sp.sign_in("관리자", "2468")  # still enabled
    sp.sign_out()

    assert sp.disable_staff("김직원").disabled
    with pytest.raises(SignInFailed, match="disabled"):
        sp.sign_in("김직원", "1357")
    assert sp.staff_names() == ["관리자"]
    assert not sp.enable_staff("김직원").disabled
    assert sp.sign_in("김직원", "1357")
    sp.sign_out()

    # a reset PIN replaces the old one and lifts a lock
    for _ in range(MAX_TRIES):
        with pytest.raises(SignInFailed):
            sp.sign_in("김직원", "0000")
    sp.reset_staff_pin("김직원", "8642")
    with pytest.raises(SignInFailed, match="Wrong PIN"):
        sp.sign_in("김직원", "1357")
    assert sp.sign_in("김직원", "8642").name == "김직원"
    sp.sign_out()
    with pytest.raises(InvalidInput, match="PIN is 4 to 8 digits"):
        sp.reset_staff_pin("김직원", "12")
    with pytest.raises(NotFound, match="No staff account named"):
        sp.reset_staff_pin("박없음", "1234")

    # with a second administrator, the first may go; then the second is the last
    sp.add_staff("부관리자", "1122", "admin")
    sp.disable_staff("관리자")
    with pytest.raises(Conflict, match="last enabled administrator"):
        sp.disable_staff("부관리자")
    # signed in, an administrator cannot disable their own account
    sp.enable_staff("관리자")
    sp.sign_in("관리자", "2468")
    with pytest.raises(InvalidInput, match="your own account"):
        sp.disable_staff("관리자")


def test_staff_see_contacts_masked_and_reveal_one(standin_service):
    sp = standin_service
    with_team(sp)
    dog = register(sp)
    other = register(sp, dog=2, phone="010-9999-8888", owner="이영희", name="보리")

    sp.sign_in("김직원", "1357")
    # look-up works, and every dog in a result comes with its owner masked
    found = sp.lookup(dog_photos(1, n=1, first_shot=7)[0])
    assert found.match.dog.id == dog.id
    assert (found.match.dog.owner.phone, found.match.dog.owner.name) == ("010-****-5678", "김**")
    assert found.match.dog.owner.is_concealed
    listed = {d.id: d for d in sp.list_dogs()}
    assert listed[other.id].owner.phone == "010-****-8888" and listed[other.id].owner.name == "이**"
    assert sp.list_dogs("5678")[0].id == dog.id  # searching by phone still works
    assert sp.get_dog(dog.registration_number).owner.phone == "010-****-5678"
    # one contact, on request
    owner = sp.reveal_contact(dog.registration_number)
    assert (owner.phone, owner.name) == ("+821012345678", "김철수") and not owner.is_concealed
    # the owner whose phone the member types in (a registration) is theirs to see
    assert sp.find_owner("010-9999-8888").name == "이영희"
    new = register(sp, dog=3, phone="010-5555-4444", owner="박새봄", name="콩")
    assert (new.owner.phone, new.owner.name) == ("+821055554444", "박새봄")
    # by default staff may edit and change a status, not remove a registration
    assert sp.update_dog(dog.id, DogUpdate(breed="진돗개")).breed == "진돗개"
    assert sp.set_status(dog.id, "lost").status == "lost"
    with pytest.raises(PermissionDenied, match="may not remove registrations") as err:
        sp.delete_dog(dog.id)
    assert err.value.code == "forbidden" and err.value.details["action"] == "delete"
    assert sp.get_dog(dog.id).status == "lost"  # still there
    # staff accounts and what staff may see are the administrators' business
    with pytest.raises(PermissionDenied, match="Only an administrator"):
        sp.add_staff("새직원", "4321")
    with pytest.raises(PermissionDenied, match="Only an administrator"):
        sp.set_staff_permissions(StaffPermissions(delete=True))
    with pytest.raises(PermissionDenied):
        sp.list_staff()
    sp.sign_out()

    sp.sign_in("관리자", "2468")
    # administrators too see results masked: every contact shown goes through reveal_contact (the audit trail)
    assert sp.get_dog(dog.id).owner.phone == "010-****-5678"
    assert sp.reveal_contact(other.id).phone == "+821099998888"
    assert sp.delete_dog(other.id).id == other.id
    assert sp.reveal_contact(other.id).name == "이영희"  # a removed registration's owner can still be called
    sp.sign_out()


def test_what_staff_may_do_is_the_administrators_choice_kept_in_the_registry(standin_service):
    sp = standin_service
    with_team(sp)
    dog = register(sp)
    assert sp.staff_permissions() == StaffPermissions(contacts="reveal", edit=True, status=True, delete=False)

    sp.sign_in("관리자", "2468")
    sp.set_staff_permissions(StaffPermissions(contacts="none", edit=False, status=True, delete=True))
    sp.sign_out()
    with sp.db.sessions() as s:
        assert '"contacts":"none"' in s.get(Meta, "staff_permissions").value

    sp.sign_in("김직원", "1357")
    with pytest.raises(PermissionDenied, match="may not see owners' contact details"):
        sp.reveal_contact(dog.id)
    assert sp.find_owner("010-1234-5678").name == "김**"
    # registering another dog of that owner: the phone typed in comes back, the stored name stays masked
    again = register(sp, dog=4, phone="010-1234-5678", owner="", name="둘째")
    assert (again.owner.phone, again.owner.name) == ("+821012345678", "김**")
    with pytest.raises(PermissionDenied, match="may not change dogs' or owners' details"):
        sp.update_dog(dog.id, DogUpdate(name="초코2"))
    with pytest.raises(PermissionDenied, match="may not change dogs' or owners' details"):
        sp.update_dog(dog.id, DogUpdate(name="초코2", status="lost"))  # all of it or nothing
    assert sp.get_dog(dog.id).name == "초코" and sp.get_dog(dog.id).status == "home"
    assert sp.set_status(dog.id, "found").status == "found"
    assert sp.delete_dog(dog.id).id == dog.id
    sp.sign_out()

    sp.sign_in("관리자", "2468")
    sp.set_staff_permissions(StaffPermissions(status=False))
    sp.sign_out()
    sp.sign_in("김직원", "1357")
    with pytest.raises(PermissionDenied, match="may not change a dog's status"):
        sp.set_status(register(sp, dog=2, phone="010-2222-3333").id, "lost")


def test_a_locked_kiosk_and_other_actors(standin_service):
    sp = standin_service
    with_team(sp)
    dog = register(sp)
    # the command line and API keys keep their own rights: contacts in full, nothing refused
    assert sp.get_dog(dog.id).owner.phone == "+821012345678"
    with acting_as(Actor("api_key", "3f9c0a1b2c4d", "iOS dev")):
        assert sp.list_dogs()[0].owner.name == "김철수"
    # a kiosk with nobody signed in refuses
    sp.sign_in_required = True
    for call in (lambda: sp.list_dogs(), lambda: sp.get_dog(dog.id), lambda: sp.reveal_contact(dog.id),
                 lambda: sp.lookup(dog_photos(1, n=1, first_shot=7)[0])):
        with pytest.raises(PermissionDenied, match="Sign in first"):
            call()
    assert sp.staff_names() == ["관리자", "김직원"]  # what the sign-in page offers
    # a member disabled while signed in stops at once
    sp.sign_in("김직원", "1357")
    assert sp.list_dogs()
    with acting_as(cli_actor()):
        sp.disable_staff("김직원")
    with pytest.raises(PermissionDenied, match="disabled"):
        sp.list_dogs()


def test_permission_denied_is_a_403_in_the_api():
    """The server signs nobody in (API keys have their roles), but a core refusal keeps its meaning there."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from sync.server import errors

    app = FastAPI()
    errors.install(app)

    @app.get("/refused")
    def refused():
        raise PermissionDenied("A member of role 'staff' may not remove registrations.", action="delete")

    r = TestClient(app).get("/refused")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden" and "may not remove" in r.json()["error"]["message"]
