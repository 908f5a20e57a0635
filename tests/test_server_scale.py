"""Past one process: several servers on one MariaDB kept in step over Redis, and the Celery task backend.
Real processes, real MariaDB, real Redis."""

from __future__ import annotations

import subprocess
import time

import pytest

from core.recognition.base import Decision
from tests.serverkit import (
    REDIS_URL,
    Server,
    base_env,
    drop_mysql_database,
    mysql_database_with_redis,
    savepets_command,
    snapshot,
)
from tests.test_server import error_of, lookup, new_dog, photo_files, register


@pytest.fixture
def shared_mysql(tmp_path):
    url = mysql_database_with_redis()
    yield url
    drop_mysql_database(url)


def _eventually(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_two_servers_keep_their_galleries_in_step(shared_mysql, tmp_path):
    data = tmp_path / "data"  # one photo folder, as on a shared volume
    key = Server(shared_mysql, data).key("admin")  # also migrates the database once, before both start
    a = Server(shared_mysql, data, redis_url=REDIS_URL).launch()
    b = Server(shared_mysql, data, redis_url=REDIS_URL).launch()
    try:
        a.wait_ready()
        b.wait_ready()
        dog = new_dog()
        with a.client(key) as ca, b.client(key) as cb:
            assert lookup(cb, dog).json()["decision"] == Decision.NO_MATCH  # b's gallery is loaded, and empty of it
            created = register(ca, dog)
            assert created.status_code == 201, created.text
            number = created.json()["dog"]["registration_number"]
            assert _eventually(lambda: lookup(cb, dog).json()["decision"] == Decision.MATCH), b.log()
            assert lookup(cb, dog).json()["match"]["dog"]["registration_number"] == number
            # b refuses the same nose now, without a restart
            assert error_of(register(cb, dog, files=photo_files(dog, range(5, 10))), 409)
            # a delete on b reaches a
            assert cb.delete(f"/v1/dogs/{number}").status_code == 200
            assert _eventually(lambda: lookup(ca, dog).json()["decision"] == Decision.NO_MATCH), a.log()
    finally:
        a.stop()
        b.stop()


def test_celery_backend_gives_the_same_results(shared_mysql, tmp_path):
    data = tmp_path / "data"
    srv = Server(shared_mysql, data, redis_url=REDIS_URL, task_backend="celery")
    key = srv.key("kiosk")  # migrates the database before the worker and the server start side by side
    env = base_env(shared_mysql, data, redis_url=REDIS_URL, task_backend="celery")
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen([*savepets_command(), "worker", "--pool=solo"], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        srv.start()  # ready only once a worker answers
        with srv.client(key) as c:
            ready = c.get("/v1/ready").json()
            assert ready["ready"] and ready["task_backend"].startswith("celery"), ready
            dog = new_dog()
            created = register(c, dog, owner_name="Kim")
            assert created.status_code == 201, created.text
            number = created.json()["dog"]["registration_number"]
            found = lookup(c, dog).json()
            assert found["decision"] == Decision.MATCH and found["match"]["dog"]["registration_number"] == number
            assert found["match"]["dog"]["owner"]["phone"].startswith("+82")
            assert lookup(c, new_dog()).json()["decision"] == Decision.NO_MATCH
            several = c.post("/v1/lookup", files=photo_files(dog, range(5, 8))).json()  # a list crosses the queue
            assert several["photos_used"] == 3 and several["reason"] == "sure_match"
            assert several["match"]["dog"]["photos"][0]["url"].startswith("/v1/photos/")
            with srv.client(srv.key("admin")) as admin:  # the workers act as the key that asked (the audit's who)
                trail = admin.get("/v1/audit", params={"dog": number}).json()["entries"]
            assert {(e["actor_kind"], e["actor_id"]) for e in trail} == {("api_key", key.split("_")[1])}
            assert [e["action"] for e in trail if e["action"] != "contact_view"] == ["lookup", "lookup", "register"]
            bad = photo_files(dog, range(5, 8))
            bad[2] = ("photos", ("notes.txt", b"not a photo" * 10, "text/plain"))
            err = error_of(c.post("/v1/lookup", files=bad), 422)
            assert err["code"] == "invalid_photo" and err["details"] == {"photo": "notes.txt", "index": 2}
            # errors cross the queue as the same core errors, and change nothing
            before = snapshot(shared_mysql, data)
            err = error_of(register(c, dog, files=photo_files(dog, range(5, 10))), 409)
            assert err["details"]["match"]["dog"]["registration_number"] == number
            files = photo_files(dog)
            files[1] = ("photos", ("cut.jpg", files[1][1][1][:2000], "image/jpeg"))
            assert error_of(register(c, new_dog(), files=files), 422)["code"] == "invalid_photo"
            assert snapshot(shared_mysql, data) == before
    finally:
        srv.stop()
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
