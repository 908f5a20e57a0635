"""reunite: lost reports, found cases with their photos' templates, possible reunions (synced), and the outbox of
notifications to people (local) -- core/service/reunite.py, core/notifications.py

Written to be run again after a crash part-way (on MySQL/MariaDB each CREATE TABLE commits at once): a table that is
already there is not made again.

Revision ID: 0012_reunite
Revises: 0011_unique_templates
Create Date: 2026-12-03 18:15:00
"""
import sqlalchemy as sa
from alembic import op

import core.registry.models

revision = '0012_reunite'
down_revision = '0011_unique_templates'
branch_labels = None
depends_on = None

UTC = core.registry.models.UTCDateTime()
TABLES = ('found_cases', 'notifications', 'found_photos', 'lost_reports', 'reunions')  # in creation order


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    if 'found_cases' not in have:
        op.create_table('found_cases',
        sa.Column('org_id', sa.String(length=36), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('found_at', UTC, nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('finder_contact', sa.Text(), nullable=False),
        sa.Column('hold_until', UTC, nullable=True),
        sa.Column('state', sa.Enum('open', 'reunited', 'closed', name='foundstate', native_enum=False, length=16), nullable=False),
        sa.Column('dog_id', sa.String(length=36), nullable=True),
        sa.Column('closed_at', UTC, nullable=True),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.Column('origin_device', sa.String(length=64), nullable=True),
        sa.Column('deleted_at', UTC, nullable=True),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index(op.f('ix_found_cases_org_id'), 'found_cases', ['org_id'], unique=False)
        op.create_index(op.f('ix_found_cases_state'), 'found_cases', ['state'], unique=False)
        op.create_index(op.f('ix_found_cases_updated_at'), 'found_cases', ['updated_at'], unique=False)
    if 'notifications' not in have:
        op.create_table('notifications',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('dedupe_key', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('recipient', sa.Text(), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTC, nullable=False),
        sa.Column('claimed_until', UTC, nullable=True),
        sa.Column('last_error', sa.String(length=255), nullable=False),
        sa.Column('dog_id', sa.String(length=36), nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('sent_at', UTC, nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dedupe_key')
        )
        op.create_index('ix_notification_due', 'notifications', ['state', 'next_attempt_at'], unique=False)
    if 'found_photos' not in have:
        op.create_table('found_photos',
        sa.Column('case_id', sa.String(length=36), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('path', sa.String(length=200), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('quality', sa.Float(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('model_name', sa.String(length=64), nullable=False),
        sa.Column('model_version', sa.String(length=64), nullable=False),
        sa.Column('dim', sa.Integer(), nullable=False),
        sa.Column('vector', sa.LargeBinary().with_variant(sa.BLOB(), 'mysql'), nullable=False),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.Column('origin_device', sa.String(length=64), nullable=True),
        sa.Column('deleted_at', UTC, nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['found_cases.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('case_id', 'sha256', name='uq_found_photo_sha')
        )
        op.create_index(op.f('ix_found_photos_case_id'), 'found_photos', ['case_id'], unique=False)
        op.create_index(op.f('ix_found_photos_updated_at'), 'found_photos', ['updated_at'], unique=False)
    if 'lost_reports' not in have:
        op.create_table('lost_reports',
        sa.Column('dog_id', sa.String(length=36), nullable=False),
        sa.Column('org_id', sa.String(length=36), nullable=True),
        sa.Column('lost_at', UTC, nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('contact_email', sa.Text(), nullable=False),
        sa.Column('contact_phone', sa.Text(), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('notify_possible', sa.Boolean(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('state', sa.Enum('open', 'withdrawn', 'home', name='loststate', native_enum=False, length=16), nullable=False),
        sa.Column('closed_at', UTC, nullable=True),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.Column('origin_device', sa.String(length=64), nullable=True),
        sa.Column('deleted_at', UTC, nullable=True),
        sa.ForeignKeyConstraint(['dog_id'], ['dogs.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index(op.f('ix_lost_reports_dog_id'), 'lost_reports', ['dog_id'], unique=False)
        op.create_index(op.f('ix_lost_reports_state'), 'lost_reports', ['state'], unique=False)
        op.create_index(op.f('ix_lost_reports_updated_at'), 'lost_reports', ['updated_at'], unique=False)
    if 'reunions' not in have:
        op.create_table('reunions',
        sa.Column('found_case_id', sa.String(length=36), nullable=False),
        sa.Column('dog_id', sa.String(length=36), nullable=False),
        sa.Column('lost_report_id', sa.String(length=36), nullable=True),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('state', sa.Enum('possible', 'confirmed', 'rejected', name='reunionstate', native_enum=False, length=16), nullable=False),
        sa.Column('decided_by', sa.String(length=100), nullable=True),
        sa.Column('decided_at', UTC, nullable=True),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.Column('origin_device', sa.String(length=64), nullable=True),
        sa.Column('deleted_at', UTC, nullable=True),
        sa.ForeignKeyConstraint(['dog_id'], ['dogs.id'], ),
        sa.ForeignKeyConstraint(['found_case_id'], ['found_cases.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('found_case_id', 'dog_id', name='uq_reunion_pair')
        )
        op.create_index(op.f('ix_reunions_dog_id'), 'reunions', ['dog_id'], unique=False)
        op.create_index(op.f('ix_reunions_found_case_id'), 'reunions', ['found_case_id'], unique=False)
        op.create_index(op.f('ix_reunions_state'), 'reunions', ['state'], unique=False)
        op.create_index(op.f('ix_reunions_updated_at'), 'reunions', ['updated_at'], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
