"""encrypted values bound to their place: every encrypted value re-encrypted with (table, column, row id) as
AES-GCM associated data (the "v2:" format, core/crypto.py), so that a value copied into another row or column no
longer decrypts

Values written before (v1, no associated data) are read here one last time; from this revision on a registry
refuses them (core/registry/db.py, Database._allow_legacy_reads): a v1 value found in a migrated registry was put
there from elsewhere. A value already in v2 (written by this version into a registry not yet migrated) is checked
against its place and written again. The columns are the encrypted ones as of this revision, listed here rather than
read from the models, so that a later encrypted column is not looked for before its own migration makes it.

Revision ID: 0009_encrypt_with_aad
Revises: 0008_devices
Create Date: 2026-12-03 16:00:00
"""
import json

import sqlalchemy as sa
from alembic import op

from core.crypto import place
from core.registry.models import registry_key

revision = '0009_encrypt_with_aad'
down_revision = '0008_devices'
branch_labels = None
depends_on = None

BATCH = 500
# (table, the column naming a row in its values' place, [encrypted text columns], [encrypted JSON columns])
PLACES = (
    ("owners", "id", ["phone", "name"], []),
    ("dogs", "id", ["notes"], []),
    ("outbox", "change_id", [], ["payload"]),
    ("sync_entity", "entity_id", [], ["shadow"]),
)


def _json_value(raw):
    """A JSON column's value as read with plain SQL (text on SQLite and MariaDB, parsed on some drivers)."""
    return json.loads(raw) if isinstance(raw, (str, bytes)) else raw


def _rewrite(convert) -> None:
    """Every encrypted value through `convert(token, place) -> token`, row by row, in batches."""
    bind = op.get_bind()
    for table, key, texts, jsons in PLACES:
        columns = texts + jsons
        rows = bind.execute(sa.text(f"SELECT {key}, {', '.join(columns)} FROM {table}")).all()
        for i in range(0, len(rows), BATCH):
            params = []
            for row in rows[i:i + BATCH]:
                p = {"_key": row[0]}
                for n, col in enumerate(columns, start=1):
                    stored = _json_value(row[n]) if col in jsons else row[n]
                    if stored is None:  # NULL (or JSON null) stays as it is
                        p[col] = row[n]
                        continue
                    token = convert(stored, place(table, col, row[0]))
                    p[col] = json.dumps(token) if col in jsons else token
                params.append(p)
            if params:
                sets = ", ".join(f"{c} = :{c}" for c in columns)
                bind.execute(sa.text(f"UPDATE {table} SET {sets} WHERE {key} = :_key"), params)


def upgrade() -> None:
    key = registry_key(op.get_bind().dialect)
    _rewrite(lambda token, at: key.encrypt(key.decrypt(token, at, legacy=True), at))


def downgrade() -> None:
    """Back to values without their place (v1), as revision 0008 reads them."""
    key = registry_key(op.get_bind().dialect)
    _rewrite(lambda token, at: key.encrypt(key.decrypt(token, at, legacy=True)))
