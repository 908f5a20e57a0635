"""templates unique per photo and model version: at most one template of a photo per (model name, model version),
so that replicas re-embedding together after a model change, or a sync push repeated, cannot store one twice (an
insert that loses the race fails on this index and is taken as "already there")

Duplicates already stored are removed first: of each (photo, model, version) the oldest live template stays (the
oldest of all when none is live). Written to be run again after a crash part-way (on MySQL/MariaDB the DELETEs are
committed by the index's DDL; the index may exist before the revision is stamped): the delete finds nothing left to
do and an index already there is not made again.

Revision ID: 0011_unique_templates
Revises: 0010_idempotency_keys
Create Date: 2026-12-12 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_unique_templates'
down_revision = '0010_idempotency_keys'
branch_labels = None
depends_on = None

INDEX = 'uq_template_photo_model'
COLUMNS = ['photo_id', 'model_name', 'model_version']
BATCH = 500


def _has_index() -> bool:
    return any(ix['name'] == INDEX for ix in sa.inspect(op.get_bind()).get_indexes('nose_templates'))


def remove_duplicates(bind) -> int:
    """Delete all but one template of each (photo, model name, model version); returns how many went."""
    groups = bind.execute(sa.text(
        "SELECT photo_id, model_name, model_version FROM nose_templates "
        "GROUP BY photo_id, model_name, model_version HAVING COUNT(*) > 1")).all()
    doomed: list[str] = []
    for photo_id, name, version in groups:
        ids = bind.execute(sa.text(
            "SELECT id FROM nose_templates WHERE photo_id = :p AND model_name = :n AND model_version = :v "
            "ORDER BY CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END, created_at, id"),
            {"p": photo_id, "n": name, "v": version}).scalars().all()
        doomed.extend(ids[1:])
    for i in range(0, len(doomed), BATCH):
        bind.execute(sa.text("DELETE FROM nose_templates WHERE id IN :ids")
                     .bindparams(sa.bindparam("ids", expanding=True)), {"ids": doomed[i:i + BATCH]})
    return len(doomed)


def upgrade() -> None:
    remove_duplicates(op.get_bind())
    if not _has_index():
        op.create_index(INDEX, 'nose_templates', COLUMNS, unique=True)


def downgrade() -> None:
    if _has_index():
        op.drop_index(INDEX, table_name='nose_templates')
