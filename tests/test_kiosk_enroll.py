"""A kiosk enrolled with a one-time code (savepets sync enroll) against a real server process: the key lands in the
keyring's stand-in (no keyring backend here: the private file), never in the config file; a config file's old
api_key moves out; a revoked device's sync says so; a bad code exits 2; the kiosk refuses to edit another
organisation's dog."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.serverkit import base_env, free_port, savepets_command, served


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served("sqlite", tmp_path_factory.mktemp("enroll-server")) as srv:
        r = server_cli(srv, "orgs", "add", "Shelter A", "--json")
        assert r.returncode == 0, r.stderr
        yield srv


def server_cli(srv, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*savepets_command(), *args], env=base_env(srv.db_url, srv.data_dir), capture_output=True,
                          text=True, timeout=120)


def new_code(srv, name: str = "Front desk") -> str:
    r = server_cli(srv, "devices", "enroll", "--org", "Shelter A", "--role", "kiosk", "--name", name, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["code"]


class Kiosk:
    """A kiosk's own folders: data, config file, the private key file (no keyring backend in the tests)."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.config = root / "config" / "config.toml"
        self.key_file = root / "config" / "device-keys.json"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAVEPETS_")}
        env.update({"SAVEPETS_CONFIG": str(self.config), "SAVEPETS_DATA_DIR": str(self.data),
                    "SAVEPETS_API_KEY_FILE": str(self.key_file), "SAVEPETS_ENGINE": "standin",
                    "SAVEPETS_KEY_FILE": os.environ["SAVEPETS_KEY_FILE"],
                    "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", "COLUMNS": "400"})
        return env

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*savepets_command(), *args], env=self.env(), capture_output=True, text=True,
                              timeout=180)

    def stored_keys(self) -> dict:
        return json.loads(self.key_file.read_text()) if self.key_file.exists() else {}

    def config_values(self) -> dict:
        return tomllib.loads(self.config.read_text()) if self.config.exists() else {}

    def meta(self, key: str) -> str | None:
        import sqlite3

        with sqlite3.connect(self.data / "registry.sqlite3") as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None


@pytest.fixture
def kiosk(tmp_path) -> Kiosk:
    return Kiosk(tmp_path)


