"""/v1/reviews: possible duplicates for a person to decide, over HTTP (what the kiosk's review page does locally).

A thin layer over core.usecases.SavePets.list_reviews / resolve_review (core/reviews.py); admin and kiosk keys
only. A merge (same dog) is an admin key's; a kiosk key may say "different dogs" for a pair with a dog of its
organisation (core/service/reviews.py). Owners are shown as sync/server/deps.present says: in full to admins and to
the dog's organisation, redacted for another organisation's kiosk. Errors as the rest of the API:
404 for an unknown review, 409 for one already resolved, 422 for a bad body.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from core.schemas import ReviewList, ReviewResult
from core.usecases import SavePets
from sync.server.deps import Principal, Role, get_runner, get_service, present, require_role
from sync.server.errors import ERROR_RESPONSES, ErrorOut
from sync.server.runner import LocalRunner

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES, tags=["reviews"])
REVIEWERS = require_role(Role.ADMIN, Role.KIOSK)
FlagId = Annotated[str, Path(min_length=1, max_length=36, description="The review's id (from GET /v1/reviews)")]


class ReviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    same_dog: StrictBool = Field(..., description=(
        "true: the same dog: the newer registration is merged into the older one, which keeps its registration "
        "number and owner and gains the newer one's photos; the newer one is removed. false: different dogs."))


@router.get("/reviews", response_model=ReviewList)
async def list_reviews(
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    principal: Principal = Depends(REVIEWERS),
    runner: LocalRunner = Depends(get_runner),
    sp: SavePets = Depends(get_service),
) -> ReviewList:
    """Open reviews, newest first: two registrations that may be one dog (the older first: a merge keeps it), each
    with its owner and photos (`url`: `GET /v1/photos/{sha256}`), the similarity score and why they were flagged
    (`possible_duplicate`: at a registration; `possible_duplicate_sync`: the same nose registered on two kiosks).
    `count` is the number of open reviews, whatever the limit."""
    page = await runner.call(sp.list_reviews, limit=limit)
    return page.model_copy(update={"reviews": [
        r.model_copy(update={"older": present(r.older, principal), "newer": present(r.newer, principal)})
        for r in page.reviews]})


@router.post("/reviews/{flag_id}", response_model=ReviewResult,
             responses={404: {"model": ErrorOut, "description": "No such review"},
                        409: {"model": ErrorOut, "description": "Already resolved, or a registration of the pair "
                                                                "was removed meanwhile"}})
async def resolve_review(
    flag_id: FlagId,
    decision: ReviewDecision,
    principal: Principal = Depends(REVIEWERS),
    runner: LocalRunner = Depends(get_runner),
    sp: SavePets = Depends(get_service),
) -> ReviewResult:
    """Decide one review: `{"same_dog": true}` merges the newer registration into the older one (its photos
    added, a line in the older one's notes, the newer one removed; `owners` are the owners to tell, with
    `owners_differ`), `{"same_dog": false}` keeps both as different dogs. The decision syncs to every kiosk."""
    result = await runner.call(sp.resolve_review, flag_id, decision.same_dog)
    return result.model_copy(update={"older": present(result.older, principal),
                                     "newer": present(result.newer, principal)})
