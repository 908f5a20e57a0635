"""A registry made by the first release opens and upgrades with its data intact, on SQLite and MariaDB."""

from alembic.script import ScriptDirectory
from sqlalchemy import text

from core.registry.db import Database, alembic_config


def test_first_schema_upgrades_to_head_keeping_data(db_url):
    old = Database(db_url, upgrade=False)
    old.upgrade("0001")
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO owners (id, phone, name, created_at, updated_at) "
                          "VALUES ('o1', '+821012345678', '김철수', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO dogs (id, owner_id, registration_number, registered_at, name, breed, sex, notes,"
                          " status, created_at, updated_at) VALUES ('d1', 'o1', '2601010900ㅊㅋ5678',"
                          " '2026-01-01 00:00:00', '초코', '', 'female', '', 'home', '2026-01-01 00:00:00',"
                          " '2026-01-01 00:00:00')"))
    old.dispose()

    new = Database(db_url)  # what every start does
    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    assert new.current_revision() == head
    with new.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM dogs WHERE id = 'd1'")).scalar() == "초코"
    Database(db_url).dispose()  # a second start is a no-op
    new.dispose()


def test_a_registry_at_the_newest_schema_opens_without_alembic(tmp_path):
    """Every start checks the schema: reading the head from the migration files must agree with Alembic, and an
    up-to-date registry must not pay for importing it."""
    import subprocess
    import sys

    from core.registry.db import head_revision

    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    assert head_revision() == ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    Database(url).dispose()  # made and upgraded
    code = ("import sys; from core.registry.db import Database; Database(sys.argv[1]).dispose(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    out = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def _import_table_modules() -> None:
    """Every module that declares a table (models may live beside their code: core/replication.py,
    sync/server/keys.py, ...), so that the metadata compared below is the whole schema."""
    import importlib
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    for folder in ("core", "sync", "kiosk"):
        for path in (repo / folder).rglob("*.py"):
            if "migrations" in path.parts or "__tablename__" not in path.read_text(encoding="utf-8"):
                continue
            importlib.import_module(".".join(path.relative_to(repo).with_suffix("").parts))


def test_models_and_migrations_agree(db_url):
    """`alembic check`: the models and the schema the migrations make are the same (types included), on SQLite
    and MariaDB; a model change without its migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from core.registry.models import Base

    _import_table_modules()
    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    finally:
        db.dispose()
    assert diffs == []
