"""The typed dog bundle at the protocol's boundary: a malformed push is answered 422 naming the field, with nothing
written (a real `savepets serve` process); a local row that cannot make a valid bundle is reported and does not
block the kiosk's other changes (the core's entry points, in-process)."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import func, select

from core.registry.db import Database
from core.registry.models import Owner, SyncLog, SyncReceived
from core.replication.bundle import DogBundle
from core.replication.push import outgoing_changes
from tests.sync_checks import assert_converged, fresh_dog, fresh_phone, register, server_dogs, sync_all
from tests.sync_remote import CoreRemote

pytest_plugins = ("tests.sync_fixtures",)  # fixtures: server, kiosks


def _set(path: str, value):
    def change(c: dict) -> None:
        *parents, last = path.split(".")
        node = c
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value
    return change


MALFORMED = [  # (what is wrong, the change made to a valid dog change, the field the answer must name)
    ("phone not E.164", _set("state.owner.phone", "010-1234-5678"), "changes.0.dog.state.owner.phone"),
    ("no registration number", _set("state.registration_number", KeyError),
     "changes.0.dog.state.registration_number"),
    ("unknown sex", _set("state.fields.sex", "cat"), "changes.0.dog.state.fields.sex"),
    ("not a time", _set("state.registered_at", "yesterday"), "changes.0.dog.state.registered_at"),
    ("sha256 not hex", _set("state.photos.0.sha256", "z" * 64), "changes.0.dog.state.photos.0.sha256"),
    ("vector shorter than dim", _set("state.templates.0.vector", base64.b64encode(b"\0" * 12).decode()),
     "changes.0.dog.state.templates.0.vector"),
    ("vector not base64", _set("state.templates.0.vector", "not base64!"), "changes.0.dog.state.templates.0.vector"),
    ("clock of no field", _set("clocks.colour", "2026-01-01T00:00:00+00:00"), "changes.0.dog.clocks.colour.[key]"),
    ("a bundle of another dog", _set("entity_id", "another-dog"), "changes.0.dog"),
    ("no such entity", _set("entity", "cat"), "changes.0"),
]


def test_a_malformed_push_is_refused_naming_the_field_and_nothing_is_written(server, kiosks):
    srv, key = server
    auth = {"Authorization": f"Bearer {key}"}
    a = kiosks(srv.url, key)
    before = len(server_dogs(srv.db_url))
    dog = register(a, fresh_dog(), fresh_phone())
    with a.db.sessions() as s:
        (c,) = outgoing_changes(s)
    valid = c.change.model_dump(mode="json")
    db = Database(srv.db_url, upgrade=False)
    try:
        with db.sessions() as s:
            head = s.scalar(select(func.max(SyncLog.seq)))
        for what, spoil, field in MALFORMED:
            change = copy.deepcopy(valid)
            spoil(change)
            body = {"device_id": a.device_id, "sent_at": datetime.now(UTC).isoformat(), "changes": [change]}
            r = requests.post(f"{srv.url}/v1/sync/push", json=body, headers=auth, timeout=30)
            assert r.status_code == 422, (what, r.text)
            error = r.json()["error"]
            assert error["code"] == "validation_error" and field in error["message"], (what, error)
            assert field in [e["field"] for e in error["details"]["errors"]], (what, error)
        # nothing of any of them was written
        assert dog.id not in server_dogs(srv.db_url)
        with db.sessions() as s:
            assert s.get(SyncReceived, c.change_id) is None
            assert s.scalar(select(func.max(SyncLog.seq))) == head
    finally:
        db.dispose()
    # the valid change itself goes through
    from sync.client import SyncClient

    sync_all([SyncClient(a)])
    assert_converged(srv.db_url, [a], before + 1, [dog.id])


def test_a_local_row_that_cannot_travel_is_reported_and_blocks_nothing(kiosks, tmp_path):
    """A registry row the bundle refuses (here an owner's phone written around the use cases): the kiosk reports it
    as rejected, with the field, and its other changes go through."""
    remote = CoreRemote(f"sqlite:///{tmp_path / 'server' / 'registry.sqlite3'}", tmp_path / "server")
    try:
        a = kiosks()
        bad = register(a, fresh_dog(), fresh_phone())
        good = register(a, fresh_dog(), fresh_phone())
        with a.db.session() as s:
            s.get(Owner, bad.owner.id).phone = "not a phone"
        client = remote.client(a)
        report = client.sync_once()
        assert client.status.state == "online" and client.status.pending == 0
        assert report.rejected == 1 and report.pushed == 1
        assert bad.id in report.errors[0] and "owner.phone" in report.errors[0]
        assert set(server_dogs(remote.db_url)) == {good.id}
        assert "owner.phone" in a.db.meta("sync_rejected")
    finally:
        remote.close()


@pytest.mark.parametrize("erased", [False, True])
def test_the_bundle_travels_as_before(erased, kiosks):
    """The wire form is the one kiosks and servers of the previous release read and write: times in UTC ISO 8601,
    enums as values, `erased_at` only for an erased owner, `redacted` only for a redacted one; `org_id` is new (an
    older reader ignores it); read back, it is the same bundle."""
    a = kiosks()
    dog = register(a, fresh_dog(), fresh_phone())
    if erased:
        a.erase_owner(dog.owner.phone)
    with a.db.sessions() as s:
        (c,) = outgoing_changes(s)
    wire = c.change.state.model_dump(mode="json")
    assert set(wire) == {"id", "registration_number", "registered_at", "created_at", "updated_at", "deleted_at",
                         "origin_device", "org_id", "fields", "owner", "photos", "templates"}
    assert ("erased_at" in wire["owner"]) is erased and "redacted" not in wire["owner"]
    assert wire["registered_at"].endswith("+00:00") and wire["fields"]["sex"] == "unknown"
    assert len(wire["templates"]) == (0 if erased else 5)
    assert DogBundle.model_validate(wire) == c.change.state
