"""The registry: SQLAlchemy models, database opening with Alembic migrations."""

from core.registry.db import Database
from core.registry.models import Dog, DogStatus, NosePhoto, NoseTemplate, Outbox, Owner, ReviewFlag, Sex

__all__ = ["Database", "Dog", "DogStatus", "NosePhoto", "NoseTemplate", "Outbox", "Owner", "ReviewFlag", "Sex"]
