"""A shared registry to attack: a real `savepets serve` process on the machine's MariaDB with two organisations
(a shelter and a clinic), the app's organisation, and a dog of each, for the tests that play a malicious kiosk or
a malicious app (tests/test_attack_*.py). Each attack asserts the refusal *and* that `fingerprint` is unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.imaging import dog_photo_bytes
from tests.serverkit import Server, served

# what an attack must not change: the registry's data (audit entries and rate-limit state may grow)
DATA_TABLES = ("owners", "dogs", "nose_photos", "nose_templates", "review_flags", "sync_entity", "sync_id_map",
               "api_keys", "devices", "organisations")
VICTIM_PHONE = "010-4321-8765"
VICTIM_OWNER = "홍길동"
VICTIM_NOTE = "Call 홍길동 on 010-4321-8765 after 6 pm"


def fingerprint(db_url: str) -> dict[str, str]:
    """One digest per table over every row, in primary-key order."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            out = {}
            for table in DATA_TABLES:
                rows = conn.execute(text(f"SELECT * FROM {table}")).all()
                out[table] = hashlib.sha256(repr(sorted(repr(tuple(r)) for r in rows)).encode()).hexdigest()
            return out
    finally:
        engine.dispose()


def photo_files(dog: int, shots=range(5)) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("photos", (f"dog{dog}-{s}.jpg", dog_photo_bytes(dog, s), "image/jpeg")) for s in shots]


@dataclass
class World:
    server: Server
    keys: dict[str, str]  # admin (operator), kiosk_a (shelter A), kiosk_b and vet_b (clinic B), mobile (the app)
    dogs: dict[str, dict] = field(default_factory=dict)  # victim (clinic B's), own (shelter A's): RegisterResult

    def client(self, who: str) -> httpx.Client:
        return self.server.client(self.keys[who])

    def fingerprint(self) -> dict[str, str]:
        return fingerprint(self.server.db_url)


def register(client: httpx.Client, dog: int, phone: str, owner: str = "", name: str = "초코", **fields) -> dict:
    r = client.post("/v1/dogs", data={"phone": phone, "owner_name": owner, "name": name, **fields},
                    files=photo_files(dog))
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="module")
def world(tmp_path_factory, request) -> Iterator[World]:
    """The module's shared world; a test module may set WORLD_SETTINGS (server settings, e.g. notify_smtp)."""
    settings = getattr(request.module, "WORLD_SETTINGS", {})
    with served("mariadb", tmp_path_factory.mktemp("attack"), **settings) as srv:
        keys = {"admin": srv.key("admin", "operator"),
                "kiosk_a": srv.key("kiosk", "Shelter A front desk", org="Shelter A"),
                "kiosk_b": srv.key("kiosk", "Clinic B kiosk", org="Clinic B"),
                "vet_b": srv.key("vet", "Clinic B vet", org="Clinic B"),
                "mobile": srv.key("mobile", "iOS app", org="SavePets app")}
        w = World(srv, keys)
        with w.client("kiosk_b") as c:
            w.dogs["victim"] = register(c, 910_001, VICTIM_PHONE, VICTIM_OWNER, name="바둑이", notes=VICTIM_NOTE)
        with w.client("kiosk_a") as c:
            w.dogs["own"] = register(c, 910_002, "010-2222-3333", "김철수", name="초코")
        yield w
