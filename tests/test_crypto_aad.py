"""Encrypted values bound to their place (table, column, row id) as AES-GCM associated data: a value moved to another
row or column of the real database (SQLite, MariaDB) is refused when read, never shown as another owner's data; the
Core write paths place their values too; migration 0009 re-encrypts an older registry losing nothing, and after it a
value in the old format (no place) is refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from core import crypto
from core.recognition.standin import StandInEngine
from core.registry.db import Database, head_revision
from core.registry.encrypted import UnplacedValue, place_rows, place_values
from core.registry.models import Dog, Outbox, Owner, SyncEntity, utcnow
from core.schemas import DogIn, OwnerIn
from core.settings import Settings
from core.usecases import SavePets
from tests.imaging import dog_photos
from tests.test_encryption import PLAIN_ROWS

A_PHONE, B_PHONE = "+821012345678", "+821099998888"


def two_owners(db: Database) -> tuple[str, str, str, str]:
    """Owners a and b with a dog each, an outbox row each and a shadow each; their ids."""
    with db.session() as s:
        a = Owner(phone=A_PHONE, name="김철수")
        b = Owner(phone=B_PHONE, name="박영희")
        s.add_all([a, b])
        s.flush()
        da = Dog(owner_id=a.id, registration_number="A-1", name="초코", notes="a's note")
        db_ = Dog(owner_id=b.id, registration_number="B-1", name="보리", notes="b's note")
        s.add_all([da, db_])
        s.flush()
        s.add_all([Outbox(entity="dog", entity_id=da.id, op="upsert", payload={"owner": "김철수"}),
                   Outbox(entity="dog", entity_id=db_.id, op="upsert", payload={"owner": "박영희"}),
                   SyncEntity(entity_id=da.id, entity="dog", shadow={"owner": {"phone": A_PHONE}}),
                   SyncEntity(entity_id=db_.id, entity="dog", shadow={"owner": {"phone": B_PHONE}})])
        return a.id, b.id, da.id, db_.id


def copy_value(db: Database, table: str, key: str, column: str, src: str, dst: str, dst_column: str | None = None):
    """What someone with write access to the database does: one row's ciphertext copied as it is into another row
    (or another column)."""
    with db.engine.begin() as conn:
        value = conn.execute(text(f"SELECT {column} FROM {table} WHERE {key} = :k"), {"k": src}).scalar()
        conn.execute(text(f"UPDATE {table} SET {dst_column or column} = :v WHERE {key} = :k"), {"v": value, "k": dst})


def read_owner(db: Database, owner_id: str) -> tuple[str, str]:
    with db.sessions() as s:
        o = s.get(Owner, owner_id)
        return o.phone, o.name


def test_a_value_moved_to_another_row_or_column_does_not_decrypt(db_url):
    db = Database(db_url)
    try:
        a, b, da, db_ = two_owners(db)
        assert read_owner(db, b) == (B_PHONE, "박영희")
        with db.engine.connect() as conn:  # the database holds only v2 values, bound to their place
            assert all(v.startswith("v2:") for v in conn.execute(text("SELECT phone FROM owners")).scalars())

        copy_value(db, "owners", "id", "phone", a, b)  # a's phone onto b: b would be reached on a's number
        with pytest.raises(crypto.UnreadableValue, match="moved there from another row or column"):
            read_owner(db, b)
        with pytest.raises(crypto.UnreadableValue), db.sessions() as s:  # one column, as Core reads it
            s.scalars(select(Owner.phone).where(Owner.id == b)).all()
        assert read_owner(db, a) == (A_PHONE, "김철수")  # the value where it belongs still reads

        copy_value(db, "owners", "id", "phone", a, a, dst_column="name")  # a column into another of the same row
        with pytest.raises(crypto.UnreadableValue):
            read_owner(db, a)

        copy_value(db, "dogs", "id", "notes", da, db_)
        with pytest.raises(crypto.UnreadableValue), db.sessions() as s:
            s.get(Dog, db_).notes  # noqa: B018
        with db.sessions() as s:
            assert s.get(Dog, da).notes == "a's note"

        copy_value(db, "sync_entity", "entity_id", "shadow", da, db_)
        with pytest.raises(crypto.UnreadableValue), db.sessions() as s:
            s.execute(select(SyncEntity.entity_id, SyncEntity.shadow)).all()
        with db.sessions() as s:
            assert s.get(SyncEntity, da).shadow == {"owner": {"phone": A_PHONE}}

        with db.sessions() as s:
            first, second = s.scalars(select(Outbox.change_id).order_by(Outbox.seq)).all()
        copy_value(db, "outbox", "change_id", "payload", first, second)
        with pytest.raises(crypto.UnreadableValue), db.sessions() as s:
            s.scalars(select(Outbox).order_by(Outbox.seq)).all()
    finally:
        db.dispose()


def test_the_use_cases_refuse_a_moved_phone(tmp_path, db_url):
    """Through the service, as the kiosk and the server read: an error, not the other owner's number."""
    sp = SavePets(Settings(data_dir=tmp_path / "d", db_url=db_url), engine=StandInEngine())
    try:
        one = sp.register(OwnerIn(phone="010-1234-5678", name="김철수"), DogIn(name="초코"), dog_photos(1)).dog
        two = sp.register(OwnerIn(phone="010-9999-8888", name="박영희"), DogIn(name="보리"), dog_photos(2)).dog
        copy_value(sp.db, "owners", "id", "phone", one.owner.id, two.owner.id)
        with pytest.raises(crypto.UnreadableValue):
            sp.get_dog(two.id)
        assert sp.get_dog(one.id).owner.phone == A_PHONE
    finally:
        sp.close()


