"""Backups: encrypted with a passphrase, restorable on another machine (another registry key), refusing what
is not a backup, a wrong passphrase or a damaged file with a clear error and nothing changed."""

import base64
import io
import json
import os
import shutil
import sqlite3
import tarfile
import time

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from core import crypto
from core.backup import backup, restore
from core.errors import InvalidInput
from core.recognition.standin import StandInEngine
from core.registry.db import Database, head_revision
from core.schemas import DogIn, OwnerIn
from core.settings import Settings
from core.usecases import SavePets
from kiosk.cli import EXIT_INVALID, app
from tests.imaging import dog_photos

PASS = "개구리 연못 7 steps"


def make(tmp_path, name):
    return Settings(data_dir=tmp_path / name)


@pytest.fixture
def other_machine(tmp_path, monkeypatch):
    """From here on, this process is another machine: its own registry key file."""
    def switch(name="other"):
        monkeypatch.setenv("SAVEPETS_KEY_FILE", str(tmp_path / f"{name}.key"))
    return switch


def registered(settings, phone="010-1234-5678", owner="김철수", notes=""):
    sp = SavePets(settings, engine=StandInEngine())
    try:
        return sp.register(OwnerIn(phone=phone, name=owner), DogIn(name="초코", notes=notes), dog_photos(1)).dog
    finally:
        sp.close()


def test_backup_and_restore_on_another_machine(tmp_path, other_machine):
    src = make(tmp_path, "a")
    dog = registered(src)
    manifest = backup(src, tmp_path / "b.spbak", PASS)
    assert manifest["dogs"] == 1 and manifest["photos"] == 5 and manifest["encrypted"]
    home_key = crypto.load_key(create=False)

    other_machine()
    assert crypto.load_key(create=False) is None  # nothing of the first machine's key here
    dst = make(tmp_path, "b")
    restore(dst, tmp_path / "b.spbak", PASS)
    sp2 = SavePets(dst, engine=StandInEngine())
    try:
        assert sp2.db.key.key_id != home_key.key_id  # a new key made here, the data re-encrypted with it
        got = sp2.get_dog(dog.registration_number)
        assert (got.name, got.owner.name, got.owner.phone) == ("초코", "김철수", "+821012345678")
        assert sp2.find_owner("01012345678").id == dog.owner.id  # the phone hash is this machine's too
        assert sp2.lookup(dog_photos(1, n=1, first_shot=6)[0]).match.dog.id == dog.id
    finally:
        sp2.close()

    # a registry with dogs is not overwritten by accident
    with pytest.raises(InvalidInput, match="--force"):
        restore(dst, tmp_path / "b.spbak", PASS)
    restore(dst, tmp_path / "b.spbak", PASS, force=True)
    assert (dst.data_dir / "registry.sqlite3.before-restore").is_file()


def test_the_backup_never_carries_the_machine_key(tmp_path):
    src = make(tmp_path, "a")
    registered(src)
    backup(src, tmp_path / "b.spbak", PASS)
    secret = base64.b64decode(open(os.environ["SAVEPETS_KEY_FILE"]).read())
    key_file_text = base64.b64encode(secret)
    plain = io.BytesIO()
    keys = crypto.unseal(tmp_path / "b.spbak", PASS, plain)
    raw = (tmp_path / "b.spbak").read_bytes()
    for blob in (raw, plain.getvalue()):
        assert secret not in blob and key_file_text not in blob
    with tarfile.open(fileobj=io.BytesIO(plain.getvalue())) as tar:
        registry = tar.extractfile("registry.sqlite3").read()
    assert secret not in registry and key_file_text not in registry
    # inside, the registry's fields are under the passphrase's key and say so
    snap = tmp_path / "snap.sqlite3"
    snap.write_bytes(registry)
    with sqlite3.connect(snap) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'encryption_key_id'").fetchone()[0] \
            == keys.registry.key_id != crypto.load_key(create=False).key_id


