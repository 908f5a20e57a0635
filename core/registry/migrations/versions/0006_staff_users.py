"""staff accounts of a kiosk's registry: name, role, argon2 hash of the PIN, lock after wrong PINs (core/staff.py)

Revision ID: 0006_staff_users
Revises: 0005_encrypt_owner_data
Create Date: 2026-11-30 00:30:00
"""
import sqlalchemy as sa
from alembic import op

import core.registry.models

revision = '0006_staff_users'
down_revision = '0005_encrypt_owner_data'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('pin_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', core.registry.models.UTCDateTime(), nullable=False),
    sa.Column('disabled_at', core.registry.models.UTCDateTime(), nullable=True),
    sa.Column('failed_tries', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('locked_until', core.registry.models.UTCDateTime(), nullable=True),
    sa.Column('last_sign_in_at', core.registry.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', name='uq_staff_users_name')
    )


def downgrade() -> None:
    op.drop_table('staff_users')
