"""idempotency keys: the first answer to a registration or look-up sent with an Idempotency-Key header, kept 24 h
per API key, so that a client that lost the answer retries without registering twice (sync/server/idempotency.py)

Revision ID: 0010_idempotency_keys
Revises: 0009_encrypt_with_aad
Create Date: 2026-12-10 10:00:00
"""
import sqlalchemy as sa
from alembic import op

import core.registry.models

revision = '0010_idempotency_keys'
down_revision = '0009_encrypt_with_aad'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Run again after a crash on MySQL/MariaDB, where the table (DDL, committed at once) may exist before the
    # revision is stamped: what is already there is not made again.
    inspector = sa.inspect(op.get_bind())
    if inspector.has_table('idempotency_keys'):
        if not any(ix['name'] == 'ix_idempotency_keys_expires_at' for ix in inspector.get_indexes('idempotency_keys')):
            op.create_index('ix_idempotency_keys_expires_at', 'idempotency_keys', ['expires_at'], unique=False)
        return
    op.create_table('idempotency_keys',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('api_key_id', sa.String(length=16), nullable=False),
    sa.Column('idem_key', sa.String(length=64), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('created_at', core.registry.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', core.registry.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('api_key_id', 'idem_key', name='uq_idempotency_key')
    )
    op.create_index('ix_idempotency_keys_expires_at', 'idempotency_keys', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_idempotency_keys_expires_at', table_name='idempotency_keys')
    op.drop_table('idempotency_keys')
