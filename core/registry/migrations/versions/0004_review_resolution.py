"""review flags: how a person resolved the pair (same_dog / different_dogs; core/reviews.py)

Revision ID: 0004_review_resolution
Revises: 0003_sync
Create Date: 2026-11-29 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004_review_resolution'
down_revision = '0003_sync'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review_flags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolution', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review_flags', schema=None) as batch_op:
        batch_op.drop_column('resolution')
