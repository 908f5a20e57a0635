"""Owners' personal data encrypted at rest: nothing readable in the SQLite file, its write-ahead log or a backup;
MariaDB holds only ciphertext; an older plain registry is encrypted in place losing nothing; the registry key
comes from the keyring or a private key file and a missing or different key is refused, never worked around."""

from __future__ import annotations

import json
import os
import stat
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core import crypto
from core.backup import backup
from core.recognition.standin import StandInEngine
from core.registry.db import Database
from core.schemas import DogIn, DogUpdate, OwnerIn
from core.settings import Settings
from core.usecases import SavePets
from tests.imaging import dog_photos

OWNER = "김철수"
NOTE = "옆집 이영희 씨가 맡아 줌"
PHONE_FORMS = ("01012345678", "010-1234-5678", "+821012345678", "1012345678", "010 1234 5678")


def secrets_in(blob: bytes) -> list[str]:
    """Which of the owner's data can be read in these bytes (UTF-8, as SQLite and MariaDB store text)."""
    needles = [*PHONE_FORMS, OWNER, NOTE, "이영희"]
    return [n for n in needles if n.encode() in blob]


def register(sp, dog=1, phone="010-1234-5678", owner=OWNER, notes=NOTE, name="초코"):
    return sp.register(OwnerIn(phone=phone, name=owner), DogIn(name=name, notes=notes), dog_photos(dog)).dog


