"""Checks and data helpers shared by the sync tests: fresh dogs (own photo seeds, phones and registration
minutes per test, since tests share one server per module) and the convergence check."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from core.registry.db import Database
from core.registry.models import Dog, NosePhoto, Outbox, Owner
from core.schemas import DogIn, OwnerIn
from tests.imaging import dog_photos

_seeds = itertools.count(1000)
_phones = itertools.count(1000)
_minutes = itertools.count(0)


def fresh_dog() -> int:
    return next(_seeds)


def fresh_phone(last4: str | None = None) -> str:
    n = next(_phones)
    return f"010-{n:04d}-{last4 or f'{n:04d}'}"


def fresh_minute() -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=next(_minutes))


def register(sp, dog: int, phone: str, name: str = "초코", at: datetime | None = None, shot: int = 0):
    return sp.register(OwnerIn(phone=phone, name=f"owner {phone[-4:]}"), DogIn(name=name),
                       dog_photos(dog, first_shot=shot), registered_at=at).dog


def live_dogs(db) -> dict[str, tuple[str, str]]:
    with db.sessions() as s:
        rows = s.execute(select(Dog.id, Dog.registration_number, Owner.phone).join(Owner)
                         .where(Dog.deleted_at.is_(None))).all()
    return {r.id: (r.registration_number, r.phone) for r in rows}


def server_dogs(url: str) -> dict[str, tuple[str, str]]:
    db = Database(url, upgrade=False)
    try:
        return live_dogs(db)
    finally:
        db.dispose()


def assert_converged(server_url: str, kiosks: list, expected_total: int,
                     must_have: list[str] = ()) -> dict[str, tuple[str, str]]:
    """Every registration exactly once on the server and on every kiosk, identical everywhere."""
    db = Database(server_url, upgrade=False)
    try:
        on_server = live_dogs(db)
        with db.sessions() as s:
            numbers = Counter(s.scalars(select(Dog.registration_number)))
            phones = Counter(s.scalars(select(Owner.phone)))
    finally:
        db.dispose()
    assert len(on_server) == expected_total
    assert set(must_have) <= set(on_server)
    assert max(numbers.values()) == 1 and max(phones.values()) == 1
    for sp in kiosks:
        assert live_dogs(sp.db) == on_server, f"kiosk {sp.device_id[:8]} differs from the server"
        with sp.db.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Outbox).where(Outbox.pushed_at.is_(None))) == 0
            shas = s.scalars(select(NosePhoto.sha256).join(Dog).where(Dog.deleted_at.is_(None))).all()
        assert len(shas) == 5 * expected_total and all(sp.store.exists(sha) for sha in shas)
    return on_server


def sync_all(clients, rounds: int = 2) -> None:
    for _ in range(rounds):
        for c in clients:
            report = c.sync_once()
            assert c.status.state == "online", (c.status, report)


