"""Reviews of possible duplicates through the core use cases, on SQLite and on the real MariaDB (stand-in engine):
a look-alike registration is flagged, then a person decides 'different dogs' or 'same dog' (a merge)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, NotFound
from core.photos import decode_photo
from core.recognition.base import Decision
from core.registry.models import Dog, NosePhoto, NoseTemplate, Outbox, ReviewFlag
from core.schemas import DogIn, OwnerIn
from tests.imaging import dog_photos, look_alike_photo_bytes


def look_alike(dog: int, other: int, n: int = 5, first_shot: int = 0):
    """Photos of a nose that looks like `dog` without being a sure match on the stand-in engine (about 0.92)."""
    return [decode_photo(look_alike_photo_bytes(dog, other, s), label=f"alike{dog}-{other}-{s}.jpg")
            for s in range(first_shot, first_shot + n)]


def flagged_pair(sp, dog: int = 1, other: int = 2, phones=("010-1234-5678", "010-9876-5432"),
                 times=(datetime(2026, 1, 2, 3, 4, tzinfo=UTC), datetime(2026, 3, 4, 5, 6, tzinfo=UTC))):
    """An older registration and a newer look-alike of it: registering the newer one flags the pair."""
    older = sp.register(OwnerIn(phone=phones[0], name="김철수"), DogIn(name="초코", breed="진돗개"), dog_photos(dog),
                        registered_at=times[0]).dog
    result = sp.register(OwnerIn(phone=phones[1], name="이영희"), DogIn(name="초코2", sex="female", notes="순함"),
                         look_alike(dog, other), registered_at=times[1])
    assert [c.dog.id for c in result.possible_duplicates] == [older.id], "the look-alike must be flagged"
    return older, result.dog


def table_counts(sp) -> dict[str, int]:
    with sp.db.sessions() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Dog, NosePhoto, NoseTemplate, ReviewFlag, Outbox)}


def test_open_reviews_newest_first_with_both_dogs(standin_service):
    sp = standin_service
    older, newer = flagged_pair(sp)
    assert sp.get_dog(older.id).needs_review and newer.needs_review
    o2, n2 = flagged_pair(sp, dog=3, other=4, phones=("010-2222-3333", "010-4444-5555"))
    listed = sp.list_reviews()
    assert listed.count == sp.review_count() == 2
    first, second = listed.reviews
    assert (first.older.id, first.newer.id) == (o2.id, n2.id)  # the newest flag first
    assert (second.older.id, second.newer.id) == (older.id, newer.id)
    assert second.older.registration_number == older.registration_number and second.newer.owner.name == "이영희"
    assert len(second.older.photos) == len(second.newer.photos) == 5
    assert 0.87 <= second.score < 0.97 and second.reason == "possible_duplicate"
    assert first.created_at >= second.created_at
    assert sp.list_reviews(limit=1).count == 2 and len(sp.list_reviews(limit=1).reviews) == 1


def test_different_dogs_closes_the_review_and_keeps_both(standin_service):
    sp = standin_service
    older, newer = flagged_pair(sp)
    before = table_counts(sp)
    result = sp.resolve_review(sp.list_reviews().reviews[0].id, same_dog=False)
    assert result.resolution == "different_dogs" and result.owners == [] and result.photos_added == 0
    assert sp.list_reviews().count == 0
    for dog in (older, newer):
        assert not sp.get_dog(dog.id).needs_review
    with sp.db.sessions() as s:
        flag = s.get(ReviewFlag, result.flag_id)
        assert flag.resolved and flag.resolution == "different_dogs"
        assert s.scalars(select(Outbox.entity).where(Outbox.seq > 0).order_by(Outbox.seq.desc())).first() \
            == "review_flag"
    assert table_counts(sp) == {**before, "outbox": before["outbox"] + 1}


def test_same_dog_merges_the_newer_registration_into_the_older(standin_service):
    sp = standin_service
    older, newer = flagged_pair(sp)
    files = sum(1 for p in sp.store.root.rglob("*") if p.is_file())
    assert sp.lookup(decode_photo(look_alike_photo_bytes(1, 2, 7))).match.dog.id == newer.id

    result = sp.resolve_review(sp.list_reviews().reviews[0].id, same_dog=True)
    assert result.resolution == "same_dog" and result.photos_added == 5
    kept = result.older
    assert kept.id == older.id and kept.registration_number == older.registration_number
    assert kept.owner.id == older.owner.id and kept.name == "초코" and kept.breed == "진돗개"
    assert kept.sex == "female"  # a blank of the older registration filled from the newer one
    assert {p.sha256 for p in kept.photos} == {p.sha256 for p in older.photos} | {p.sha256 for p in newer.photos}
    assert newer.registration_number in kept.notes and "2026-03-04" in kept.notes
    assert "9876" not in kept.notes  # no phone number in the notes (the number's last 4 digits are the phone's)
    assert [o.phone for o in result.owners] == ["+821012345678", "+821098765432"] and result.owners_differ
    assert not kept.needs_review and sp.list_reviews().count == 0

    with pytest.raises(NotFound):
        sp.get_dog(newer.id)
    assert [d.id for d in sp.list_dogs()] == [older.id]
    with sp.db.sessions() as s:
        live = s.scalars(select(NoseTemplate.dog_id).where(NoseTemplate.deleted_at.is_(None))).all()
        assert live == [older.id] * 10  # the newer dog's templates moved: new rows of the older dog
        assert s.scalar(select(func.count()).select_from(NoseTemplate).where(NoseTemplate.dog_id == newer.id)) == 5
        flag = s.get(ReviewFlag, result.flag_id)
        assert flag.resolved and flag.resolution == "same_dog"
        changes = s.execute(select(Outbox.entity, Outbox.entity_id, Outbox.op).order_by(Outbox.seq)).all()[-3:]
    assert changes == [("dog", older.id, "upsert"), ("dog", newer.id, "delete"), ("review_flag", flag.id, "upsert")]
    assert sum(1 for p in sp.store.root.rglob("*") if p.is_file()) == files  # photo files are shared, not copied
    assert len(sp.gallery) == 10

    # the newer registration's nose now finds the older registration, whose number is kept
    found = sp.lookup(decode_photo(look_alike_photo_bytes(1, 2, 7)))
    assert found.decision == Decision.MATCH and found.match.dog.id == older.id
    assert found.match.dog.registration_number == older.registration_number


def test_a_gallery_rebuilt_from_the_registry_agrees(settings, standin_service):
    from core.recognition.standin import StandInEngine
    from core.usecases import SavePets

    sp = standin_service
    older, _ = flagged_pair(sp)
    sp.resolve_review(sp.list_reviews().reviews[0].id, same_dog=True)
    other = SavePets(settings, engine=StandInEngine())  # another process, gallery from the database
    try:
        assert other.lookup(decode_photo(look_alike_photo_bytes(1, 2, 8))).match.dog.id == older.id
    finally:
        other.close()


def test_resolving_twice_or_an_unknown_review_is_refused_and_changes_nothing(standin_service):
    sp = standin_service
    flagged_pair(sp)
    flag_id = sp.list_reviews().reviews[0].id
    before = table_counts(sp)
    with pytest.raises(NotFound):
        sp.resolve_review("no-such-review", same_dog=True)
    assert table_counts(sp) == before
    sp.resolve_review(flag_id, same_dog=False)
    after = table_counts(sp)
    for same_dog in (True, False):
        with pytest.raises(Conflict, match="already resolved"):
            sp.resolve_review(flag_id, same_dog=same_dog)
    assert table_counts(sp) == after
    with sp.db.sessions() as s:
        assert s.get(ReviewFlag, flag_id).resolution == "different_dogs"


def test_other_reviews_of_the_merged_registration_move_to_the_older_one(standin_service):
    sp = standin_service
    older, newer = flagged_pair(sp)
    third = sp.register(OwnerIn(phone="010-5555-6666"), DogIn(name="보리"), dog_photos(9)).dog
    with sp.db.session() as s:  # the third dog was also flagged with the newer registration (e.g. by sync)
        s.add(ReviewFlag(dog_id=third.id, other_dog_id=newer.id, score=0.9, reason="possible_duplicate_sync"))
    assert sp.review_count() == 2
    flag_id = next(r.id for r in sp.list_reviews().reviews if r.older.id == older.id)

    result = sp.resolve_review(flag_id, same_dog=True)
    assert result.other_reviews == 1
    (moved,) = sp.list_reviews().reviews
    assert {moved.older.id, moved.newer.id} == {older.id, third.id}
    assert moved.score == 0.9 and moved.reason == "possible_duplicate_sync"
    with sp.db.sessions() as s:
        closed = s.scalar(select(ReviewFlag).where(ReviewFlag.other_dog_id == newer.id,
                                                   ReviewFlag.dog_id == third.id))
        assert closed.deleted_at is not None
        pending = set(s.scalars(select(Outbox.entity_id).where(Outbox.entity == "review_flag")))
    assert {closed.id, moved.id, flag_id} <= pending


def test_deleting_one_dog_of_a_pair_leaves_nothing_to_review_on_the_other(standin_service):
    sp = standin_service
    older, newer = flagged_pair(sp)
    sp.delete_dog(newer.id)
    assert not sp.get_dog(older.id).needs_review
