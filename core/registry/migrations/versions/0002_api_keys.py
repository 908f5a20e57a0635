"""api keys of the REST server (sync/server/keys.py)

Revision ID: 0002_api_keys
Revises: 0001
Create Date: 2026-11-26 08:45:00
"""
import sqlalchemy as sa
from alembic import op

import core.registry.models

revision = '0002_api_keys'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', core.registry.models.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', core.registry.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('api_keys')
