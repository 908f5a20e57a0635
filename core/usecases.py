"""The use cases every face calls: register, look up, and manage dogs and owners.

`SavePets` is the one service object the kiosk, the command line and the server use. It holds the registry
database, the photo store, the recognition engine and the gallery index derived from the registry, and knows
nothing of Qt or HTTP. Its use cases live in core/service/, a module a job:

- base.py: the shared state, the clock, who calls and what they may do, outbox and audit entries, the dog as returned
- gallery.py: the search index of templates and identification against it
- lookup.py: look-up from 1-5 photos, and one registration photo checked on the spot
- registration.py: registering a dog from 5 photos (a sure match refused, look-alikes flagged for review)
- dogs_and_owners.py: show, search, edit, status, removal; owners by phone; a contact in full; stored photos
- reviews.py: reviews of possible duplicates (rules: core/reviews.py)
- staff_and_signin.py: the first administrator, sign-in, staff accounts and permissions (rules: core/staff.py)
- owners_rights.py: an owner's export and erasure (rules: core/owner_rights.py)
- lost_and_found.py: lost reports and found cases
- reunite.py: the possible reunions matching finds between them, a person's decision, the owner told
"""

from __future__ import annotations

from core.service.dogs_and_owners import DogsAndOwners
from core.service.lookup import MAX_LOOKUP_PHOTOS
from core.service.lost_and_found import LostAndFound
from core.service.owners_rights import OwnersRights
from core.service.registration import REQUIRED_PHOTOS, Registration
from core.service.reviews import Reviews
from core.service.staff_and_signin import StaffAndSignIn

__all__ = ["MAX_LOOKUP_PHOTOS", "REQUIRED_PHOTOS", "SavePets"]


class SavePets(Registration, LostAndFound, DogsAndOwners, Reviews, OwnersRights, StaffAndSignIn):
    """Register, look up and manage dogs and owners; staff, sign-in, reviews and owners' rights. One instance a
    process: `SavePets(settings)` opens the registry (migrated on start) and loads the engine."""
