"""Registry rows made from states that arrived by sync: one builder per table (owners, dogs, photos, templates,
review flags), used by the server and the kiosk, one by one and in bulk. Each returns the row's column values (for
`Table(**row)` or a bulk insert).

Times: `Fix` maps a time of the other side onto this one. The server corrects a kiosk's times by the kiosk's
measured clock offset and never puts one in the future (`corrected`); a kiosk takes the server's times as they are
(`as_is`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from core.replication.bundle import DOG_FIELDS, DogBundle, FlagState, OwnerState, PhotoState, TemplateState

Fix = Callable[[datetime | None], datetime | None]


def as_is(t: datetime | None) -> datetime | None:
    return t


def corrected(offset: timedelta, now: datetime) -> Fix:
    """Kiosk times on the server's clock: shifted by `offset` (server minus kiosk), never later than `now`."""

    def fix(t: datetime | None) -> datetime | None:
        return None if t is None else min(t + offset, now)

    return fix


def relpath(sha: str) -> str:
    """Where the photo store keeps a photo, relative to its root."""
    return f"{sha[:2]}/{sha[2:4]}/{sha}"


def owner_row(o: OwnerState, fix: Fix, device_id: str | None = None) -> dict:
    """An owner new here. An erased owner stays erased (its tombstone: empty phone and name)."""
    return {"id": o.id, "phone": o.phone, "phone_hash": o.phone or None, "name": o.name,
            "created_at": fix(o.created_at), "updated_at": fix(o.updated_at),
            "origin_device": o.origin_device or device_id, "deleted_at": fix(o.erased_at)}


def dog_row(st: DogBundle, fix: Fix, *, owner_id: str, number: str | None = None,
            deleted_at: datetime | None = None, device_id: str | None = None, org_id: str | None = None) -> dict:
    """A dog new here, under `owner_id` (this side's id of its owner) and `number` (its registration number
    here, when it had to change). `deleted_at` overrides the state's (a tombstone remembered here); `org_id`
    the state's organisation (the server: the pushing key's, never what the kiosk says)."""
    deleted_at = deleted_at or fix(st.deleted_at)
    updated_at = fix(st.updated_at)
    return {"id": st.id, "owner_id": owner_id, "registration_number": number or st.registration_number,
            "registered_at": st.registered_at,  # part of the registration number: never corrected
            "created_at": fix(st.created_at), "updated_at": max(updated_at, deleted_at or updated_at),
            "deleted_at": deleted_at, "origin_device": st.origin_device or device_id, "org_id": org_id or st.org_id,
            **{f: getattr(st.fields, f) for f in DOG_FIELDS}}


def photo_row(dog_id: str, p: PhotoState, fix: Fix) -> dict:
    return {"id": p.id, "dog_id": dog_id, "sha256": p.sha256, "path": relpath(p.sha256), "width": p.width,
            "height": p.height, "quality": p.quality, "position": p.position, "created_at": fix(p.created_at),
            "updated_at": fix(p.created_at), "deleted_at": fix(p.deleted_at), "origin_device": p.origin_device}


def template_row(dog_id: str, t: TemplateState, fix: Fix, deleted_with_dog: datetime | None = None) -> dict:
    """A template; one of a deleted dog is deleted with it."""
    return {"id": t.id, "photo_id": t.photo_id, "dog_id": dog_id, "model_name": t.model_name,
            "model_version": t.model_version, "dim": t.dim, "vector": t.data, "quality": t.quality,
            "created_at": fix(t.created_at), "updated_at": fix(t.created_at),
            "deleted_at": fix(t.deleted_at) or deleted_with_dog, "origin_device": t.origin_device}


def flag_row(st: FlagState, fix: Fix, now: datetime | None = None, device_id: str | None = None) -> dict:
    return {"id": st.id, "dog_id": st.dog_id, "other_dog_id": st.other_dog_id, "score": st.score,
            "reason": st.reason, "resolved": st.resolved, "resolution": st.resolution,
            "created_at": fix(st.created_at) or now, "updated_at": fix(st.updated_at) or now,
            "deleted_at": fix(st.deleted_at), "origin_device": st.origin_device or device_id}


def photos_and_templates(dog_id: str, st: DogBundle, fix: Fix, *, have_photos: set[str] = frozenset(),
                         have_shas: set[str] = frozenset(), have_templates: set[str] = frozenset(),
                         deleted_with_dog: datetime | None = None,
                         have_models: set[tuple[str, str, str]] = frozenset()) -> tuple[list[dict], list[dict]]:
    """The photo and template rows of a bundle that this side lacks: a photo is new unless its id or its image
    (sha256) is here; a template is new unless its id is here, or a template of its photo and model version is
    (`have_models`, or one earlier in the bundle: one per photo and version, migration 0011), and only with its
    photo."""
    photos, photo_ids, shas = [], set(have_photos), set(have_shas)
    for p in st.photos:
        if p.id in photo_ids or p.sha256 in shas:
            continue
        photos.append(photo_row(dog_id, p, fix))
        photo_ids.add(p.id)
        shas.add(p.sha256)
    templates, models = [], set(have_models)
    for t in st.templates:
        model = (t.photo_id, t.model_name, t.model_version)
        if t.id in have_templates or t.photo_id not in photo_ids or model in models:
            continue
        templates.append(template_row(dog_id, t, fix, deleted_with_dog))
        models.add(model)
    return photos, templates
