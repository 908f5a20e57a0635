import tarfile

import pytest

from core.backup import backup, restore
from core.errors import InvalidInput
from core.recognition.standin import StandInEngine
from core.schemas import DogIn, OwnerIn
from core.settings import Settings
from core.usecases import SavePets
from tests.imaging import dog_photos


def make(tmp_path, name):
    return Settings(data_dir=tmp_path / name)


def test_backup_and_restore_into_a_new_install(tmp_path):
    src = make(tmp_path, "a")
    sp = SavePets(src, engine=StandInEngine())
    dog = sp.register(OwnerIn(phone="010-1234-5678"), DogIn(name="초코"), dog_photos(1)).dog
    sp.close()
    manifest = backup(src, tmp_path / "b.tar.gz")
    assert manifest["dogs"] == 1 and manifest["photos"] == 5

    dst = make(tmp_path, "b")
    restore(dst, tmp_path / "b.tar.gz")
    sp2 = SavePets(dst, engine=StandInEngine())
    try:
        assert sp2.get_dog(dog.registration_number).name == "초코"
        assert sp2.lookup(dog_photos(1, n=1, first_shot=6)[0]).match.dog.id == dog.id
    finally:
        sp2.close()

    # a registry with dogs is not overwritten by accident
    with pytest.raises(InvalidInput, match="--force"):
        restore(dst, tmp_path / "b.tar.gz")
    restore(dst, tmp_path / "b.tar.gz", force=True)
    assert (dst.data_dir / "registry.sqlite3.before-restore").is_file()


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(InvalidInput, match="not a SavePets backup"):
        restore(make(tmp_path, "x"), junk)
    other = tmp_path / "other.tar.gz"
    (tmp_path / "f.txt").write_text("hi")
    with tarfile.open(other, "w:gz") as tar:
        tar.add(tmp_path / "f.txt", "f.txt")
    with pytest.raises(InvalidInput, match="not a SavePets backup"):
        restore(make(tmp_path, "x"), other)
    assert not (tmp_path / "x" / "registry.sqlite3").exists()


def test_backup_of_an_empty_install_says_so(tmp_path):
    with pytest.raises(InvalidInput, match="no registry"):
        backup(make(tmp_path, "none"), tmp_path / "b.tar.gz")