def test_core_writes_place_their_values_or_are_refused(db_url):
    db = Database(db_url)
    try:
        now = utcnow()
        row = {"id": "o1", "phone": A_PHONE, "phone_hash": A_PHONE, "name": "김철수", "created_at": now,
               "updated_at": now}
        with pytest.raises(StatementError, match="without its row and column") as info, db.session() as s:
            s.execute(Owner.__table__.insert(), [row])
        assert isinstance(info.value.orig, UnplacedValue)
        with db.session() as s:  # placed: written, and read back
            s.execute(Owner.__table__.insert(), place_rows(Owner, [row]))
            s.execute(Dog.__table__.insert(), place_rows(Dog, [{  # notes left out: its default, placed
                "id": "d1", "owner_id": "o1", "registration_number": "N-1", "registered_at": now, "name": "초코",
                "created_at": now, "updated_at": now}]))
        from sqlalchemy import update

        with db.session() as s:
            s.execute(update(Dog).where(Dog.id == "d1").values(**place_values(Dog, "d1", {"notes": "메모"})))
        with db.sessions() as s:
            assert (s.get(Owner, "o1").name, s.get(Dog, "d1").notes) == ("김철수", "메모")
            assert type(s.get(Owner, "o1").phone) is str
        with pytest.raises(UnplacedValue, match="gives its change_id"):
            place_rows(Outbox, [{"entity": "dog", "entity_id": "d1", "op": "upsert", "payload": {}}])
    finally:
        db.dispose()


def test_orm_objects_keep_plain_values_after_a_flush(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    try:
        with db.session() as s:
            o = Owner(phone=A_PHONE, name="김철수")
            s.add(o)
            s.flush()
            assert type(o.phone) is str and type(o.name) is str and o.id
            o.name = "김철수님"
            s.flush()
            assert type(o.name) is str
            box = Outbox(entity="owner", entity_id=o.id, op="upsert", payload={"x": [1]})
            s.add(box)
            s.flush()
            assert type(box.payload) is dict and box.change_id
        assert read_owner(db, o.id) == (A_PHONE, "김철수님")
    finally:
        db.dispose()


def test_migration_0009_binds_every_value_and_then_refuses_the_old_format(db_url, tmp_path):
    """A registry at 0008 (values encrypted without their place by 0005) upgraded by a start: every value
    re-encrypted with its place, everything reads the same; a v1 value put in afterwards is refused; down and up
    again gives the same values."""
    old = Database(db_url, upgrade=False)
    old.upgrade("0004_review_resolution")
    with old.engine.begin() as conn:
        for sql in PLAIN_ROWS:
            conn.execute(text(sql))
    old.upgrade("0008_devices")
    with old.engine.connect() as conn:
        phones = conn.execute(text("SELECT phone FROM owners ORDER BY id")).scalars().all()
        shadow = conn.execute(text("SELECT shadow FROM sync_entity WHERE entity_id = 'd1'")).scalar()
    assert phones and not any(p.startswith("v2:") for p in phones) and not json.loads(shadow).startswith("v2:")
    with old.sessions() as s:  # not yet migrated: the old values still read (nothing else to read them with)
        assert s.get(Owner, "o1").phone == A_PHONE
    old.dispose()

    sp = SavePets(Settings(data_dir=tmp_path / "d", db_url=db_url), engine=StandInEngine())
    try:
        assert sp.db.current_revision() == head_revision()  # 0009 and the later ones
        with sp.db.engine.connect() as conn:
            stored = [conn.execute(text(sql)).scalars().all() for sql in (
                "SELECT phone FROM owners", "SELECT name FROM owners", "SELECT notes FROM dogs")]
            stored += [[json.loads(v) for v in conn.execute(text(sql)).scalars() if v is not None] for sql in (
                "SELECT payload FROM outbox", "SELECT shadow FROM sync_entity")]
        assert all(v.startswith("v2:") for values in stored for v in values) and all(stored)
        choco = sp.get_dog("2601010900ㅊㅋ5678")
        assert (choco.notes, choco.owner.name, choco.owner.phone) == ("옆집 이영희 씨가 맡아 줌", "김철수", A_PHONE)
        assert sp.find_owner("010-9999-8888").id == "o2"
        assert [d.id for d in sp.list_dogs(query="김철")] == ["d1"]
        with sp.db.sessions() as s:
            assert [o.payload for o in s.scalars(select(Outbox).order_by(Outbox.seq))] == [{}, {"note": "김철수"}]
            assert s.get(SyncEntity, "d1").shadow["owner"] == {"name": "김철수", "phone": A_PHONE}
            assert s.get(SyncEntity, "o1").shadow is None

        # a value of the old format (a copy kept from before the upgrade, or made with the key) is refused now
        with sp.db.engine.begin() as conn:
            conn.execute(text("UPDATE owners SET name = :v WHERE id = 'o2'"), {"v": sp.db.key.encrypt("가짜")})
        with pytest.raises(crypto.UnreadableValue, match="old format"):
            read_owner(sp.db, "o2")
        with sp.db.session() as s:  # written again by the application: bound to its place
            s.get(Owner, "o1").name = "김철수님"

        sp.db.downgrade("0008_devices")  # the values without their place again, readable at 0008
        with sp.db.engine.connect() as conn:
            assert not conn.execute(text("SELECT name FROM owners WHERE id = 'o1'")).scalar().startswith("v2:")
        with sp.db.sessions() as s:
            assert s.get(Owner, "o1").name == "김철수님"
        sp.db.upgrade()
        assert read_owner(sp.db, "o1") == (A_PHONE, "김철수님")
    finally:
        sp.close()
