"""What goes into and comes out of the use cases. The server reuses these as its request/response models."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from core.phone import mask_phone, normalize_phone
from core.recognition.base import Decision
from core.registry.models import DogStatus, Sex


def _clean_text(value: str) -> str:
    """NFC, trimmed, no control characters (they break receipts, logs and CSV exports)."""
    value = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(c) in {"Cc", "Cs", "Co"} and c not in "\n\t" for c in value):
        raise ValueError("contains control characters")
    return value


CleanText = Annotated[str, AfterValidator(_clean_text)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=2000)


class OwnerIn(Strict):
    phone: str = Field(..., max_length=32, examples=["010-1234-5678"])
    name: CleanText = Field("", max_length=100)

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        return normalize_phone(v)


class DogIn(Strict):
    name: CleanText = Field(..., min_length=1, max_length=100, examples=["초코"])
    breed: CleanText = Field("", max_length=100)
    sex: Sex = Sex.UNKNOWN
    birth_date: date | None = None
    neutered: bool | None = None
    notes: CleanText = Field("", max_length=2000)

    @field_validator("birth_date")
    @classmethod
    def _not_future(cls, v: date | None) -> date | None:
        if v is not None and (v > date.today() or v.year < 1980):
            raise ValueError("birth date must be in the past")
        return v


class DogUpdate(Strict):
    """Only the fields given are changed."""

    name: CleanText | None = Field(None, min_length=1, max_length=100)
    breed: CleanText | None = Field(None, max_length=100)
    sex: Sex | None = None
    birth_date: date | None = None
    neutered: bool | None = None
    notes: CleanText | None = Field(None, max_length=2000)
    status: DogStatus | None = None
    owner_name: CleanText | None = Field(None, max_length=100)

    _not_future = field_validator("birth_date")(DogIn._not_future.__func__)


REDACTED_CONTACT = "contact available online: POST /v1/dogs/{key}/contact with a reason (audited)"


class OwnerOut(BaseModel):
    id: str
    phone: str
    name: str
    # the server's answer to a key that may not see this owner: nothing of the owner is shown, `contact` says how
    # to ask for it (staff of another organisation) or is null (the public)
    redacted: bool = False
    contact: str | None = None

    def masked(self) -> OwnerOut:
        if "*" in self.phone:  # masked already (concealed for a staff member)
            return self
        return self.model_copy(update={"phone": mask_phone(self.phone)})

    def concealed(self) -> OwnerOut:
        """Name and phone masked ('김**', '010-****-5678'): what staff members see until they ask for the contact
        (SavePets.reveal_contact)."""
        try:
            phone = mask_phone(self.phone)
        except Exception:  # noqa: BLE001 - not a number (e.g. erased): nothing of it is shown
            phone = "*" * 4 if self.phone else ""
        return self.model_copy(update={"phone": phone, "name": mask_name(self.name)})

    def public(self) -> OwnerOut:
        """What the public (the app's keys) may see of another person: phone and name masked ('010-****-5678',
        '홍*동')."""
        try:
            phone = mask_phone(self.phone)
        except Exception:  # noqa: BLE001 - not a number (e.g. erased): nothing of it is shown
            phone = "*" * 4 if self.phone else ""
        return self.model_copy(update={"phone": phone, "name": mask_name_public(self.name)})

    def redact(self, hint: str | None = None) -> OwnerOut:
        """Nothing of the owner: no id, phone or name; `hint` says how to ask for the contact."""
        return OwnerOut(id="", phone="", name="", redacted=True, contact=hint)

    @property
    def is_concealed(self) -> bool:
        return "*" in self.phone or "*" in self.name


def mask_name(name: str) -> str:
    """'김철수' -> '김**', 'Minji Kim' -> 'M**** K**': the first letter of each word."""
    return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())


def mask_name_public(name: str) -> str:
    """'홍길동' -> '홍*동', '김철' -> '김*', 'Minji Kim' -> 'M***i K*m': first and last letter of each word."""
    def word(w: str) -> str:
        return "*" if len(w) == 1 else w[0] + "*" if len(w) == 2 else w[0] + "*" * (len(w) - 2) + w[-1]
    return " ".join(word(w) for w in name.split())


class PhotoOut(BaseModel):
    id: str
    sha256: str
    position: int
    quality: float
    url: str | None = None  # where a client downloads it: filled by the server (sync layer), None elsewhere


class DogOut(BaseModel):
    id: str
    registration_number: str
    registered_at: datetime
    name: str
    breed: str
    sex: Sex
    birth_date: date | None
    neutered: bool | None
    notes: str
    status: DogStatus
    owner: OwnerOut
    photos: list[PhotoOut] = []
    updated_at: datetime
    needs_review: bool = False
    org_id: str | None = Field(None, description="The organisation the dog is registered with (its staff may edit it)")

    def masked(self) -> DogOut:
        return self.model_copy(update={"owner": self.owner.masked()})

    def public(self) -> DogOut:
        """For the public (the app's keys): owner's phone and name masked, no notes (free text that may name
        people)."""
        return self.model_copy(update={"owner": self.owner.public(), "notes": ""})

    def anonymous(self) -> DogOut:
        """For the public, a look-up's candidates: no owner at all, no notes."""
        return self.model_copy(update={"owner": self.owner.redact(), "notes": ""})

    def redacted(self) -> DogOut:
        """Another organisation's dog for a staff key: no owner (asked for online, audited), no notes."""
        hint = REDACTED_CONTACT.replace("{key}", self.registration_number)
        return self.model_copy(update={"owner": self.owner.redact(hint), "notes": ""})

    def concealed(self) -> DogOut:
        return self.model_copy(update={"owner": self.owner.concealed()})


class PhotoProblem(BaseModel):
    index: int  # 0-based position in the submitted list
    label: str
    reasons: list[str]  # quality reason codes, or "duplicate_photo", "disagrees", "invalid"
    message: str


class CandidateOut(BaseModel):
    dog: DogOut
    score: float
    probability: float
    decision: Decision

    def masked(self) -> CandidateOut:
        return self.model_copy(update={"dog": self.dog.masked()})


class RegisterResult(BaseModel):
    dog: DogOut
    owner_existed: bool
    # registered dogs that look alike without being a sure match: each is flagged with the new dog for review
    possible_duplicates: list[CandidateOut] = []


# Why a look-up (or a registration's duplicate check) decided what it did; the UI translates the codes, the CLI
# and the HTTP API show the English text.
LOOKUP_REASONS = {
    "sure_match": "one registered dog stands clearly apart and passes the check for a registry of this size",
    "close_second": "more than one registered dog looks alike: a person compares the candidates",
    "weak_match": "a registered dog looks alike, but not enough to be sure: a person compares",
    "no_similar_dog": "no registered dog is alike enough to be this dog",
    "empty_registry": "the registry has no dogs yet",
}


class LookupResult(BaseModel):
    decision: Decision
    match: CandidateOut | None = None  # the best candidate when decision is match or uncertain
    candidates: list[CandidateOut] = []  # the few dogs worth a person's comparison, best first (may be empty)
    reason: str = Field("no_similar_dog", json_schema_extra={"enum": list(LOOKUP_REASONS)},
                        description="Why this decision: a code of LOOKUP_REASONS")
    message: str = Field("", description="The reason in English words")
    photos_used: int = 1  # probe photos of the same dog fused into this answer
    gallery_dogs: int = 0  # registered dogs searched (the decision threshold follows it)
    quality: float
    engine: str
    elapsed_ms: float

    def masked(self) -> LookupResult:
        return self.model_copy(update={"match": self.match.masked() if self.match else None,
                                       "candidates": [c.masked() for c in self.candidates]})


class PhotoCheck(BaseModel):
    """The kiosk's on-the-spot check of one registration photo."""

    ok: bool
    quality: float
    reasons: list[str]
    message: str
    already_registered: CandidateOut | None = None


# How a person resolved a review flag (two registrations that may be one dog): see core/reviews.py.
Resolution = Literal["same_dog", "different_dogs"]


class ReviewOut(BaseModel):
    """An open review flag: two registrations that look alike, the older one first (a merge keeps it)."""

    id: str
    older: DogOut
    newer: DogOut
    score: float  # the engine's similarity of the two noses
    reason: str  # possible_duplicate (at registration) | possible_duplicate_sync (two kiosks, found by the server)
    created_at: datetime


class ReviewList(BaseModel):
    count: int  # all open reviews (the list may be shorter: limit)
    reviews: list[ReviewOut]  # newest first


class ReviewResult(BaseModel):
    flag_id: str
    resolution: Resolution
    older: DogOut  # same_dog: the registration kept, now with the newer one's photos
    newer: DogOut  # same_dog: the registration merged into the older one and removed
    photos_added: int = 0  # photos (with their templates) the older registration gained
    owners: list[OwnerOut] = []  # same_dog: the owners to tell, the older registration's first (one if the same)
    owners_differ: bool = False
    other_reviews: int = 0  # other open reviews naming the removed registration: moved to the older one or closed


# ------------------------------------------------------------------------------------ reunite (core/service/reunite.py)
EMAIL_RE = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"
PLACE_MAX = 200


class _Place(Strict):
    """Where: a place name people understand (a street, a park, a town), optionally with coordinates (WGS 84)."""

    place: CleanText = Field(..., min_length=1, max_length=PLACE_MAX, examples=["서울 마포구 망원한강공원"])
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)

    @field_validator("place")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v:  # spaces only: min_length counts them before CleanText trims them
            raise ValueError("must not be blank")
        return v

    @model_validator(mode="after")
    def _both(self):
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


