"""One registration per nose across threads, processes and replicas (the registration lock in the database and the
gallery's tail), a nose registered twice before that still refusing a third copy, and the Idempotency-Key header.
Two real `savepets serve` replicas on one fresh MariaDB database with the real Redis; in-process on SQLite and
MariaDB."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text

from core.errors import AlreadyRegistered
from core.recognition.base import Decision
from core.registry.models import ReviewFlag, utcnow
from core.schemas import DogIn, OwnerIn
from tests.imaging import dog_photos
from tests.serverkit import REDIS_URL, Server, drop_mysql_database, mysql_database_with_redis, snapshot
from tests.test_server import error_of, lookup, new_dog, new_phone, photo_files, register

FIGURES: dict[str, object] = {}  # printed at the end of the module (pytest -s): the figures


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    """Two replicas on one database and one photo folder (a shared volume), kept in step over Redis."""
    url = mysql_database_with_redis()
    data = tmp_path_factory.mktemp("replicas") / "data"
    key = Server(url, data).key("admin")  # migrates the database once, before both start
    a = Server(url, data, redis_url=REDIS_URL).launch()
    b = Server(url, data, redis_url=REDIS_URL).launch()
    try:
        a.wait_ready()
        b.wait_ready()
        yield a, b, key
    finally:
        a.stop()
        b.stop()
        drop_mysql_database(url)
        if FIGURES:
            print(f"\nreplica figures: {FIGURES}")


def dogs_in(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM dogs WHERE deleted_at IS NULL")).scalar()
    finally:
        engine.dispose()


def at_once(n: int, post) -> list:
    """post(i) for i in range(n) from n threads released together; their results in order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = post(i)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return results


# ------------------------------------------------------------------------------------------- two replicas
def test_one_nose_eight_times_at_once_on_two_replicas_is_registered_once(replicas):
    a, b, key = replicas
    before = dogs_in(a.db_url)
    dog = new_dog()

    def post(i: int):
        srv = a if i % 2 == 0 else b
        with srv.client(key, timeout=180) as c:  # each with other photos of the same nose, another owner
            return register(c, dog, files=photo_files(dog, range(5 * i, 5 * i + 5)))

    answers = at_once(8, post)
    statuses = sorted(r.status_code if hasattr(r, "status_code") else repr(r) for r in answers)
    FIGURES["same_nose_8_at_once"] = {"accepted": statuses.count(201), "refused": statuses.count(409)}
    assert statuses == [201] + [409] * 7, [r.text if hasattr(r, "text") else r for r in answers]
    number = next(r.json() for r in answers if r.status_code == 201)["dog"]["registration_number"]
    for r in answers:
        if r.status_code == 409:
            err = error_of(r, 409)
            assert err["code"] == "already_registered", err
            assert err["details"]["match"]["dog"]["registration_number"] == number
    assert dogs_in(a.db_url) == before + 1


def test_a_dog_registered_on_one_replica_is_found_on_the_other_within_2_s(replicas):
    a, b, key = replicas
    with a.client(key) as ca, b.client(key) as cb:
        times = []
        for registrar, finder in ((ca, cb), (cb, ca)):
            dog = new_dog()
            created = register(registrar, dog)
            assert created.status_code == 201, created.text
            t0 = time.monotonic()
            while (found := lookup(finder, dog).json())["decision"] != Decision.MATCH:
                assert time.monotonic() - t0 < 2.0, found
                time.sleep(0.05)
            times.append(round(time.monotonic() - t0, 3))
            assert found["match"]["dog"]["registration_number"] == created.json()["dog"]["registration_number"]
    FIGURES["visible_on_other_replica_s"] = times
    assert max(times) < 2.0


def test_different_dogs_at_once_on_two_replicas_are_all_registered(replicas):
    a, b, key = replicas
    before = dogs_in(a.db_url)
    dogs = [new_dog() for _ in range(8)]

    def post(i: int):
        with (a if i % 2 == 0 else b).client(key, timeout=180) as c:
            return register(c, dogs[i])

    answers = at_once(8, post)
    assert [getattr(r, "status_code", r) for r in answers] == [201] * 8, [getattr(r, "text", r) for r in answers]
    assert dogs_in(a.db_url) == before + 8