def test_wrong_passphrase_or_damaged_backup_changes_nothing(tmp_path):
    src = make(tmp_path, "a")
    registered(src)
    backup(src, tmp_path / "b.spbak", PASS)
    dst = make(tmp_path, "b")
    with pytest.raises(crypto.WrongPassphrase, match="Wrong passphrase"):
        restore(dst, tmp_path / "b.spbak", "not the passphrase")
    with pytest.raises(crypto.WrongPassphrase, match="give its passphrase"):
        restore(dst, tmp_path / "b.spbak", None)
    raw = bytearray((tmp_path / "b.spbak").read_bytes())
    raw[len(raw) // 2] ^= 1
    (tmp_path / "damaged.spbak").write_bytes(raw)
    with pytest.raises(crypto.DamagedArchive, match="damaged"):
        restore(dst, tmp_path / "damaged.spbak", PASS)
    cut = (tmp_path / "b.spbak").read_bytes()
    (tmp_path / "cut.spbak").write_bytes(cut[:len(cut) - 100])
    with pytest.raises(crypto.DamagedArchive, match="damaged or cut short"):
        restore(dst, tmp_path / "cut.spbak", PASS)
    assert not (dst.data_dir / "registry.sqlite3").exists()
    with pytest.raises(crypto.WeakPassphrase, match="at least 8"):
        backup(src, tmp_path / "short.spbak", "short")
    assert not (tmp_path / "short.spbak").exists()


def test_a_backup_made_before_encryption_restores_encrypted(tmp_path):
    """A plain .tar.gz of a registry at revision 0004 (what `savepets backup` made before): restored, its owners'
    data encrypted on the way in."""
    old_db = tmp_path / "old" / "registry.sqlite3"
    old = Database(f"sqlite:///{old_db}", upgrade=False)
    old.upgrade("0004_review_resolution")
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO owners (id, phone, name, created_at, updated_at) VALUES "
                          "('o1', '+821055501234', '박영희', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO dogs (id, owner_id, registration_number, registered_at, name, breed, sex, "
                          "notes, status, created_at, updated_at) VALUES ('d1', 'o1', '2601010900ㅂㄹ1234', "
                          "'2026-01-01 00:00:00', '보리', '', 'male', '', 'home', '2026-01-01 00:00:00', "
                          "'2026-01-01 00:00:00')"))
    old.dispose()
    (tmp_path / "m.json").write_text('{"app": "savepets", "version": "0.1.0", "dogs": 1, "photos": 0, '
                                     '"created_at": "2026-01-02T00:00:00+00:00"}')
    with tarfile.open(tmp_path / "old.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "m.json", "savepets-backup.json")
        tar.add(old_db, "registry.sqlite3")
    dst = make(tmp_path, "b")
    restore(dst, tmp_path / "old.tar.gz", None)
    db_file = dst.data_dir / "registry.sqlite3"
    assert "박영희".encode() not in db_file.read_bytes() and b"55501234" not in db_file.read_bytes()
    sp = SavePets(dst, engine=StandInEngine())
    try:
        dog = sp.get_dog("2601010900ㅂㄹ1234")
        assert (dog.owner.name, dog.owner.phone) == ("박영희", "+821055501234")
    finally:
        sp.close()


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(InvalidInput, match="not a SavePets backup"):
        restore(make(tmp_path, "x"), junk, None)
    other = tmp_path / "other.tar.gz"
    (tmp_path / "f.txt").write_text("hi")
    with tarfile.open(other, "w:gz") as tar:
        tar.add(tmp_path / "f.txt", "f.txt")
    with pytest.raises(InvalidInput, match="not a SavePets backup"):
        restore(make(tmp_path, "x"), other, None)
    assert not (tmp_path / "x" / "registry.sqlite3").exists()


def test_backup_of_an_empty_install_says_so(tmp_path):
    with pytest.raises(InvalidInput, match="no registry"):
        backup(make(tmp_path, "none"), tmp_path / "b.spbak", PASS)


def test_cli_backup_and_restore_passphrase(tmp_path, monkeypatch, other_machine):
    monkeypatch.setenv("SAVEPETS_ENGINE", "standin")
    monkeypatch.delenv("SAVEPETS_BACKUP_PASSPHRASE", raising=False)
    src, dst = tmp_path / "a", tmp_path / "b"
    registered(Settings(data_dir=src))
    runner = CliRunner()

    def run(*args, input=None, **env):
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        r = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
        r.text = " ".join(r.output.split())
        return r

    # no passphrase and nothing to ask it on (CI): a clear error, exit 2, no file
    r = run("backup", tmp_path / "1.spbak", "--data-dir", src)
    assert r.exit_code == EXIT_INVALID and "--passphrase-file" in r.text and not (tmp_path / "1.spbak").exists()
    # asked twice on the terminal
    r = run("backup", tmp_path / "1.spbak", "--data-dir", src, input=f"{PASS}\n{PASS}\n")
    assert r.exit_code == 0 and "encrypted" in r.text, r.output
    # for scripts: a file, or the environment
    (tmp_path / "pass.txt").write_text(PASS + "\n")
    r = run("backup", tmp_path / "2.spbak", "--data-dir", src, "--passphrase-file", tmp_path / "pass.txt")
    assert r.exit_code == 0, r.output
    r = run("backup", tmp_path / "3.spbak", "--data-dir", src, SAVEPETS_BACKUP_PASSPHRASE=PASS)
    assert r.exit_code == 0, r.output
    r = run("backup", tmp_path / "4.spbak", "--data-dir", src, SAVEPETS_BACKUP_PASSPHRASE="short")
    assert r.exit_code == EXIT_INVALID and "at least 8" in r.text
    # long enough but guessable: refused with the strength check's reason, no file
    r = run("backup", tmp_path / "5.spbak", "--data-dir", src, SAVEPETS_BACKUP_PASSPHRASE="password123")
    assert r.exit_code == EXIT_INVALID and "too easy to guess" in r.text and "very common password" in r.text, r.text
    assert not (tmp_path / "5.spbak").exists()

    other_machine()
    monkeypatch.delenv("SAVEPETS_BACKUP_PASSPHRASE")
    r = run("restore", tmp_path / "1.spbak", "--data-dir", dst, input="wrong passphrase\n")
    assert r.exit_code == EXIT_INVALID and "Wrong passphrase" in r.text
    assert not (dst / "registry.sqlite3").exists()
    r = run("restore", tmp_path / "2.spbak", "--data-dir", dst, input=f"{PASS}\n")
    assert r.exit_code == 0 and "Restored 1 dog and 5 photos" in r.text, r.output
    r = run("dogs", "list", "--data-dir", dst)
    assert r.exit_code == 0 and "김철수" in r.text
    shutil.rmtree(dst)
    r = run("restore", tmp_path / "3.spbak", "--data-dir", dst, "--passphrase-file", tmp_path / "pass.txt")
    assert r.exit_code == 0, r.output


# ------------------------------------------------------------------------------------- the passphrase, the header
def header_of(path) -> dict:
    raw = path.read_bytes()
    m = len(crypto.ARCHIVE_MAGIC)
    return json.loads(raw[m + 4:m + 4 + int.from_bytes(raw[m:m + 4], "big")])


def test_new_backups_use_scrypt_2_17_and_a_weak_passphrase_is_refused(tmp_path):
    src = make(tmp_path, "a")
    registered(src)
    backup(src, tmp_path / "b.spbak", PASS)
    assert {k: header_of(tmp_path / "b.spbak")[k] for k in ("kdf", "n", "r", "p")} == \
        {"kdf": "scrypt", "n": 2 ** 17, "r": 8, "p": 1}
    for weak, why in (("password123", "very common password"), ("qwertyuiop", "common password"),
                      ("savepets2026", "too easy to guess")):
        with pytest.raises(crypto.WeakPassphrase, match=why) as info:
            backup(src, tmp_path / "weak.spbak", weak)
        assert "of 4" in info.value.message and not (tmp_path / "weak.spbak").exists()


@pytest.fixture(scope="module")
def one_backup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("one")
    src = Settings(data_dir=tmp / "a")
    registered(src)
    backup(src, tmp / "b.spbak", PASS)
    return tmp / "b.spbak"


def crafted(src, dst, header_length: int | None = None, **changes) -> None:
    """`src` with its header changed as someone crafting a file would (the rest, its check value too, as it was)."""
    raw = src.read_bytes()
    m = len(crypto.ARCHIVE_MAGIC)
    n = int.from_bytes(raw[m:m + 4], "big")
    header = json.dumps({**json.loads(raw[m + 4:m + 4 + n]), **changes}).encode()
    length = len(header) if header_length is None else header_length
    dst.write_bytes(raw[:m] + length.to_bytes(4, "big") + header + raw[m + 4 + n:])


@pytest.mark.parametrize("changes, says", [
    ({"n": 2 ** 30}, "n=1073741824"),
    ({"r": 1000}, "r=1000"),
    ({"p": 64}, "p=64"),
    ({"n": 2 ** 18, "r": 16}, "more memory or work"),
    ({"n": 3 * 2 ** 14}, "not a power of two"),
    ({"n": "32768"}, "n='32768'"),
    ({"chunk": 2 ** 31}, "chunk=2147483648"),
    ({"salt": base64.b64encode(os.urandom(600)).decode()}, "salt \\(600 bytes\\)"),
    ({"kdf": "pbkdf2"}, "unknown format"),
    ({"header_length": 2 ** 31}, "header claims 2147483648 bytes"),
])
def test_a_crafted_header_is_refused_at_once_and_nothing_restored(tmp_path, one_backup, changes, says):
    """Every value of the header is bounded before it is used: a file asking for gigabytes of scrypt memory, hours
    of work or a huge chunk is refused in milliseconds with what is wrong, and nothing is restored."""
    crafted(one_backup, tmp_path / "crafted.spbak", **changes)
    dst = make(tmp_path, "b")
    started = time.perf_counter()
    with pytest.raises(crypto.DamagedArchive, match=says):
        restore(dst, tmp_path / "crafted.spbak", PASS)
    assert time.perf_counter() - started < 2
    assert not (dst.data_dir / "registry.sqlite3").exists() and not (dst.data_dir / "photos").exists()


def test_a_backup_made_by_the_previous_version_restores(tmp_path, other_machine):
    """What the version before made: scrypt with n=2**15, and a registry at 0008 whose fields are encrypted under
    the passphrase's key without their place (v1). Restored on another machine: upgraded (0009), re-keyed, read."""
    src = make(tmp_path, "a")
    dog = registered(src, notes="옆집 이영희 씨가 맡아 줌")
    header = {"format": 1, "kdf": "scrypt", "n": 2 ** 15, "r": 8, "p": 1,
              "salt": base64.b64encode(os.urandom(16)).decode(), "nonce": base64.b64encode(os.urandom(7)).decode(),
              "chunk": crypto.CHUNK}
    keys = crypto.PassphraseKeys(PASS, header)
    work = tmp_path / "work"
    work.mkdir()
    with sqlite3.connect(src.data_dir / "registry.sqlite3") as live, sqlite3.connect(work / "registry.sqlite3") as snap:
        live.backup(snap)
    snap_db = Database(f"sqlite:///{work / 'registry.sqlite3'}", key=crypto.load_key(create=False))
    snap_db.rekey(keys.registry)
    snap_db.downgrade("0008_devices")
    with snap_db.engine.connect() as conn:
        assert not conn.execute(text("SELECT phone FROM owners")).scalar().startswith("v2:")
    snap_db.dispose()
    (work / "savepets-backup.json").write_text(json.dumps({"app": "savepets", "version": "0.1.0", "dogs": 1,
                                                           "photos": 0, "created_at": "2026-12-01T00:00:00+00:00"}))
    with open(tmp_path / "old.spbak", "wb") as f:
        sealed = crypto.SealedWriter(f, keys)
        with tarfile.open(fileobj=sealed, mode="w:gz") as tar:
            tar.add(work / "savepets-backup.json", "savepets-backup.json")
            tar.add(work / "registry.sqlite3", "registry.sqlite3")
        sealed.close()
    assert header_of(tmp_path / "old.spbak")["n"] == 2 ** 15

    other_machine()
    dst = make(tmp_path, "b")
    restore(dst, tmp_path / "old.spbak", PASS)
    sp = SavePets(dst, engine=StandInEngine())
    try:
        assert sp.db.current_revision() == head_revision()  # upgraded (0009 re-encrypts with the place, and on)
        got = sp.get_dog(dog.id)
        assert (got.owner.name, got.owner.phone, got.notes) == ("김철수", "+821012345678", "옆집 이영희 씨가 맡아 줌")
        assert sp.find_owner("01012345678").id == dog.owner.id
    finally:
        sp.close()