def test_enroll_keeps_the_key_out_of_the_config_file_and_sync_uses_it(server, kiosk):
    r = kiosk.cli("sync", "enroll", "--server", server.url, "--code", new_code(server), "--name", "Desk 1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Shelter A" in r.stdout and "Desk 1" in r.stdout
    keys = kiosk.stored_keys()
    assert list(keys) == [f"api-key:{kiosk.data.resolve()}"] and next(iter(keys.values())).startswith("sp_")
    assert stat.S_IMODE(kiosk.key_file.stat().st_mode) == 0o600
    cfg = kiosk.config_values()
    assert cfg["server_url"] == server.url and "api_key" not in cfg
    assert next(iter(keys.values())) not in kiosk.config.read_text()
    assert not any(next(iter(keys.values())).encode() in p.read_bytes() for p in kiosk.data.rglob("*") if p.is_file())
    assert kiosk.meta("org_name") == "Shelter A" and kiosk.meta("org_id")
    with server.client(next(iter(keys.values()))) as c:
        assert c.get("/v1/devices/me").json()["org_id"] == kiosk.meta("org_id")

    r = kiosk.cli("sync", "--json")  # no key given: the stored one
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["state"] == "online"


def test_a_revoked_kiosk_is_told_so_by_sync(server, kiosk):
    r = kiosk.cli("sync", "enroll", "--server", server.url, "--code", new_code(server, "Stolen kiosk"), "--json")
    assert r.returncode == 0, r.stderr
    device = json.loads(r.stdout)["device_id"]
    assert "key_stored_in" in json.loads(r.stdout) and "sp_" not in r.stdout
    r = server_cli(server, "devices", "revoke", device)
    assert r.returncode == 0, r.stderr
    r = kiosk.cli("sync")
    assert r.returncode == 1
    assert "revoked" in r.stderr and "enroll" in r.stderr, r.stderr


def test_a_bad_code_exits_2_with_the_servers_message(server, kiosk):
    r = kiosk.cli("sync", "enroll", "--server", server.url, "--code", "AAAA-BBBB-CCCC-DDDD")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "not valid" in r.stderr and "savepets devices enroll" in r.stderr
    assert not kiosk.key_file.exists() and "server_url" not in kiosk.config_values()


def test_plain_http_to_another_machine_and_no_server_are_refused(server, kiosk):
    code = new_code(server)
    r = kiosk.cli("sync", "enroll", "--server", "http://192.0.2.10:8000", "--code", code)
    assert r.returncode == 2 and "https" in r.stderr, r.stderr
    r = kiosk.cli("sync", "enroll", "--server", f"http://127.0.0.1:{free_port()}", "--code", code)
    assert r.returncode == 1 and "cannot be reached" in r.stderr, r.stderr
    assert not kiosk.key_file.exists()
    r = kiosk.cli("sync", "enroll", "--server", server.url, "--code", code)  # the code was not used up
    assert r.returncode == 0, r.stderr


def test_an_api_key_in_the_config_file_moves_to_the_store(server, kiosk):
    key = server.key("kiosk", "Old kiosk", org="Shelter A")
    kiosk.config.parent.mkdir(parents=True)
    kiosk.config.write_text(f'server_url = "{server.url}"\napi_key = "{key}"\nlanguage = "en"\n')
    r = kiosk.cli("sync", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "moved the API key from the config file" in r.stderr
    assert kiosk.config_values() == {"server_url": server.url, "language": "en"}
    assert kiosk.stored_keys() == {f"api-key:{kiosk.data.resolve()}": key}
    r = kiosk.cli("sync", "--json")  # the next start reads it from the store
    assert r.returncode == 0 and "moved" not in r.stderr, r.stderr


def test_the_environment_variable_still_wins(tmp_path, monkeypatch):
    from core.settings import Settings
    from kiosk import credentials

    monkeypatch.setenv("SAVEPETS_API_KEY_FILE", str(tmp_path / "keys.json"))
    settings = Settings(data_dir=tmp_path / "data")
    credentials.store_api_key(settings.data_dir, "sp_stored")
    monkeypatch.setenv("SAVEPETS_API_KEY", "sp_from_env")
    assert credentials.resolve_api_key(settings) == "sp_from_env"
    monkeypatch.delenv("SAVEPETS_API_KEY")
    assert credentials.resolve_api_key(settings) == "sp_stored"
    assert credentials.resolve_api_key(settings, "sp_given") == "sp_given"
    credentials.forget_api_key(settings.data_dir)
    assert credentials.load_api_key(settings.data_dir) is None


def test_the_kiosk_refuses_to_edit_another_organisations_dog(tmp_path):
    from core.errors import PermissionDenied
    from core.recognition.standin import StandInEngine
    from core.registry.models import Dog, DogStatus
    from core.schemas import DogIn, DogUpdate, OwnerIn
    from core.settings import Settings
    from core.usecases import SavePets
    from tests.imaging import dog_photos

    sp = SavePets(Settings(data_dir=tmp_path / "kiosk", engine="standin"), engine=StandInEngine())
    try:
        theirs = sp.register(OwnerIn(phone="010-5555-6666", name="홍길동"), DogIn(name="바둑이"),
                             dog_photos(920_001)).dog
        ours = sp.register(OwnerIn(phone="010-7777-8888", name="김철수"), DogIn(name="초코"), dog_photos(920_002)).dog
        sp.db.set_meta("org_id", "org-a")
        with sp.db.session() as s:
            s.get(Dog, theirs.id).org_id = "org-b"
            s.get(Dog, ours.id).org_id = "org-a"
        assert sp.is_other_org(sp.get_dog(theirs.id)) and not sp.is_other_org(sp.get_dog(ours.id))
        with pytest.raises(PermissionDenied, match="another organisation") as exc:
            sp.update_dog(theirs.id, DogUpdate(name="Stolen"))
        assert exc.value.details["action"] == "other_org"
        with pytest.raises(PermissionDenied, match="another organisation"):
            sp.update_dog(theirs.id, DogUpdate(status=DogStatus.LOST, notes="x"))
        with pytest.raises(PermissionDenied, match="another organisation"):
            sp.set_status(theirs.id, DogStatus.DECEASED)
        with pytest.raises(PermissionDenied, match="remove"):
            sp.delete_dog(theirs.id)
        assert sp.set_status(theirs.id, DogStatus.LOST).status == DogStatus.LOST
        assert sp.set_status(theirs.id, DogStatus.FOUND).status == DogStatus.FOUND
        assert sp.get_dog(theirs.id).name == "바둑이"
        assert sp.update_dog(ours.id, DogUpdate(name="초코2")).name == "초코2"
        sp.delete_dog(ours.id)
    finally:
        sp.close()


def test_the_settings_page_enrolls_with_a_code_and_names_the_organisation(server, qtbot, tmp_path, monkeypatch):
    from tests.kiosk_fixtures import make_kiosk, wait_idle

    monkeypatch.setenv("SAVEPETS_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("SAVEPETS_API_KEY_FILE", str(tmp_path / "device-keys.json"))
    k = make_kiosk(qtbot, tmp_path, str(tmp_path / "no-camera"))
    try:
        page = k.window.settings_page
        assert "Not enrolled" in page.org_label.text() and not hasattr(page, "api_key")
        page.server_url.setText(server.url)
        page.enroll_code.setText("short")
        page.enroll()
        assert "16 letters" in page.enroll_message.text()
        page.enroll_code.setText("AAAA-BBBB-CCCC-DDDD")
        page.enroll()
        qtbot.waitUntil(lambda: "not accepted" in page.enroll_message.text(), timeout=20_000)
        page.server_url.setText("http://192.0.2.10:8000")
        page.enroll()
        qtbot.waitUntil(lambda: "https://" in page.enroll_message.text(), timeout=20_000)
        page.server_url.setText(f"http://127.0.0.1:{free_port()}")
        page.enroll()
        qtbot.waitUntil(lambda: "cannot be reached" in page.enroll_message.text(), timeout=30_000)
        page.server_url.setText(server.url)
        page.enroll_code.setText(new_code(server, "Lobby kiosk"))
        page.enroll()
        qtbot.waitUntil(lambda: "Enrolled as" in page.enroll_message.text(), timeout=20_000)
        wait_idle(qtbot, k)
        assert page.org_label.text() == "Shelter A" and page.enroll_code.text() == ""
        assert k.settings.server_url == server.url and k.settings.api_key.startswith("sp_")
        assert "api_key" not in (tmp_path / "config.toml").read_text()
        qtbot.waitUntil(lambda: k.sync_status().state == "online", timeout=30_000)
    finally:
        k.stop()


def test_the_registry_page_offers_only_lost_or_found_for_another_organisations_dog(qtbot, tmp_path):
    from core.actors import acting_as, cli_actor
    from core.registry.models import Dog
    from core.schemas import DogIn, OwnerIn
    from tests.imaging import dog_photos
    from tests.kiosk_fixtures import make_kiosk, wait_idle

    k = make_kiosk(qtbot, tmp_path, str(tmp_path / "no-camera"))
    try:
        sp = k.controller.service
        with acting_as(cli_actor()):
            theirs = sp.register(OwnerIn(phone="010-5555-6666", name="홍길동"), DogIn(name="바둑이"),
                                 dog_photos(920_003)).dog
        sp.db.set_meta("org_id", "org-a")
        with sp.db.session() as s:
            dog = s.get(Dog, theirs.id)
            dog.org_id = "org-b"
            dog.owner.phone, dog.owner.name = "", ""  # pulled redacted
        k.window.show_page("registry")
        page = k.window.registry
        page.refresh()
        qtbot.waitUntil(lambda: any(d.id == theirs.id for d in page.dogs), timeout=20_000)  # opens choosing no dog
        wait_idle(qtbot, k)
        page.show_dog(next(d for d in page.dogs if d.id == theirs.id))  # a tap on its row
        wait_idle(qtbot, k)
        assert "contact available online" in page.contact.text()
        assert "another organisation" in page.message.text()
        assert not page.name_edit.isEnabled() and not page.save_button.isEnabled()
        assert not page.delete_button.isEnabled()
        assert page.status_buttons["lost"].isEnabled() and not page.status_buttons["home"].isEnabled()
    finally:
        k.stop()


def test_an_enrolled_kiosk_leaves_merges_and_erasures_to_the_server(tmp_path):
    """The server refuses both from a kiosk's key, so an enrolled kiosk refuses them before anything local changes
    (a merge half-applied here would delete the newer dog on the server and leave the review open)."""
    from core.errors import PermissionDenied
    from core.recognition.standin import StandInEngine
    from core.settings import Settings
    from core.usecases import SavePets
    from tests.test_reviews import flagged_pair, table_counts

    sp = SavePets(Settings(data_dir=tmp_path / "kiosk", engine="standin"), engine=StandInEngine())
    try:
        older, newer = flagged_pair(sp)
        sp.db.set_meta("org_id", "org-a")
        before = table_counts(sp)
        flag = sp.list_reviews().reviews[0]
        with pytest.raises(PermissionDenied, match="decided there by an administrator") as exc:
            sp.resolve_review(flag.id, same_dog=True)
        assert exc.value.details["action"] == "server_only"
        with pytest.raises(PermissionDenied, match="erasure"):
            sp.erase_owner("010-1234-5678")
        assert table_counts(sp) == before and sp.find_owner("010-1234-5678") is not None
        assert sp.resolve_review(flag.id, same_dog=False).resolution == "different_dogs"  # still the kiosk's
    finally:
        sp.close()
