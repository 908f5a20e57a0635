"""/v1/reviews as clients see it: a real `savepets serve` process (stand-in engine), on SQLite and on the real
MariaDB. A look-alike registered through the API is flagged; a person lists the pair and decides."""

from __future__ import annotations

import pytest

from core.recognition.base import Decision
from tests.imaging import dog_photo_bytes, look_alike_photo_bytes
from tests.serverkit import served, snapshot
from tests.test_server import error_of, new_dog, new_phone, photo_files


@pytest.fixture(scope="module", params=["sqlite", "mariadb"])
def server(request, tmp_path_factory):
    with served(request.param, tmp_path_factory.mktemp(f"reviews-{request.param}")) as srv:
        yield srv


@pytest.fixture(scope="module")
def keys(server) -> dict[str, str]:
    return {role: server.key(role, f"{role} reviewer") for role in ("admin", "kiosk", "vet", "mobile")}


@pytest.fixture
def admin(server, keys):
    with server.client(keys["admin"]) as c:
        yield c


def flagged_pair(client):
    """A dog, then a look-alike of it (another owner): the API registers the second and flags the pair."""
    dog, other = new_dog(), new_dog()
    r = client.post("/v1/dogs", data={"phone": new_phone(), "owner_name": "김철수", "name": "초코"},
                    files=photo_files(dog))
    assert r.status_code == 201, r.text
    older = r.json()["dog"]
    files = [("photos", (f"alike-{s}.jpg", look_alike_photo_bytes(dog, other, s), "image/jpeg")) for s in range(5)]
    r = client.post("/v1/dogs", data={"phone": new_phone(), "owner_name": "이영희", "name": "초코2"}, files=files)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["dog"]["needs_review"] and [c["dog"]["id"] for c in body["possible_duplicates"]] == [older["id"]]
    return dog, other, older, body["dog"]


def review_of(client, newer_id: str) -> dict:
    page = client.get("/v1/reviews", params={"limit": 500}).json()
    return next(r for r in page["reviews"] if r["newer"]["id"] == newer_id)


def test_list_shows_both_dogs_with_photo_urls_and_owners(server, admin):
    dog, _, older, newer = flagged_pair(admin)
    page = admin.get("/v1/reviews").json()
    assert page["count"] >= 1 and page["reviews"][0]["newer"]["id"] == newer["id"]  # newest first
    review = page["reviews"][0]
    assert review["older"]["id"] == older["id"] and review["reason"] == "possible_duplicate"
    assert 0.87 <= review["score"] < 0.97 and review["created_at"]
    assert review["older"]["owner"]["phone"].startswith("+82") and review["newer"]["owner"]["name"] == "이영희"
    photo = review["older"]["photos"][0]
    assert photo["url"] == f"/v1/photos/{photo['sha256']}" and len(review["newer"]["photos"]) == 5
    got = admin.get(photo["url"])
    assert got.status_code == 200 and got.content == dog_photo_bytes(dog, photo["position"])


def test_different_dogs_then_again_is_409(server, admin):
    _, _, older, newer = flagged_pair(admin)
    review = review_of(admin, newer["id"])
    r = admin.post(f"/v1/reviews/{review['id']}", json={"same_dog": False})
    assert r.status_code == 200, r.text
    assert r.json()["resolution"] == "different_dogs" and r.json()["owners"] == []
    assert not admin.get(f"/v1/dogs/{older['id']}").json()["needs_review"]
    assert admin.get(f"/v1/dogs/{newer['id']}").status_code == 200
    assert newer["id"] not in {r["newer"]["id"] for r in admin.get("/v1/reviews").json()["reviews"]}
    before = snapshot(server.db_url, server.data_dir)
    err = error_of(admin.post(f"/v1/reviews/{review['id']}", json={"same_dog": True}), 409)
    assert err["code"] == "conflict" and "already resolved" in err["message"]
    assert snapshot(server.db_url, server.data_dir) == before


def test_same_dog_merges_into_the_older_registration(server, keys):
    with server.client(keys["kiosk"]) as kiosk, server.client(keys["admin"]) as admin:
        dog, other, older, newer = flagged_pair(kiosk)
        review = review_of(kiosk, newer["id"])
        before = snapshot(server.db_url, server.data_dir)  # a merge is an administrator's: a kiosk key is refused
        assert error_of(kiosk.post(f"/v1/reviews/{review['id']}", json={"same_dog": True}), 403)["code"] == "forbidden"
        assert snapshot(server.db_url, server.data_dir) == before
        r = admin.post(f"/v1/reviews/{review['id']}", json={"same_dog": True})
        assert r.status_code == 200, r.text
        result = r.json()
        assert result["resolution"] == "same_dog" and result["photos_added"] == 5 and result["owners_differ"]
        assert [o["name"] for o in result["owners"]] == ["김철수", "이영희"]
        assert all(o["phone"].startswith("+82") for o in result["owners"])  # staff call them: not masked
        kept = kiosk.get(f"/v1/dogs/{older['id']}").json()
        assert kept["registration_number"] == older["registration_number"] and len(kept["photos"]) == 10
        assert newer["registration_number"] in kept["notes"] and not kept["needs_review"]
        assert all(p["url"] == f"/v1/photos/{p['sha256']}" for p in result["older"]["photos"])
        assert error_of(kiosk.get(f"/v1/dogs/{newer['id']}"), 404)
        # the merged registration's nose now finds the older registration
        found = kiosk.post("/v1/lookup", files={"photo": ("alike.jpg", look_alike_photo_bytes(dog, other, 8),
                                                          "image/jpeg")}).json()
        assert found["decision"] == Decision.MATCH and found["match"]["dog"]["id"] == older["id"]


def test_roles_ids_and_bodies_are_checked(server, keys, admin):
    _, _, _, newer = flagged_pair(admin)
    review = review_of(admin, newer["id"])
    before = snapshot(server.db_url, server.data_dir)
    for role in ("vet", "mobile"):
        with server.client(keys[role]) as c:
            assert error_of(c.get("/v1/reviews"), 403)["code"] == "forbidden"
            assert error_of(c.post(f"/v1/reviews/{review['id']}", json={"same_dog": True}), 403)
    with server.client() as c:
        assert error_of(c.get("/v1/reviews"), 401)
    assert error_of(admin.post("/v1/reviews/no-such-review", json={"same_dog": True}), 404)["code"] == "not_found"
    for body in ({}, {"same_dog": "yes"}, {"same_dog": 1}, {"same_dog": True, "merge": True}, None):
        r = admin.post(f"/v1/reviews/{review['id']}", json=body)
        assert error_of(r, 422)["code"] == "validation_error", body
    assert error_of(admin.post(f"/v1/reviews/{'x' * 37}", json={"same_dog": True}), 422)
    assert error_of(admin.get("/v1/reviews", params={"limit": 0}), 422)
    assert snapshot(server.db_url, server.data_dir) == before
    assert review_of(admin, newer["id"])["id"] == review["id"]  # still open
