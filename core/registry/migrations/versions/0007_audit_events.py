"""audit trail: who looked up, saw, registered, changed or removed what, when, from which device (core/audit.py)

Revision ID: 0007_audit_events
Revises: 0006_staff_users
Create Date: 2026-12-02 09:00:00
"""
import sqlalchemy as sa
from alembic import op

import core.registry.models

revision = '0007_audit_events'
down_revision = '0006_staff_users'
branch_labels = None
depends_on = None

# SQLite (every kiosk): an entry cannot be changed once written; only synced_at may be set (by sync)
APPEND_ONLY = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
WHEN NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.device_id IS NOT OLD.device_id
  OR NEW.actor_kind IS NOT OLD.actor_kind OR NEW.actor_id IS NOT OLD.actor_id OR NEW.actor_name IS NOT OLD.actor_name
  OR NEW.actor_role IS NOT OLD.actor_role OR NEW.action IS NOT OLD.action OR NEW.dog_id IS NOT OLD.dog_id
  OR NEW.registration_number IS NOT OLD.registration_number OR NEW.decision IS NOT OLD.decision
  OR NEW.reason IS NOT OLD.reason OR NEW.detail IS NOT OLD.detail
BEGIN
  SELECT RAISE(ABORT, 'audit entries are append-only');
END
"""


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('at', core.registry.models.UTCDateTime(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('actor_role', sa.String(length=16), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('dog_id', sa.String(length=36), nullable=True),
    sa.Column('registration_number', sa.String(length=64), nullable=True),
    sa.Column('decision', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.String(length=255), nullable=False),
    sa.Column('synced_at', core.registry.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_synced_at'), ['synced_at'], unique=False)
        batch_op.create_index('ix_audit_dog_at', ['dog_id', 'at'], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute(sa.text(APPEND_ONLY))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(sa.text("DROP TRIGGER IF EXISTS audit_events_append_only"))
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_dog_at')
        batch_op.drop_index(batch_op.f('ix_audit_events_synced_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
    op.drop_table('audit_events')