def _not_future(v: datetime) -> datetime:
    from datetime import UTC, timedelta

    if v.tzinfo is None:
        raise ValueError("give the time with its zone, e.g. 2026-12-03T09:30:00+09:00")
    if v > datetime.now(UTC) + timedelta(minutes=10):
        raise ValueError("is in the future")
    if v < datetime.now(UTC) - timedelta(days=3 * 365):
        raise ValueError("is more than 3 years ago")
    return v


PastTime = Annotated[datetime, AfterValidator(_not_future)]


class LostIn(_Place):
    """An owner's report that their dog is lost. `channel` says how the owner is told of a match: "sms" to
    `contact_phone` (the owner's registered phone when not given) or "email" to `contact_email`."""

    dog: str = Field(..., min_length=1, max_length=64, description="The dog's id or registration number")
    lost_at: PastTime = Field(..., description="When the dog went missing (ISO 8601 with its zone)")
    contact_email: str | None = Field(None, max_length=254, pattern=EMAIL_RE)
    contact_phone: str | None = Field(None, max_length=32)
    channel: Literal["sms", "email"] = "sms"
    language: Literal["ko", "en"] = "ko"
    notify_possible: bool = Field(False, description="Also tell the owner of possible matches, not only confirmed")
    notes: CleanText = Field("", max_length=2000)

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        return normalize_phone(v) if v else None

    @model_validator(mode="after")
    def _reachable(self):
        if self.channel == "email" and not self.contact_email:
            raise ValueError("channel email needs contact_email")
        return self


