"""Organisations, devices and one-time enrollment codes, through a real server process and the command line."""

from __future__ import annotations

import json
import subprocess

from tests.attackkit import World, fingerprint
from tests.serverkit import base_env, savepets_command


def cli(w: World, *args: str) -> subprocess.CompletedProcess:
    env = base_env(w.server.db_url, w.server.data_dir)
    return subprocess.run([*savepets_command(), *args], env=env, capture_output=True, text=True, timeout=120)


def enroll_code(w: World, org: str, role: str = "kiosk", name: str = "New kiosk") -> str:
    r = cli(w, "devices", "enroll", "--org", org, "--role", role, "--name", name, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["code"]


def test_a_code_enrolls_one_device_of_its_organisation_once(world):
    code = enroll_code(world, "Shelter A")
    with world.server.client() as anon:
        r = anon.post("/v1/devices/enroll", json={"code": code.lower().replace("-", " "), "name": "Desk 2"})
        assert r.status_code == 201, r.text
        got = r.json()
        assert got["role"] == "kiosk" and got["org_name"] == "Shelter A" and got["name"] == "Desk 2"
        with world.server.client(got["key"]) as c:
            me = c.get("/v1/devices/me").json()
            assert me["device_id"] == got["device_id"] and me["org_id"] == got["org_id"]
        before = fingerprint(world.server.db_url)
        again = anon.post("/v1/devices/enroll", json={"code": code})
        assert again.status_code == 422 and again.json()["error"]["code"] == "invalid_enrollment_code"
        wrong = anon.post("/v1/devices/enroll", json={"code": "AAAA-BBBB-CCCC-DDDD"})
        assert wrong.status_code == 422
        assert fingerprint(world.server.db_url) == before


def test_revoking_a_device_stops_its_key_at_once(world):
    code = enroll_code(world, "Clinic B", name="Stolen kiosk")
    with world.server.client() as anon:
        got = anon.post("/v1/devices/enroll", json={"code": code}).json()
    with world.server.client(got["key"]) as c:
        assert c.get("/v1/devices/me").status_code == 200
        r = cli(world, "devices", "revoke", got["device_id"])
        assert r.returncode == 0, r.stderr
        assert "Revoked kiosk device" in r.stdout
        refused = c.get("/v1/devices/me")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    listed = json.loads(cli(world, "devices", "list", "--org", "Clinic B", "--json").stdout)
    stolen = next(d for d in listed if d["id"] == got["device_id"])
    assert stolen["revoked_at"] is not None and stolen["keys"] == 0


def test_bad_enrollment_input_is_refused_clearly(world):
    r = cli(world, "devices", "enroll", "--org", "No Such Org", "--name", "x")
    assert r.returncode != 0 and "No organisation" in (r.stdout + r.stderr)
    r = cli(world, "devices", "enroll", "--org", "Shelter A", "--role", "root", "--name", "x")
    assert r.returncode == 2 and "unknown role" in r.stderr.lower()
    with world.server.client() as anon:
        r = anon.post("/v1/devices/enroll", json={"code": "x"})
        assert r.status_code == 422 and "code" in r.json()["error"]["message"]
        r = anon.post("/v1/devices/enroll", json={"code": "AAAA-BBBB-CCCC-DDDD", "org_id": "default"})
        assert r.status_code == 422  # the organisation comes from the code, never from the body


def test_a_dog_belongs_to_the_organisation_of_the_key_that_registered_it(world):
    from sqlalchemy import create_engine, text

    engine = create_engine(world.server.db_url)
    with engine.connect() as conn:
        org_of = dict(conn.execute(text(
            "SELECT d.id, o.name FROM dogs d JOIN organisations o ON o.id = d.org_id")).all())
    engine.dispose()
    assert org_of[world.dogs["victim"]["dog"]["id"]] == "Clinic B"
    assert org_of[world.dogs["own"]["dog"]["id"]] == "Shelter A"


def test_existing_keys_and_dogs_migrate_into_the_default_organisation(db_url):
    """A server made before organisations: each key becomes a device of the default organisation and keeps
    working; every dog belongs to that organisation."""
    from sqlalchemy import text

    from core.registry.db import Database
    from sync.server.keys import KeyStore

    old = Database(db_url, upgrade=False)
    old.upgrade("0001")
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO owners (id, phone, name, created_at, updated_at) VALUES ('o1', "
                          "'+821012345678', '김철수', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO dogs (id, owner_id, registration_number, registered_at, name, breed, sex, notes,"
                          " status, created_at, updated_at) VALUES ('d1', 'o1', '2601010900ㅊㅋ5678',"
                          " '2026-01-01 00:00:00', '초코', '', 'female', '', 'home', '2026-01-01 00:00:00',"
                          " '2026-01-01 00:00:00')"))
    old.upgrade("0007_audit_events")
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO api_keys (id, name, role, secret_hash, created_at) "
                          "VALUES ('abcdef012345', 'old kiosk', 'kiosk', :h, '2026-01-01 00:00:00')"),
                     {"h": KeyStore(old)._hasher.hash("s3cret")})
    old.dispose()
    new = Database(db_url)
    try:
        principal = KeyStore(new).verify("sp_abcdef012345_s3cret")
        assert principal is not None and principal.org_id == "default" and principal.device_id
        with new.engine.connect() as conn:
            assert conn.execute(text("SELECT org_id FROM dogs WHERE id = 'd1'")).scalar() == "default"
    finally:
        new.dispose()
