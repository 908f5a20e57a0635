"""Register / look up / manage dogs through the core use cases, on SQLite and on the real MariaDB.
The stand-in engine is used: these tests are about the registry rules, not recognition quality."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import AlreadyRegistered, InvalidInput, NotFound, PhotosRejected
from core.recognition.base import Decision
from core.registry.models import Dog, DogStatus, NosePhoto, NoseTemplate, Outbox, Owner
from core.schemas import DogIn, DogUpdate, OwnerIn
from tests.imaging import black_photo, dog_photos


def counts(sp) -> dict[str, int]:
    with sp.db.sessions() as s:
        rows = {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Owner, Dog, NosePhoto, NoseTemplate, Outbox)}
    rows["files"] = sum(1 for p in sp.store.root.rglob("*") if p.is_file()) if sp.store.root.exists() else 0
    return rows


def register(sp, dog=1, phone="010-1234-5678", name="초코", **dog_fields):
    return sp.register(OwnerIn(phone=phone, name="김철수"), DogIn(name=name, **dog_fields), dog_photos(dog))


def test_register_then_lookup(standin_service):
    sp = standin_service
    result = register(sp, breed="진돗개", sex="female")
    dog = result.dog
    assert not result.owner_existed
    assert dog.registration_number.endswith("ㅊㅋ5678")
    assert dog.owner.phone == "+821012345678" and len(dog.photos) == 5
    assert counts(sp) == {"owners": 1, "dogs": 1, "nose_photos": 5, "nose_templates": 5, "outbox": 1, "files": 5}

    found = sp.lookup(dog_photos(1, n=1, first_shot=7)[0])
    assert found.decision == Decision.MATCH and found.match.dog.id == dog.id
    assert found.match.probability > 0.5

    stranger = sp.lookup(dog_photos(2, n=1)[0])
    assert stranger.decision == Decision.NO_MATCH and stranger.match is None


def test_same_dog_twice_is_refused_with_the_match(standin_service):
    sp = standin_service
    first = register(sp).dog
    before = counts(sp)
    with pytest.raises(AlreadyRegistered) as exc:
        sp.register(OwnerIn(phone="010-9999-8888"), DogIn(name="다른이름"), dog_photos(1, first_shot=10))
    assert exc.value.details["match"]["dog"]["registration_number"] == first.registration_number
    assert exc.value.details["match"]["dog"]["owner"]["phone"] == "010-****-5678"  # masked for strangers
    assert counts(sp) == before


def test_one_owner_many_dogs_whatever_the_phone_format(standin_service):
    sp = standin_service
    a = register(sp, dog=1, phone="010-1234-5678").dog
    b = sp.register(OwnerIn(phone="+82 10 1234 5678"), DogIn(name="Max"), dog_photos(2))
    assert b.owner_existed and b.dog.owner.id == a.owner.id and b.dog.owner.name == "김철수"
    assert {d.name for d in sp.list_dogs(phone="01012345678")} == {"초코", "Max"}
    assert counts(sp)["owners"] == 1


def test_same_initials_same_owner_same_minute_get_unique_numbers(standin_service):
    from datetime import datetime, timezone

    sp = standin_service
    at = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)
    n1 = sp.register(OwnerIn(phone="01012345678"), DogIn(name="초코"), dog_photos(1), registered_at=at).dog
    n2 = sp.register(OwnerIn(phone="01012345678"), DogIn(name="치킨"), dog_photos(2), registered_at=at).dog
    assert n1.registration_number == "2601021204ㅊㅋ5678"
    assert n2.registration_number == "2601021204ㅊㅋ5678-2"


def test_fewer_than_five_photos_is_refused(standin_service):
    with pytest.raises(PhotosRejected, match="exactly 5"):
        standin_service.register(OwnerIn(phone="01012345678"), DogIn(name="초코"), dog_photos(1, n=4))
    assert counts(standin_service)["dogs"] == 0


def test_bad_photos_are_named_with_reasons(standin_service):
    photos = dog_photos(1, n=4) + [black_photo()]
    with pytest.raises(PhotosRejected) as exc:
        standin_service.register(OwnerIn(phone="01012345678"), DogIn(name="초코"), photos)
    (problem,) = exc.value.details["problems"]
    assert problem["index"] == 4 and "dark" in problem["reasons"]
    assert "photo 5" in exc.value.message
    assert counts(standin_service)["dogs"] == 0


def test_the_same_file_twice_is_refused(standin_service):
    photos = dog_photos(1, n=4)
    with pytest.raises(PhotosRejected) as exc:
        standin_service.register(OwnerIn(phone="01012345678"), DogIn(name="초코"), photos + [photos[0]])
    assert exc.value.details["problems"][0]["reasons"] == ["duplicate_photo"]


def test_photos_of_another_dog_are_refused(standin_service):
    photos = dog_photos(1, n=4) + dog_photos(2, n=1)
    with pytest.raises(PhotosRejected) as exc:
        standin_service.register(OwnerIn(phone="01012345678"), DogIn(name="초코"), photos)
    assert [p["index"] for p in exc.value.details["problems"]] == [4]
    assert exc.value.details["problems"][0]["reasons"] == ["disagrees"]
    assert counts(standin_service)["dogs"] == 0


def test_failure_mid_transaction_leaves_nothing_behind(standin_service, monkeypatch):
    sp = standin_service
    register(sp, dog=1)
    before = counts(sp)
    original = sp.store.put
    calls = {"n": 0}

    def failing_put(data):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("disk full")
        return original(data)

    monkeypatch.setattr(sp.store, "put", failing_put)
    with pytest.raises(OSError):
        register(sp, dog=2, phone="010-5555-6666", name="Max")
    assert counts(sp) == before  # no owner, dog, photo rows, templates, outbox entry or files
    monkeypatch.setattr(sp.store, "put", original)
    assert sp.lookup(dog_photos(2, n=1)[0]).decision == Decision.NO_MATCH


def test_update_status_search_and_delete(standin_service):
    sp = standin_service
    dog = register(sp).dog
    assert sp.get_dog(dog.registration_number).id == dog.id
    lost = sp.set_status(dog.id, DogStatus.LOST)
    assert lost.status == "lost" and sp.list_dogs(status=DogStatus.LOST)[0].id == dog.id
    edited = sp.update_dog(dog.id, DogUpdate(breed="말티즈", notes="왼쪽 귀에 점"))
    assert edited.breed == "말티즈" and edited.name == "초코"
    with pytest.raises(InvalidInput):
        sp.update_dog(dog.id, DogUpdate())
    for q in ("초코", dog.registration_number[:6], "5678", "010-1234-5678", "김철"):
        assert [d.id for d in sp.list_dogs(query=q)] == [dog.id], q
    assert sp.list_dogs(query="%") == [] and sp.list_dogs(query="없는개") == []

    sp.delete_dog(dog.id)
    with pytest.raises(NotFound):
        sp.get_dog(dog.id)
    assert sp.lookup(dog_photos(1, n=1, first_shot=9)[0]).decision == Decision.NO_MATCH
    # the tombstone stays for sync, and the same dog can be registered again
    assert register(sp, name="초코2").dog.id != dog.id


def test_gallery_survives_a_restart_and_follows_other_writers(settings, standin_service):
    from core.recognition.standin import StandInEngine
    from core.usecases import SavePets

    sp = standin_service
    dog = register(sp).dog
    assert len(sp.gallery) == 5  # built and saved to disk
    other = SavePets(settings, engine=StandInEngine())  # a second process on the same registry
    try:
        assert other.lookup(dog_photos(1, n=1, first_shot=5)[0]).match.dog.id == dog.id
        dog2 = other.register(OwnerIn(phone="010-2222-3333"), DogIn(name="Max"), dog_photos(2)).dog
    finally:
        other.close()
    sp.refresh_gallery()
    assert sp.lookup(dog_photos(2, n=1, first_shot=5)[0]).match.dog.id == dog2.id


@pytest.mark.parametrize("field, value", [
    ("name", ""), ("name", "x" * 101), ("sex", "cat"), ("birth_date", "2999-01-01"), ("notes", "bad\x00byte"),
    ("color", "brown"),
])
def test_invalid_dog_fields_are_refused(field, value):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        DogIn(**{"name": "초코", field: value})


def test_text_junk_is_stored_verbatim(standin_service):
    junk = "Robert'); DROP TABLE dogs;-- 🐶 \u202e ñ 漢字"
    dog = register(standin_service, name="초코", notes=junk).dog
    assert standin_service.get_dog(dog.id).notes == junk.strip()