class FoundIn(_Place):
    """A dog found without its owner: a shelter's intake of a stray, or a finder's report."""

    found_at: PastTime = Field(..., description="When the dog was found (ISO 8601 with its zone)")
    notes: CleanText = Field("", max_length=2000)
    contact: CleanText = Field("", max_length=254, description="The finder's phone or e-mail (optional)")


class LostReportOut(BaseModel):
    id: str
    dog_id: str
    registration_number: str
    dog_name: str
    lost_at: datetime
    place: str
    lat: float | None = None
    lon: float | None = None
    channel: str
    language: str
    notify_possible: bool
    contact: str = Field("", description="How the owner is reached, masked")
    notes: str = ""
    state: str  # open | withdrawn | home
    created_at: datetime
    closed_at: datetime | None = None


class FoundPhotoOut(BaseModel):
    id: str
    sha256: str
    position: int
    url: str | None = None  # filled by the server


class ReunionOut(BaseModel):
    """A found case and a registered dog that recognition put together, for a person to confirm by comparing."""

    id: str
    found_case_id: str
    lost_report_id: str | None = None
    dog: DogOut
    score: float
    probability: float = 0.0
    decision: Decision
    source: Literal["lost", "registry"]
    state: str  # possible | confirmed | rejected
    decided_by: str | None = None
    decided_at: datetime | None = None
    created_at: datetime
    found_photos: list[FoundPhotoOut] = []


class FoundCaseOut(BaseModel):
    id: str
    kind: str  # intake | finder
    found_at: datetime
    place: str
    lat: float | None = None
    lon: float | None = None
    notes: str = ""
    state: str  # open | reunited | closed
    hold_until: datetime | None = None
    days_left: int | None = Field(None, description="Days of the holding period left (0: ends today)")
    org_id: str | None = None
    dog_id: str | None = None
    photos: list[FoundPhotoOut] = []
    registered: bool = Field(False, description="Whether the dog was surely recognised as a registered dog")
    owner_told: bool = Field(False, description="Whether a message to the owner is on its way")
    message: str = ""
    reunions: list[ReunionOut] = []
    created_at: datetime
