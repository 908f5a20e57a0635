"""`savepets templates rebuild` (issue 23) through the real command, on SQLite and MariaDB: after a model change
(the stand-in engine's version moved on) every photo gets one template of the new version, a chunk at a time; a run
stopped part-way (Ctrl-C) resumes where it stopped; templates are unique per photo and model version, and an insert
that loses a race is "already there"."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from core.recognition.standin import StandInEngine
from core.registry.models import NoseTemplate
from core.registry.templates import add_templates
from core.schemas import DogIn, OwnerIn
from kiosk.cli import app
from tests.imaging import dog_photos

DOGS, PHOTOS = 3, 5  # registration takes exactly 5 photos


@pytest.fixture
def registry(standin_service):
    """A small registry: DOGS dogs of PHOTOS photos each, templates of the stand-in version 0."""
    for dog in range(DOGS):
        standin_service.register(OwnerIn(phone=f"010-1234-{5670 + dog}", name="김철수"), DogIn(name=f"개{dog}"),
                                 dog_photos(dog + 1, n=PHOTOS))
    return standin_service


@pytest.fixture
def rebuild(registry, monkeypatch):
    monkeypatch.setenv("SAVEPETS_DB_URL", registry.settings.database_url)
    monkeypatch.setenv("SAVEPETS_DATA_DIR", str(registry.settings.data_dir))
    monkeypatch.setenv("SAVEPETS_ENGINE", "standin")
    monkeypatch.setattr(StandInEngine, "version", "1")  # the model changed: a new version of its templates

    def invoke(*args):
        result = CliRunner().invoke(app, ["templates", "rebuild", *map(str, args)])
        result.text = " ".join(result.output.split())
        return result

    return invoke


def _templates(sp, version: str) -> list[str]:
    with sp.db.sessions() as s:
        return list(s.scalars(select(NoseTemplate.photo_id).where(NoseTemplate.model_name == "stand-in",
                                                                 NoseTemplate.model_version == version)))


def test_rebuild_embeds_every_photo_with_the_new_model_once(registry, rebuild):
    assert len(_templates(registry, "0")) == DOGS * PHOTOS and _templates(registry, "1") == []
    r = rebuild("--chunk", 5, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"model": "stand-in", "version": "1", "photos": DOGS * PHOTOS, "had": 0,
                                    "made": DOGS * PHOTOS, "already": 0, "missing_files": 0}
    made = _templates(registry, "1")
    assert len(made) == len(set(made)) == DOGS * PHOTOS
    assert len(_templates(registry, "0")) == DOGS * PHOTOS  # the old model's stay (a rollback needs them)

    again = rebuild()  # nothing left: a second run is a no-op
    assert again.exit_code == 0, again.output
    assert f"{DOGS * PHOTOS} already had a template, 0 made now" in again.text
    assert len(_templates(registry, "1")) == DOGS * PHOTOS


def test_a_stopped_rebuild_resumes_where_it_stopped(registry, rebuild, monkeypatch):
    real = StandInEngine.embed
    calls = {"n": 0}

    def embed(self, images):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # Ctrl-C during the third chunk
        return real(self, images)

    monkeypatch.setattr(StandInEngine, "embed", embed)
    r = rebuild("--chunk", 4)
    assert r.exit_code == 130 and "run `savepets templates rebuild` again" in r.text
    assert len(_templates(registry, "1")) == 8  # two chunks committed

    monkeypatch.setattr(StandInEngine, "embed", real)
    r = rebuild("--chunk", 4, "--json")
    assert r.exit_code == 0, r.output
    counts = json.loads(r.stdout)
    assert (counts["had"], counts["made"]) == (8, DOGS * PHOTOS - 8)
    made = _templates(registry, "1")
    assert len(made) == len(set(made)) == DOGS * PHOTOS


def test_a_template_already_there_is_skipped_not_an_error(registry):
    with registry.db.sessions() as s:
        t = s.scalars(select(NoseTemplate).order_by(NoseTemplate.id)).first()
        others = s.scalars(select(NoseTemplate).where(NoseTemplate.photo_id != t.photo_id)).all()
    row = dict(photo_id=t.photo_id, dog_id=t.dog_id, model_name=t.model_name, model_version=t.model_version,
               dim=t.dim, vector=t.vector, quality=t.quality)
    assert add_templates(registry.db, [row]) == 0  # another replica made it first
    fresh = dict(row, photo_id=others[0].photo_id, dog_id=others[0].dog_id, model_version="9")
    assert add_templates(registry.db, [row, fresh]) == 1  # the new one in, the one already there skipped
    with registry.db.sessions() as s:
        n = s.scalar(select(func.count()).select_from(NoseTemplate).where(NoseTemplate.photo_id == t.photo_id,
                                                                          NoseTemplate.model_version == "0"))
    assert n == 1


def test_replicas_starting_together_after_a_model_change_make_each_template_once(registry, monkeypatch):
    """Two processes' start-up re-embedding (ensure_templates) racing: the one that loses each insert takes the
    template as already there."""
    from core.usecases import SavePets

    monkeypatch.setattr(StandInEngine, "version", "1")
    other = SavePets(registry.settings, engine=StandInEngine())
    try:
        real = other.store.exists
        raced = {"done": False}

        def exists(sha):  # just before `other` writes its first batch, `registry` re-embeds everything
            if not raced["done"]:
                raced["done"] = True
                registry.engine = StandInEngine()
                registry.ensure_templates()
            return real(sha)

        monkeypatch.setattr(other.store, "exists", exists)
        assert other.ensure_templates() == DOGS * PHOTOS  # tried them all, without an error
    finally:
        other.close()
    made = _templates(registry, "1")
    assert len(made) == len(set(made)) == DOGS * PHOTOS
