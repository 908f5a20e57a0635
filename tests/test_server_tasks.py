"""What the Celery task backend puts in Redis, and what a worker agrees to run (sync/server/tasks.py).

Real processes (`savepets serve`, `savepets worker`), real MariaDB, real Redis, read with redis-py: a message holds
ids and a signed actor, never an owner's phone or name; the payload waits sealed and goes once run; a message
whose actor is altered, unsigned or signed with another key is refused and changes nothing; register and look-up
still work end to end.
"""

from __future__ import annotations

import base64
import json
import subprocess
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from core.crypto import RegistryKey
from core.recognition.base import Decision
from core.settings import Settings
from sync.server import ops, tasks
from tests.attackkit import fingerprint
from tests.imaging import dog_photo_bytes
from tests.serverkit import (
    REDIS_URL,
    Server,
    base_env,
    savepets_command,
)
from tests.test_server import lookup, new_dog, new_phone, register
from tests.test_server_scale import _eventually, shared_mysql  # noqa: F401 - shared_mysql: a fixture

OWNER = "김민지 Trustworthy"
DOG_NAME = "보리"


@pytest.fixture
def rds():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@contextmanager
def worker(db_url: str, data, log_path):
    env = base_env(db_url, data, redis_url=REDIS_URL, task_backend="celery")
    log = open(log_path, "wb")  # noqa: SIM115
    proc = subprocess.Popen([*savepets_command(), "worker", "--pool=solo"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def needles(phone: str, *names: str) -> list[bytes]:
    """Every way a phone or name could show in a message: as typed, digits only, E.164, UTF-8 and JSON-escaped."""
    digits = phone.replace("-", "")
    found = [phone, digits, "+82" + digits[1:], digits[3:]]
    for name in names:
        found += [name, json.dumps(name)[1:-1]]
    return [n.encode("utf-8") for n in found]


def leaked(blob: bytes, what: list[bytes]) -> list[bytes]:
    return [n for n in what if n in blob]


def audit_count(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM audit_events")).scalar()
    finally:
        engine.dispose()


def org_of_dog(db_url: str, number: str) -> str:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT o.name FROM dogs d JOIN organisations o ON o.id = d.org_id "
                                     "WHERE d.registration_number = :n"), {"n": number}).scalar()
    finally:
        engine.dispose()


def org_id(db_url: str, name: str) -> str:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT id FROM organisations WHERE name = :n"), {"n": name}).scalar()
    finally:
        engine.dispose()


def test_redis_holds_no_owner_data_in_clear_and_celery_still_registers_and_looks_up(shared_mysql, tmp_path, rds):  # noqa: F811
    data = tmp_path / "data"
    srv = Server(shared_mysql, data, redis_url=REDIS_URL, task_backend="celery")
    key = srv.key("kiosk", "Shelter A desk", org="Shelter A")  # migrates before the server and the worker start
    settings = Settings(db_url=shared_mysql, data_dir=data)
    queue, namespace = tasks.queue_name(settings), tasks.payload_namespace(settings)
    phone, dog = new_phone(), new_dog()
    secret = needles(phone, OWNER, DOG_NAME)
    srv.launch()
    try:
        with srv.client() as c:  # up, though not ready: no worker answers yet
            assert _eventually(lambda: _health(c), 60), srv.log()
        answer: dict = {}
        with srv.client(key, timeout=180) as c:
            sender = threading.Thread(target=lambda: answer.update(
                r=register(c, dog, phone=phone, owner_name=OWNER, name=DOG_NAME)))
            sender.start()
            # no worker yet: the message waits in the queue, read as it lies in Redis
            assert _eventually(lambda: rds.llen(queue) == 1, 30), srv.log()
            (raw,) = rds.lrange(queue, 0, -1)
            envelope = json.loads(raw)
            body = base64.b64decode(envelope["body"])
            assert leaked(raw, secret) == [] and leaked(body, secret) == [], (raw, body)
            args, kwargs, _embed = json.loads(body)
            assert args == [] and set(kwargs) == {"ref", "actor", "sig"}, kwargs
            assert kwargs["actor"]["kind"] == "api_key" and kwargs["actor"]["id"] == key.split("_")[1]
            assert len(raw) < 4000  # ids, not photos
            # the payload: sealed, short-lived, named by the message's ref
            stored = rds.keys(namespace + ":*")
            assert stored == [f"{namespace}:{kwargs['ref']}".encode()]
            sealed = rds.get(stored[0])
            assert leaked(sealed, secret) == [] and b"\xff\xd8\xff" not in sealed  # no JPEG in clear either
            assert len(sealed) > sum(len(dog_photo_bytes(dog, s)) for s in range(5))  # the photos are in it
            assert 0 < rds.ttl(stored[0]) <= tasks.PAYLOAD_TTL_S

            with worker(shared_mysql, data, tmp_path / "worker.log"):
                sender.join(180)
                created = answer["r"]
                assert created.status_code == 201, created.text
                number = created.json()["dog"]["registration_number"]
                assert created.json()["dog"]["owner"]["name"] == OWNER
                assert rds.keys(namespace + ":*") == []  # taken by the worker
                assert org_of_dog(shared_mysql, number) == "Shelter A"  # the signed actor's organisation
                found = lookup(c, dog).json()
                assert found["decision"] == Decision.MATCH, found
                assert found["match"]["dog"]["registration_number"] == number
                assert found["match"]["dog"]["owner"]["phone"] == "+82" + phone.replace("-", "")[1:]
                assert lookup(c, new_dog()).json()["decision"] == Decision.NO_MATCH
                # a stray of the same dog taken in: its case is opened and searched on the worker too
                case = c.post("/v1/found", data={"found_at": "2026-12-01T09:00:00+09:00", "place": "합정역"},
                              files=[("photos", ("s.jpg", dog_photo_bytes(dog, 7), "image/jpeg"))])
                assert case.status_code == 201, case.text
                assert case.json()["registered"] and case.json()["reunions"][0]["dog"]["registration_number"] == number
                assert rds.keys(namespace + ":*") == []
        # results went back sealed, and were deleted once read
        for name in rds.keys("celery-task-meta-*"):
            assert leaked(rds.get(name) or b"", secret) == [], name
    finally:
        srv.stop()


def _health(client) -> bool:
    try:
        return client.get("/v1/health").status_code == 200
    except Exception:  # noqa: BLE001 - not listening yet
        return False


def test_a_forged_or_unsigned_message_is_refused_and_changes_nothing(shared_mysql, tmp_path, rds):  # noqa: F811
    from celery import Celery

    from core.registry.db import Database

    data = tmp_path / "data"
    srv = Server(shared_mysql, data)
    srv.key("kiosk", "Shelter A desk", org="Shelter A")  # migrates; two organisations to steal between
    srv.key("kiosk", "Clinic B desk", org="Clinic B")
    org_a, org_b = org_id(shared_mysql, "Shelter A"), org_id(shared_mysql, "Clinic B")
    db = Database(shared_mysql)
    keys = ops.task_keys(db.key)  # the registry's own key, as a server of it has
    db.dispose()
    settings = Settings(db_url=shared_mysql, data_dir=data)
    queue = tasks.queue_name(settings)
    payloads = ops.TaskPayloads(rds, keys, tasks.payload_namespace(settings), 300)

    dog, phone = new_dog(), new_phone()
    photos = [(f"dog{dog}-{s}.jpg", dog_photo_bytes(dog, s)) for s in range(5)]
    owner, details = {"phone": phone, "name": OWNER}, {"name": DOG_NAME}
    reg, look = "savepets.register", "savepets.lookup"
    ref = payloads.put(reg, photos, owner, details)
    look_ref = payloads.put(look, photos[:1])
    actor = {"kind": "api_key", "id": "a1b2c3d4e5f6", "name": "Shelter A desk", "role": "kiosk", "org": org_a,
             "device": None}
    sig = keys.sign(reg, ref, actor)
    stranger = ops.TaskKeys(RegistryKey.generate()[0])  # another registry's key
    legacy = [owner, details, [[label, base64.b64encode(b).decode()] for label, b in photos], actor]
    forged = {
        "actor moved to another organisation": (reg, [], {"ref": ref, "actor": {**actor, "org": org_b}, "sig": sig}),
        "actor made admin": (reg, [], {"ref": ref, "actor": {**actor, "role": "admin"}, "sig": sig}),
        "actor made another key": (reg, [], {"ref": ref, "actor": {**actor, "id": "ffffffffffff"}, "sig": sig}),
        "unsigned": (reg, [], {"ref": ref, "actor": actor}),
        "no actor": (reg, [], {"ref": ref, "sig": sig}),
        "signed with another registry's key": (reg, [], {"ref": ref, "actor": actor,
                                                         "sig": stranger.sign(reg, ref, actor)}),
        "a signature of another payload": (reg, [], {"ref": look_ref, "actor": actor, "sig": sig}),
        "an older server's message, data in clear": (reg, legacy, {}),
        "a look-up with an altered actor": (look, [], {"ref": look_ref, "actor": {**actor, "org": org_b},
                                                       "sig": keys.sign(look, look_ref, actor)}),
    }

    forger = Celery("forger", broker=REDIS_URL, backend=REDIS_URL)
    forger.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])

    def send(name: str, args: list, kwargs: dict) -> dict:
        result = forger.send_task(name, args=args, kwargs=kwargs, queue=queue)
        try:
            return result.get(timeout=120)
        finally:
            result.forget()

    before, audited = fingerprint(shared_mysql), audit_count(shared_mysql)
    log_path = tmp_path / "worker.log"
    with worker(shared_mysql, data, log_path):
        for what, (name, args, kwargs) in forged.items():
            answer = send(name, args, kwargs)
            assert ops.is_refusal(answer), (what, answer)
            assert answer["error"]["details"]["reason"] == "signature", (what, answer)
            assert fingerprint(shared_mysql) == before, what
            assert audit_count(shared_mysql) == audited, what
            assert rds.exists(f"{payloads.namespace}:{ref}") and rds.exists(f"{payloads.namespace}:{look_ref}")
        # the same payload with the actor as signed: it runs, as that actor, in that actor's organisation
        done = ops.open_result(keys, reg, ref, send(reg, [], {"ref": ref, "actor": actor, "sig": sig}))
        number = done["dog"]["registration_number"]
        assert done["dog"]["owner"]["phone"] == "+82" + phone.replace("-", "")[1:]
        assert org_of_dog(shared_mysql, number) == "Shelter A"
        after = fingerprint(shared_mysql)
        assert after != before
        # played again, it finds its payload gone: refused, nothing changes
        again = send(reg, [], {"ref": ref, "actor": actor, "sig": sig})
        assert ops.is_refusal(again) and again["error"]["details"]["reason"] == "no_payload", again
        assert fingerprint(shared_mysql) == after
        assert not rds.exists(f"{payloads.namespace}:{ref}")
    payloads.discard(look_ref)
    refusals = log_path.read_text(errors="replace").count("and ran nothing")
    assert refusals == len(forged) + 1, log_path.read_text(errors="replace")
    assert leaked(log_path.read_bytes(), needles(phone, OWNER, DOG_NAME)) == []  # nothing of the payloads logged

