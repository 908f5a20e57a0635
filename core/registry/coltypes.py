"""Column types and defaults the registry's tables share: UTC times, the keyed phone hash, blobs, new ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, LargeBinary, String, Text, TypeDecorator
from sqlalchemy.dialects import mysql

from core.registry.encrypted import registry_key


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC (MySQL DATETIME(6) has no zone), always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class PhoneHash(TypeDecorator):
    """The keyed hash (HMAC-SHA256, core/crypto.py) of a normalised phone: bind the plain E.164 phone (in a
    comparison too: `Owner.phone_hash == "+821012345678"`), the database stores and compares only the hash."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else registry_key(dialect).phone_hash(value)


# Large enough for a vector of 1024 float32 on MySQL (BLOB is 64 KB, so no MEDIUMBLOB needed).
Blob = LargeBinary().with_variant(mysql.BLOB(), "mysql")
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql")
