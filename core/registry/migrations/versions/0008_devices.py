"""organisations and devices: every API key belongs to a device of one organisation; dogs belong to the
organisation that registered them (sync/server/devices.py)

Existing keys become one device each of the default organisation, and every existing dog belongs to it, so a
registry made before organisations keeps working as one organisation until an administrator adds others.

Revision ID: 0008_devices
Revises: 0007_audit_events
Create Date: 2026-12-03 15:00:00
"""
import sqlalchemy as sa
from alembic import op

import core.registry.models
from core.registry.models import DEFAULT_ORG_ID, utcnow

revision = '0008_devices'
down_revision = '0007_audit_events'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organisations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_at', core.registry.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('devices',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', core.registry.models.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', core.registry.models.UTCDateTime(), nullable=True),
    sa.Column('verified_phone_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_devices_org_id', 'devices', ['org_id'], unique=False)
    op.create_table('enrollment_codes',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', core.registry.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', core.registry.models.UTCDateTime(), nullable=False),
    sa.Column('used_at', core.registry.models.UTCDateTime(), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('device_id', sa.String(length=36), nullable=True))
        batch.create_index('ix_api_keys_device_id', ['device_id'], unique=False)
        batch.create_foreign_key('fk_api_keys_device', 'devices', ['device_id'], ['id'])
    with op.batch_alter_table('dogs') as batch:
        batch.add_column(sa.Column('org_id', sa.String(length=36), nullable=True))
        batch.create_index('ix_dogs_org_id', ['org_id'], unique=False)

    conn = op.get_bind()
    keys = conn.execute(sa.text("SELECT id, name, role, created_at, revoked_at FROM api_keys")).all()
    has_dogs = conn.execute(sa.text("SELECT 1 FROM dogs LIMIT 1")).first()
    if not keys and not has_dogs:
        return  # a new registry: no organisation until an administrator makes one
    now = utcnow().replace(tzinfo=None)
    conn.execute(sa.text("INSERT INTO organisations (id, name, kind, created_at) VALUES (:id, :name, :kind, :at)"),
                 {"id": DEFAULT_ORG_ID, "name": "Default organisation", "kind": "operator", "at": now})
    for key_id, name, role, created_at, revoked_at in keys:
        device_id = f"key-{key_id}"
        conn.execute(sa.text("INSERT INTO devices (id, org_id, name, role, created_at, revoked_at) "
                             "VALUES (:id, :org, :name, :role, :created, :revoked)"),
                     {"id": device_id, "org": DEFAULT_ORG_ID, "name": name, "role": role, "created": created_at,
                      "revoked": revoked_at})
        conn.execute(sa.text("UPDATE api_keys SET device_id = :d WHERE id = :k"), {"d": device_id, "k": key_id})
    conn.execute(sa.text("UPDATE dogs SET org_id = :org"), {"org": DEFAULT_ORG_ID})


def downgrade() -> None:
    with op.batch_alter_table('dogs') as batch:
        batch.drop_index('ix_dogs_org_id')
        batch.drop_column('org_id')
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_constraint('fk_api_keys_device', type_='foreignkey')
        batch.drop_index('ix_api_keys_device_id')
        batch.drop_column('device_id')
    op.drop_table('enrollment_codes')
    op.drop_index('ix_devices_org_id', table_name='devices')
    op.drop_table('devices')
    op.drop_table('organisations')
