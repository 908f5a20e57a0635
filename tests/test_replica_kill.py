"""A replica killed under load: clients keep registering distinct dogs through nginx (two replicas on one MariaDB
database with Redis) with an Idempotency-Key each, retrying on connection errors, 502/503/504 and "still being
answered" (409 with Retry-After), while one replica is killed with SIGKILL mid-run. No registration a client saw
accepted (201) is lost, no dog is registered twice, and each Idempotency-Key stands for at most one dog.

Bounded: CLIENTS threads of DOGS_EACH dogs, DEADLINE_S in all; a key whose first request died with the replica stays
"being answered" on the surviving one until idempotency.ABANDONED, so a client gives up on it after GIVE_UP_S."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.proxykit import Nginx, nginx_or_skip
from tests.serverkit import REDIS_URL, Server, drop_mysql_database, mysql_database_with_redis
from tests.test_server import new_dog, new_phone, photo_files

CLIENTS, DOGS_EACH = 4, 6
KILL_AFTER_ANSWERS = 5  # the replica is killed once this many registrations have been answered
DEADLINE_S, GIVE_UP_S = 240.0, 20.0


@pytest.fixture
def proxied_pair(tmp_path):
    nginx_or_skip()
    url = mysql_database_with_redis()
    data = tmp_path / "data"
    key = Server(url, data).key("admin", "kill")
    settings = {"redis_url": REDIS_URL, "trusted_proxies": "127.0.0.1"}
    a = Server(url, data, **settings).launch()
    b = Server(url, data, **settings).launch()
    proxy = None
    try:
        a.wait_ready()
        b.wait_ready()
        proxy = Nginx(tmp_path / "nginx", [a.port, b.port]).start()
        yield proxy, a, b, key, url
    finally:
        if proxy is not None:
            proxy.stop()
        a.stop()
        b.stop()
        drop_mysql_database(url)


def register_until_answered(client: httpx.Client, dog: int, deadline: float, log: list) -> tuple[str, dict | None]:
    """POST /v1/dogs with one Idempotency-Key until a final answer: ('created', body), ('refused', body) or
    ('unresolved', None) when the key stayed in progress past GIVE_UP_S or the deadline passed."""
    data = {"phone": new_phone(), "name": f"kill-{dog}"}
    files = photo_files(dog)
    headers = {"Idempotency-Key": f"kill-{dog}"}
    in_progress_since = None
    while time.monotonic() < deadline:
        try:
            r = client.post("/v1/dogs", data=data, files=files, headers=headers)
        except httpx.TransportError as exc:  # the connection to nginx broke: send it again
            log.append(f"transport {type(exc).__name__}")
            time.sleep(0.2)
            continue
        if r.status_code == 201:
            return "created", r.json()
        if r.status_code in (502, 503, 504):
            log.append(str(r.status_code))
            time.sleep(0.2)
            continue
        if r.status_code == 409 and "Retry-After" in r.headers:  # the first request with this key is in progress
            log.append("409 in progress")
            in_progress_since = in_progress_since or time.monotonic()
            if time.monotonic() - in_progress_since > GIVE_UP_S:
                return "unresolved", None
            time.sleep(float(r.headers["Retry-After"]))
            continue
        if r.status_code == 409:
            return "refused", r.json()
        raise AssertionError(f"unexpected answer {r.status_code}: {r.text[:300]}")
    return "unresolved", None


def test_a_replica_killed_under_load_loses_no_accepted_registration_and_makes_no_duplicate(proxied_pair):
    proxy, a, b, key, url = proxied_pair
    dogs = [[new_dog() for _ in range(DOGS_EACH)] for _ in range(CLIENTS)]
    outcomes: dict[int, tuple[str, dict | None]] = {}
    retries: list[str] = []
    answered = threading.Semaphore(0)
    deadline = time.monotonic() + DEADLINE_S

    def client_loop(mine: list[int]) -> None:
        with proxy.client(key, timeout=120) as c:
            for dog in mine:
                outcomes[dog] = register_until_answered(c, dog, deadline, retries)
                answered.release()

    threads = [threading.Thread(target=client_loop, args=(mine,)) for mine in dogs]
    for t in threads:
        t.start()
    for _ in range(KILL_AFTER_ANSWERS):
        assert answered.acquire(timeout=DEADLINE_S), "no registrations answered before the kill"
    in_flight = CLIENTS * DOGS_EACH - len(outcomes)
    b.proc.kill()  # SIGKILL: no graceful shutdown, requests in progress on it are cut off
    b.proc.wait(10)
    for t in threads:
        t.join(max(1.0, deadline - time.monotonic() + 30))
    assert not any(t.is_alive() for t in threads), "clients still running past the deadline"
    assert in_flight > 0

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, registration_number, name FROM dogs WHERE name LIKE 'kill-%' "
                                     "AND deleted_at IS NULL")).all()
            keys_done = conn.execute(text("SELECT idem_key, status FROM idempotency_keys "
                                          "WHERE idem_key LIKE 'kill-%'")).all()
    finally:
        engine.dispose()
    by_name: dict[str, list] = {}
    for row in rows:
        by_name.setdefault(row.name, []).append(row)
    duplicates = {n: len(rs) for n, rs in by_name.items() if len(rs) > 1}
    assert not duplicates, f"dogs registered more than once: {duplicates}"  # one dog per name, one name per key
    created = {dog: body for dog, (kind, body) in outcomes.items() if kind == "created"}
    for dog, body in created.items():  # every 201 a client saw is in the database, as answered
        there = by_name.get(f"kill-{dog}")
        assert there and there[0].id == body["dog"]["id"], f"accepted registration of kill-{dog} lost"
        assert there[0].registration_number == body["dog"]["registration_number"]
    for dog, (kind, body) in outcomes.items():
        if kind == "refused":  # only possible as the key's own registration, committed before its answer was lost
            assert body["error"]["code"] == "already_registered", body
            assert body["error"]["details"]["match"]["dog"]["id"] == by_name[f"kill-{dog}"][0].id
    assert len(rows) <= CLIENTS * DOGS_EACH
    assert len({k.idem_key for k in keys_done}) == len(keys_done)
    unresolved = sorted(d for d, (kind, _) in outcomes.items() if kind == "unresolved")
    assert len(unresolved) <= in_flight  # only requests cut off on the killed replica can be left in progress
    assert len(created) >= CLIENTS * DOGS_EACH - in_flight, outcomes  # the survivor took the rest
    assert a.proc.poll() is None and httpx.get(a.url + "/v1/ready", timeout=10).status_code == 200
    print(f"\nreplica kill: {len(created)} created, {len(outcomes) - len(created) - len(unresolved)} refused as "
          f"their own earlier registration, {len(unresolved)} left in progress by the killed replica "
          f"({sum(1 for d in unresolved if f'kill-{d}' in by_name)} of them registered), {in_flight} not yet "
          f"answered at the kill; client retries: {sorted(set(retries))} x{len(retries)}")