def test_idempotency_key_replays_the_first_answer_on_either_replica(replicas):
    a, b, key = replicas
    dog, phone = new_dog(), new_phone()
    headers = {"Idempotency-Key": f"reg-{dog}"}
    with a.client(key) as ca, b.client(key) as cb:
        first = ca.post("/v1/dogs", data={"phone": phone, "name": "초코"}, files=photo_files(dog), headers=headers)
        assert first.status_code == 201, first.text
        after = snapshot(a.db_url, a.data_dir)
        for c in (ca, cb):  # the client lost the answer; the retry may land on either replica
            again = c.post("/v1/dogs", data={"phone": phone, "name": "초코"}, files=photo_files(dog), headers=headers)
            assert again.status_code == 201 and again.json() == first.json(), again.text
            assert again.headers["Location"] == first.headers["Location"]
            assert again.headers["Idempotent-Replayed"] == "true"
        assert snapshot(a.db_url, a.data_dir) == after  # nothing registered again

        # the same key with another request: refused, nothing runs
        other = cb.post("/v1/dogs", data={"phone": phone, "name": "보리"}, files=photo_files(dog), headers=headers)
        err = error_of(other, 422)
        assert err["code"] == "idempotency_key_reused" and "Idempotency-Key" in err["message"], err
        other = ca.post("/v1/lookup", files=photo_files(dog, [5]), headers=headers)
        assert error_of(other, 422)["code"] == "idempotency_key_reused"
        assert snapshot(a.db_url, a.data_dir) == after

        # look-ups: the same answer
        hl = {"Idempotency-Key": f"look-{dog}"}
        found = [c.post("/v1/lookup", files=photo_files(dog, [6]), headers=hl) for c in (ca, cb)]
        assert [f.status_code for f in found] == [200, 200] and found[0].json() == found[1].json()
        assert found[0].json()["decision"] == Decision.MATCH

        # the key is scoped to the API key: another key's request with the same header value runs
        with b.client(b.key("admin", "other")) as other_key:
            fresh = register(other_key, new_dog())
            assert fresh.status_code == 201
            fresh = other_key.post("/v1/dogs", data={"phone": new_phone(), "name": "두부"},
                                   files=photo_files(new_dog()), headers=headers)
            assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers
            assert fresh.json()["dog"]["id"] != first.json()["dog"]["id"]

        # 1 to 64 characters
        assert error_of(ca.post("/v1/lookup", files=photo_files(dog, [7]), headers={"Idempotency-Key": "x" * 65}),
                        422)["code"] == "validation_error"


def test_idempotency_key_retry_with_the_same_refusal(replicas):
    a, b, key = replicas
    dog, phone = new_dog(), new_phone()
    with a.client(key) as ca, b.client(key) as cb:
        assert register(ca, dog).status_code == 201
        h = {"Idempotency-Key": f"refused-{dog}"}
        data = {"phone": phone, "name": "초코"}
        first = ca.post("/v1/dogs", data=data, files=photo_files(dog, range(5, 10)), headers=h)
        assert error_of(first, 409)["code"] == "already_registered"
        before = snapshot(a.db_url, a.data_dir)
        again = cb.post("/v1/dogs", data=data, files=photo_files(dog, range(5, 10)), headers=h)
        assert again.status_code == 409 and again.json() == first.json()
        assert snapshot(a.db_url, a.data_dir) == before