def test_no_personal_data_in_the_sqlite_file_its_log_or_a_backup(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    sp = SavePets(settings, engine=StandInEngine())
    try:
        dog = register(sp)
        sp.update_dog(dog.id, DogUpdate(owner_name=OWNER + "님", notes=NOTE + " (수정)"))
        register(sp, dog=2, phone="010-1234-5678", notes="")  # the same owner again: found by the phone hash
        assert sp.find_owner("010 1234 5678").name == OWNER + "님"
        db_file = settings.data_dir / "registry.sqlite3"
        wal = db_file.with_name(db_file.name + "-wal")
        # the service's connection is still open: the changes sit in the write-ahead log
        assert wal.is_file() and wal.stat().st_size > 0
        assert secrets_in(wal.read_bytes()) == []
        assert secrets_in(db_file.read_bytes()) == []
        # the test can fail: the same bytes are there in plain before the database encrypts them
        assert secrets_in(f"{OWNER} 010-1234-5678 {NOTE}".encode()) != []
        backup(settings, tmp_path / "b.spbak", "passphrase for the test")
    finally:
        sp.close()
    assert secrets_in((tmp_path / "b.spbak").read_bytes()) == []
    for name in os.listdir(settings.data_dir):  # nor anywhere else in the data folder (index, photos)
        for p in (settings.data_dir / name).rglob("*") if (settings.data_dir / name).is_dir() \
                else [settings.data_dir / name]:
            if p.is_file():
                assert secrets_in(p.read_bytes()) == [], p


def test_mariadb_holds_only_ciphertext(mariadb_url, tmp_path):
    sp = SavePets(Settings(data_dir=tmp_path / "d", db_url=mariadb_url), engine=StandInEngine())
    try:
        dog = register(sp)
        assert sp.list_dogs(phone="01012345678")[0].id == dog.id
        assert [d.id for d in sp.list_dogs(query="김철")] == [dog.id]  # owner names are matched in Python
        with sp.db.engine.connect() as conn:
            rows = [conn.execute(text(f"SELECT * FROM {t}")).all()
                    for t in ("owners", "dogs", "outbox", "sync_entity", "meta")]
    finally:
        sp.close()
    dump = repr(rows).encode()
    assert secrets_in(dump) == [] and "김철수".encode() not in dump
    assert secrets_in(repr([OWNER]).encode()) == [OWNER]  # repr keeps Hangul readable: the check can fail


PLAIN_ROWS = [
    "INSERT INTO owners (id, phone, name, created_at, updated_at, origin_device) VALUES "
    "('o1', '+821012345678', '김철수', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'k1'),"
    "('o2', '+821099998888', '', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'k1')",
    "INSERT INTO dogs (id, owner_id, registration_number, registered_at, name, breed, sex, notes, status, "
    "created_at, updated_at) VALUES "
    "('d1', 'o1', '2601010900ㅊㅋ5678', '2026-01-01 00:00:00', '초코', '진돗개', 'female', '옆집 이영희 씨가 맡아 줌', "
    "'home', '2026-01-01 00:00:00', '2026-01-02 00:00:00'),"
    "('d2', 'o2', '2601010900ㅂㄹ8888', '2026-01-01 00:00:00', '보리', '', 'male', '', 'lost', "
    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO outbox (change_id, entity, entity_id, op, payload, created_at) VALUES "
    "('c1', 'dog', 'd1', 'upsert', '{}', '2026-01-01 00:00:00'),"
    "('c2', 'dog', 'd2', 'upsert', '{\"note\": \"김철수\"}', '2026-01-01 00:00:00')",
    "INSERT INTO sync_entity (entity_id, entity, clocks, shadow) VALUES "
    "('d1', 'dog', '{\"name\": \"2026-01-01T00:00:00+00:00\"}', "
    "'{\"owner\": {\"name\": \"김철수\", \"phone\": \"+821012345678\"}, \"fields\": {\"notes\": \"\"}}'),"
    "('o1', 'owner', '{}', NULL)",
]


def test_a_plain_registry_is_encrypted_in_place_losing_nothing(db_url, tmp_path):
    """A registry made at revision 0004 (plain) upgraded by a start: the same values through the use cases, no
    plain value left in the database (and, on SQLite, in its file or log)."""
    old = Database(db_url, upgrade=False)
    old.upgrade("0004_review_resolution")
    with old.engine.begin() as conn:
        for sql in PLAIN_ROWS:
            conn.execute(text(sql))
    old.dispose()

    sp = SavePets(Settings(data_dir=tmp_path / "d", db_url=db_url), engine=StandInEngine())
    try:
        assert sp.db.current_revision() >= "0005_encrypt_owner_data"
        choco = sp.get_dog("2601010900ㅊㅋ5678")
        assert (choco.name, choco.breed, choco.notes, choco.owner.name, choco.owner.phone) == \
            ("초코", "진돗개", NOTE, OWNER, "+821012345678")
        bori = sp.get_dog("2601010900ㅂㄹ8888")
        assert (bori.owner.name, bori.owner.phone, bori.status, bori.notes) == ("", "+821099998888", "lost", "")
        assert sp.find_owner("010-9999-8888").id == "o2"
        assert [d.id for d in sp.list_dogs(phone="01012345678")] == ["d1"]
        assert [d.id for d in sp.list_dogs(query="김철")] == ["d1"]
        from core.registry.models import Outbox, SyncEntity

        with sp.db.sessions() as s:
            assert [o.payload for o in s.query(Outbox).order_by(Outbox.seq)] == [{}, {"note": "김철수"}]
            assert s.get(SyncEntity, "d1").shadow["owner"] == {"name": "김철수", "phone": "+821012345678"}
            assert s.get(SyncEntity, "d1").clocks == {"name": "2026-01-01T00:00:00+00:00"}
            assert s.get(SyncEntity, "o1").shadow is None
        # one owner per phone still holds
        with pytest.raises(Exception, match="(?i)unique|duplicate"), sp.db.engine.begin() as conn:
            from core.registry.encrypted import place_rows
            from core.registry.models import Owner

            conn.execute(Owner.__table__.insert(), place_rows(Owner, [dict(
                id="o3", phone="+821012345678", phone_hash="+821012345678", name="", created_at=choco.registered_at,
                updated_at=choco.registered_at)]))
        with sp.db.engine.connect() as conn:
            dump = repr([conn.execute(text(f"SELECT * FROM {t}")).all()
                         for t in ("owners", "dogs", "outbox", "sync_entity")]).encode()
        assert secrets_in(dump) == []
    finally:
        sp.close()
    if db_url.startswith("sqlite"):
        path = Path(db_url.removeprefix("sqlite:///"))
        for f in (path, path.with_name(path.name + "-wal")):
            if f.exists():
                assert secrets_in(f.read_bytes()) == [], f


def test_downgrade_gives_the_plain_values_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    sp = SavePets(Settings(data_dir=tmp_path / "d", db_url=url), engine=StandInEngine())
    dog = register(sp)
    db = sp.db
    db.downgrade("0004_review_resolution")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT phone, name FROM owners")).one() == ("+821012345678", OWNER)
        assert conn.execute(text("SELECT notes FROM dogs")).scalar() == NOTE
    sp.close()
    sp = SavePets(Settings(data_dir=tmp_path / "d", db_url=url), engine=StandInEngine())  # and up again
    try:
        assert sp.get_dog(dog.id).owner.name == OWNER
    finally:
        sp.close()


# ------------------------------------------------------------------------------------------------ the key
def test_key_file_made_private_outside_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(crypto.KEY_FILE_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    from core.settings import default_data_dir

    settings = Settings()
    assert settings.data_dir == default_data_dir() and str(settings.data_dir).startswith(str(tmp_path / "share"))
    db = Database(settings.database_url)  # no keyring here (tests/conftest.py): the default key file
    db.dispose()
    key_file = crypto.default_key_file()
    assert key_file.is_file() and not key_file.is_relative_to(settings.data_dir)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    secret = key_file.read_text().strip().encode()
    assert secret not in (settings.data_dir / "registry.sqlite3").read_bytes()
    with sqlite_conn(settings.data_dir / "registry.sqlite3") as conn:
        stored = dict(conn.execute(text("SELECT key, value FROM meta")).all())
    assert stored[crypto.KEY_ID_META] == crypto.load_key(create=False).key_id
    assert secret.decode() not in json.dumps(stored)
    # a second start reads the same key
    Database(settings.database_url).dispose()
    assert key_file.read_text().strip().encode() == secret


def test_the_key_goes_to_the_system_keyring_when_there_is_one(tmp_path, monkeypatch):
    """A keyring in memory is the one keyring.get_keyring() returns (never the machine's), and crypto's own filter
    (usable_keyring) decides whether it may hold the key: this one may; the backends that are no keyring (fail,
    null, keyrings.alt's plain files, an empty chainer, a priority below 1) may not."""
    import keyring.core
    from keyring.backends import chainer, fail, null

    class InMemory:  # not a KeyringBackend subclass: those join keyring's own list of backends for good
        priority = 5

        def __init__(self):
            self.items = {}

        def get_password(self, service, username):
            return self.items.get((service, username))

        def set_password(self, service, username, password):
            self.items[(service, username)] = password

    class Weak(InMemory):
        priority = 0.5

    class PlainFile(InMemory):
        __module__ = "keyrings.alt.file"

    def usable_with(backend):
        monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
        return crypto.usable_keyring()

    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])  # a chain of nothing
    for not_a_keyring in (fail.Keyring(), null.Keyring(), Weak(), PlainFile(), chainer.ChainerBackend()):
        assert usable_with(not_a_keyring) is None, type(not_a_keyring)
    ring = InMemory()
    assert usable_with(ring) is ring

    monkeypatch.delenv(crypto.KEY_FILE_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    Database(url).dispose()
    assert list(ring.items) == [("SavePets", "registry-key")]
    assert not crypto.default_key_file().exists()  # no key file when the keyring holds it
    db = Database(url)
    assert db.key.source == "keyring"
    db.dispose()
    # the keyring loses it: the registry is refused, not re-keyed
    ring.items.clear()
    with pytest.raises(crypto.KeyMissing, match="not in the system keyring"):
        Database(url)
    assert not crypto.default_key_file().exists()


def test_the_real_keyring_is_never_used_by_tests():
    assert os.environ.get("PYTHON_KEYRING_BACKEND") == "keyring.backends.fail.Keyring"
    assert crypto.usable_keyring() is None


def test_missing_or_other_key_is_refused_and_changes_nothing(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data")
    sp = SavePets(settings, engine=StandInEngine())
    dog = register(sp)
    sp.close()
    db_file = settings.data_dir / "registry.sqlite3"
    before = db_file.read_bytes()

    monkeypatch.setenv(crypto.KEY_FILE_ENV, str(tmp_path / "gone.key"))
    with pytest.raises(crypto.KeyMissing, match=r"encrypted with the registry key [0-9a-f]{16}.*gone\.key"):
        SavePets(Settings(data_dir=tmp_path / "data"), engine=StandInEngine())
    assert not (tmp_path / "gone.key").exists()  # no new key made for an encrypted registry

    other = tmp_path / "other.key"
    crypto.load_key(other, create=True)
    monkeypatch.setenv(crypto.KEY_FILE_ENV, str(other))
    with pytest.raises(crypto.KeyMismatch, match="Use the key this registry was made with"):
        SavePets(Settings(data_dir=tmp_path / "data"), engine=StandInEngine())
    assert db_file.read_bytes() == before

    monkeypatch.undo()  # the right key again: all there
    sp = SavePets(Settings(data_dir=tmp_path / "data"), engine=StandInEngine())
    try:
        assert sp.get_dog(dog.id).owner.name == OWNER
    finally:
        sp.close()


def test_cli_says_what_to_do_when_the_key_is_missing(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from kiosk.cli import EXIT_INVALID, app

    settings = Settings(data_dir=tmp_path / "data")
    sp = SavePets(settings, engine=StandInEngine())
    register(sp)
    sp.close()
    monkeypatch.setenv(crypto.KEY_FILE_ENV, str(tmp_path / "gone.key"))
    monkeypatch.setenv("SAVEPETS_ENGINE", "standin")
    r = CliRunner().invoke(app, ["dogs", "list", "--data-dir", str(tmp_path / "data")])
    text_out = " ".join(r.output.split())
    assert r.exit_code == EXIT_INVALID and "Put that key back" in text_out and "gone.key" in text_out


def test_values_are_bound_to_the_key():
    key, _ = crypto.RegistryKey.generate()
    other, _ = crypto.RegistryKey.generate()
    token = key.encrypt(OWNER)
    assert token != key.encrypt(OWNER)  # a fresh nonce each time: equal names do not show as equal
    assert key.decrypt(token) == OWNER
    with pytest.raises(crypto.UnreadableValue):
        other.decrypt(token)
    assert key.phone_hash("+821012345678") == key.phone_hash("+821012345678") != other.phone_hash("+821012345678")


def sqlite_conn(path: Path):
    return create_engine(f"sqlite:///{path}").connect()


def test_backup_archive_members_hold_no_plain_personal_data(tmp_path):
    """Inside the encrypted archive too (once decrypted with the passphrase) the registry's fields stay
    encrypted, under the passphrase's key."""
    import io

    settings = Settings(data_dir=tmp_path / "data")
    sp = SavePets(settings, engine=StandInEngine())
    register(sp)
    sp.close()
    backup(settings, tmp_path / "b.spbak", "passphrase for the test")
    plain = io.BytesIO()
    crypto.unseal(tmp_path / "b.spbak", "passphrase for the test", plain)
    plain.seek(0)
    with tarfile.open(fileobj=plain) as tar:
        for member in tar.getmembers():
            if member.isfile():
                assert secrets_in(tar.extractfile(member).read()) == [], member.name


def test_two_first_starts_at_once_share_one_key(tmp_path):
    """Two processes making the key file at the same moment (two servers starting on a fresh machine): one key."""
    import subprocess
    import sys

    key_file = tmp_path / "race" / "registry.key"
    code = ("import sys; from core import crypto; print(crypto.load_key(sys.argv[1], create=True).key_id)")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(key_file)], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parent.parent) for _ in range(4)]
    ids = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert len(ids) == 1 and ids == {crypto.load_key(key_file, create=False).key_id}
    assert [p.name for p in key_file.parent.iterdir()] == ["registry.key"]  # no temporary file left
