"""sync: server change log, received change ids, per-entity clocks and shadows, id map (core/replication.py)

Revision ID: 0003_sync
Revises: 0002_api_keys
Create Date: 2026-11-26 08:50:00
"""
import sqlalchemy as sa
from alembic import op

import core.registry.models

revision = '0003_sync'
down_revision = '0002_api_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sync_log',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('origin_device', sa.String(length=64), nullable=True),
    sa.Column('created_at', core.registry.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('sync_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_log_entity_id'), ['entity_id'], unique=False)

    op.create_table('sync_received',
    sa.Column('change_id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('received_at', core.registry.models.UTCDateTime(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('change_id')
    )
    op.create_table('sync_entity',
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('clocks', sa.JSON(), nullable=True),
    sa.Column('shadow', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('entity_id')
    )
    op.create_table('sync_id_map',
    sa.Column('from_id', sa.String(length=36), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('to_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('from_id')
    )
    op.execute(sa.text("INSERT INTO meta (`key`, value) VALUES ('sync_lock', '')")
               if op.get_bind().dialect.name == "mysql"
               else sa.text("INSERT INTO meta (key, value) VALUES ('sync_lock', '')"))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM meta WHERE " + ("`key`" if op.get_bind().dialect.name == "mysql" else "key")
                       + " = 'sync_lock'"))
    op.drop_table('sync_id_map')
    op.drop_table('sync_entity')
    op.drop_table('sync_received')
    with op.batch_alter_table('sync_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_log_entity_id'))
    op.drop_table('sync_log')