# ------------------------------------------------------------------------------------------- in one process
@pytest.mark.parametrize("processes", [1, 2], ids=["one-service", "two-services"])
def test_two_threads_registering_one_nose_register_it_once(settings, processes):
    """Two threads of one service, or of two services on one registry (two processes), at once: one is accepted."""
    from core.recognition.standin import StandInEngine
    from core.usecases import SavePets

    services = [SavePets(settings, engine=StandInEngine()) for _ in range(processes)]
    try:
        for sp in services:
            assert len(sp.gallery) == 0  # loaded before: each gallery is empty of the dog
        shots = [dog_photos(7, first_shot=0), dog_photos(7, first_shot=5)]

        def post(i: int):
            return services[i % processes].register(OwnerIn(phone=f"010-5555-000{i}"), DogIn(name=f"초코{i}"),
                                                    shots[i])

        results = at_once(2, post)
        accepted = [r for r in results if not isinstance(r, Exception)]
        refused = [r for r in results if isinstance(r, AlreadyRegistered)]
        assert len(accepted) == 1 and len(refused) == 1, results
        assert refused[0].details["match"]["dog"]["id"] == accepted[0].dog.id
        assert services[0].counts()["dogs"] == 1
    finally:
        for sp in services:
            sp.close()


def _second_copy(sp, dog: int, first_shot: int):
    """A copy of a registered nose written as it could be before the registration lock: no screening at all."""
    photos = dog_photos(dog, first_shot=first_shot)
    result = sp._write_registration(OwnerIn(phone="010-5555-7777"), DogIn(name="복사"), photos,
                                    sp.engine.embed([p.image for p in photos]), [1.0] * 5, utcnow())
    sp._gallery_add(result.dog.id)
    return result.dog


def test_a_nose_registered_twice_still_refuses_a_third_copy(standin_service):
    sp = standin_service
    first = sp.register(OwnerIn(phone="010-5555-1111"), DogIn(name="초코"), dog_photos(3)).dog
    second = _second_copy(sp, 3, first_shot=5)
    probe = dog_photos(3, n=1, first_shot=15)[0]
    looked = sp.lookup(probe)  # look-ups are unchanged: two dogs alike are for a person
    assert looked.decision == Decision.UNCERTAIN and {c.dog.id for c in looked.candidates} >= {first.id, second.id}
    before = sp.counts()
    with pytest.raises(AlreadyRegistered) as exc:
        sp.register(OwnerIn(phone="010-5555-2222"), DogIn(name="세번째"), dog_photos(3, first_shot=10))
    assert exc.value.details["match"]["dog"]["id"] == first.id  # the older registration
    assert sp.counts() == before


def test_two_copies_a_person_found_different_are_left_to_a_person(standin_service):
    sp = standin_service
    first = sp.register(OwnerIn(phone="010-5555-1111"), DogIn(name="초코"), dog_photos(4)).dog
    second = _second_copy(sp, 4, first_shot=5)
    with sp.db.session() as s:
        s.add(ReviewFlag(dog_id=second.id, other_dog_id=first.id, score=0.9, resolved=True,
                         resolution="different_dogs"))
    third = sp.register(OwnerIn(phone="010-5555-2222"), DogIn(name="세번째"), dog_photos(4, first_shot=10))
    assert third.dog.needs_review and {c.dog.id for c in third.possible_duplicates} >= {first.id, second.id}


def test_one_idempotency_key_sent_twice_at_once_registers_once(replicas):
    """A client that retries before the first answer came: one registration; the other gets it or a 409 to retry."""
    a, b, key = replicas
    before = dogs_in(a.db_url)
    dog, phone = new_dog(), new_phone()
    h = {"Idempotency-Key": f"twice-{dog}"}

    def post(i: int):
        with (a if i % 2 == 0 else b).client(key, timeout=180) as c:
            return c.post("/v1/dogs", data={"phone": phone, "name": "초코"}, files=photo_files(dog), headers=h)

    answers = at_once(2, post)
    assert sorted(r.status_code for r in answers) in ([201, 201], [201, 409]), [r.text for r in answers]
    assert dogs_in(a.db_url) == before + 1
    with b.client(key) as c:  # and the retry after that gets the registration
        again = c.post("/v1/dogs", data={"phone": phone, "name": "초코"}, files=photo_files(dog), headers=h)
    assert again.status_code == 201 and again.json() == next(r.json() for r in answers if r.status_code == 201)
