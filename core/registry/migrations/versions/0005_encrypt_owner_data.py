"""owners' personal data encrypted at rest: owner phone and name, dog notes, outbox payloads and sync shadows
(AES-256-GCM with the registry key, core/crypto.py); owners.phone_hash (keyed hash) replaces the unique phone

Every existing row is encrypted in place with the key of the database being upgraded (core.registry.db.Database
puts it on the connection); nothing is dropped. On SQLite, Database.upgrade then vacuums the file so that no
plain value stays in its free pages or its write-ahead log.

Revision ID: 0005_encrypt_owner_data
Revises: 0004_review_resolution
Create Date: 2026-12-01 09:00:00
"""
import json

import sqlalchemy as sa
from alembic import op

from core.crypto import KEY_ID_META
from core.registry.models import registry_key

revision = '0005_encrypt_owner_data'
down_revision = '0004_review_resolution'
branch_labels = None
depends_on = None

BATCH = 500
# the unnamed UNIQUE(phone) of 0001, named so that SQLite's batch mode can drop it
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
# JSON columns that may hold personal data: (table, primary key, column)
JSON_COLUMNS = (("outbox", "seq", "payload"), ("sync_entity", "entity_id", "shadow"))


def _key_col(bind) -> str:
    return "`key`" if bind.dialect.name == "mysql" else "key"


def _rewrite(bind, table: str, pk: str, columns: list[str], convert) -> None:
    """Every row's `columns` through `convert(row) -> {column: new value}`, in batches, by primary key."""
    rows = bind.execute(sa.text(f"SELECT {pk}, {', '.join(columns)} FROM {table}")).all()
    for i in range(0, len(rows), BATCH):
        params = [{**convert(r), "_pk": r[0]} for r in rows[i:i + BATCH]]
        sets = ", ".join(f"{c} = :{c}" for c in params[0] if c != "_pk")
        bind.execute(sa.text(f"UPDATE {table} SET {sets} WHERE {pk} = :_pk"), params)


def _json_value(raw):
    """A JSON column's value as read with plain SQL (text on SQLite and MariaDB, parsed on some drivers)."""
    return json.loads(raw) if isinstance(raw, (str, bytes)) else raw


def upgrade() -> None:
    bind = op.get_bind()
    key = registry_key(bind.dialect)
    mysql = bind.dialect.name == "mysql"

    op.add_column('owners', sa.Column('phone_hash', sa.String(length=64), nullable=True))
    if mysql:  # room for the ciphertext first (SQLite does not enforce lengths; its table is rebuilt below)
        for uq in sa.inspect(bind).get_unique_constraints('owners'):
            if uq['column_names'] == ['phone']:
                op.drop_constraint(uq['name'], 'owners', type_='unique')
        op.alter_column('owners', 'phone', type_=sa.Text(), existing_type=sa.String(length=20),
                        existing_nullable=False)
        op.alter_column('owners', 'name', type_=sa.Text(), existing_type=sa.String(length=100),
                        existing_nullable=False)

    def owner(r):
        return {"phone": key.encrypt(r.phone), "name": key.encrypt(r.name or ""),
                "phone_hash": key.phone_hash(r.phone)}

    _rewrite(bind, "owners", "id", ["phone", "name"], owner)
    _rewrite(bind, "dogs", "id", ["notes"], lambda r: {"notes": key.encrypt(r.notes or "")})
    for table, pk, col in JSON_COLUMNS:
        def enc(r, col=col):
            value = _json_value(r[1])
            return {col: None if value is None else json.dumps(
                key.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":"))))}
        _rewrite(bind, table, pk, [col], enc)

    if mysql:
        op.create_unique_constraint('uq_owner_phone_hash', 'owners', ['phone_hash'])
    else:  # one rebuild: the old unique phone goes, the hash is unique, the plain table's pages are freed
        with op.batch_alter_table('owners', naming_convention=NAMING, recreate='always') as batch_op:
            batch_op.drop_constraint('uq_owners_phone', type_='unique')
            batch_op.alter_column('phone', type_=sa.Text(), existing_type=sa.String(length=20),
                                  existing_nullable=False)
            batch_op.alter_column('name', type_=sa.Text(), existing_type=sa.String(length=100),
                                  existing_nullable=False)
            batch_op.create_unique_constraint('uq_owner_phone_hash', ['phone_hash'])

    k = _key_col(bind)
    bind.execute(sa.text(f"DELETE FROM meta WHERE {k} = :k"), {"k": KEY_ID_META})
    bind.execute(sa.text(f"INSERT INTO meta ({k}, value) VALUES (:k, :v)"), {"k": KEY_ID_META, "v": key.key_id})


def downgrade() -> None:
    """Back to plain values (with this database's key), the unique phone restored."""
    bind = op.get_bind()
    key = registry_key(bind.dialect)
    mysql = bind.dialect.name == "mysql"

    if mysql:
        op.drop_constraint('uq_owner_phone_hash', 'owners', type_='unique')
    _rewrite(bind, "owners", "id", ["phone", "name"],
             lambda r: {"phone": key.decrypt(r.phone), "name": key.decrypt(r.name)})
    _rewrite(bind, "dogs", "id", ["notes"], lambda r: {"notes": key.decrypt(r.notes)})
    for table, pk, col in JSON_COLUMNS:
        def dec(r, col=col):
            token = _json_value(r[1])
            return {col: None if token is None else key.decrypt(token)}
        _rewrite(bind, table, pk, [col], dec)
    if mysql:
        op.alter_column('owners', 'phone', type_=sa.String(length=20), existing_type=sa.Text(),
                        existing_nullable=False)
        op.alter_column('owners', 'name', type_=sa.String(length=100), existing_type=sa.Text(),
                        existing_nullable=False)
        op.drop_column('owners', 'phone_hash')
        op.create_unique_constraint(None, 'owners', ['phone'])
    else:
        with op.batch_alter_table('owners', recreate='always') as batch_op:
            batch_op.drop_constraint('uq_owner_phone_hash', type_='unique')
            batch_op.drop_column('phone_hash')
            batch_op.alter_column('phone', type_=sa.String(length=20), existing_type=sa.Text(),
                                  existing_nullable=False)
            batch_op.alter_column('name', type_=sa.String(length=100), existing_type=sa.Text(),
                                  existing_nullable=False)
            batch_op.create_unique_constraint('uq_owners_phone', ['phone'])
    k = _key_col(bind)
    bind.execute(sa.text(f"DELETE FROM meta WHERE {k} = :k"), {"k": KEY_ID_META})
