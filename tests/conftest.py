"""Shared fixtures: a registry on SQLite and on the machine's real MariaDB (a fresh database per test)."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.attackkit import world  # noqa: F401 - the shared registry the attack tests play against
from tests.mailkit import smtp  # noqa: F401 - a real SMTP server (aiosmtpd) on loopback

REPO = Path(__file__).resolve().parent.parent
NOSE_DATA = REPO.parent / "shared" / "data" / "nose-pbc2022"
MARIADB_SERVER = os.environ.get("SAVEPETS_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306")

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never read the user's config file or data folder.
os.environ["SAVEPETS_CONFIG"] = str(REPO / "tests" / "no-such-config.toml")
# ... nor the user's registry key or system keyring: one throwaway key file for the session (servers started by
# the tests get it too), and no keyring backend at all.
os.environ["SAVEPETS_KEY_FILE"] = str(Path(tempfile.mkdtemp(prefix="savepets-key-")) / "registry.key")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


@pytest.fixture
def mariadb_url():
    """A fresh database on the real MariaDB, dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"savepets_t_{uuid.uuid4().hex[:12]}"
    server = create_engine(MARIADB_SERVER + "/test")
    try:
        with server.begin() as conn:
            conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI"):
            raise
        pytest.skip(f"MariaDB not reachable: {exc}")
    yield f"{MARIADB_SERVER}/{name}"
    with server.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    server.dispose()


@pytest.fixture(params=["sqlite", "mariadb"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return request.getfixturevalue("mariadb_url")


@pytest.fixture
def settings(tmp_path, db_url):
    from core.settings import Settings

    return Settings(data_dir=tmp_path / "data", db_url=db_url)


@pytest.fixture
def standin_service(settings):
    """The use cases with the stand-in engine: fast, for registry and flow tests (not recognition quality)."""
    from core.recognition.standin import StandInEngine
    from core.usecases import SavePets

    sp = SavePets(settings, engine=StandInEngine())
    yield sp
    sp.close()


@pytest.fixture(scope="session")
def nose_data() -> Path:
    if not NOSE_DATA.is_dir():
        pytest.skip("../shared/data/nose-pbc2022 is not here")
    return NOSE_DATA
