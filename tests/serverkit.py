"""Running the real REST server for tests and the load bench: `savepets serve` as a subprocess on loopback.

Nothing here imports the server in-process: tests talk HTTP to a separate process, as clients do.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
MYSQL_SERVER = os.environ.get("SAVEPETS_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306")
REDIS_URL = os.environ.get("SAVEPETS_TEST_REDIS", "redis://127.0.0.1:6379/0")


def savepets_command() -> list[str]:
    exe = Path(sys.executable).with_name("savepets")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kiosk.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_mysql_database(prefix: str = "savepets_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    server = create_engine(MYSQL_SERVER + "/test")
    with server.begin() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    server.dispose()
    return f"{MYSQL_SERVER}/{name}"


def mysql_database_with_redis() -> str:
    """A fresh database of the machine's MariaDB, Redis answering (replicas, Celery): outside CI an unreachable one
    skips the test; in CI it fails it."""
    import pytest  # only the tests' fixtures come here
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
        return create_mysql_database()
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI"):
            raise
        pytest.skip(f"MariaDB or Redis not reachable: {exc}")


def drop_mysql_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    server = create_engine(MYSQL_SERVER + "/test")
    with server.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    server.dispose()


def base_env(db_url: str, data_dir: Path, **settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAVEPETS_")}
    env.update({"SAVEPETS_CONFIG": str(REPO / "tests" / "no-such-config.toml"), "SAVEPETS_DB_URL": db_url,
                "SAVEPETS_DATA_DIR": str(data_dir), "SAVEPETS_ENGINE": "standin",
                "SAVEPETS_RATE_LIMIT_PER_MINUTE": "100000", "PYTHONUNBUFFERED": "1"})
    if os.environ.get("SAVEPETS_KEY_FILE"):  # the tests' registry key (tests/conftest.py), never the user's
        env["SAVEPETS_KEY_FILE"] = os.environ["SAVEPETS_KEY_FILE"]
    env.update({f"SAVEPETS_{k.upper()}": str(v) for k, v in settings.items()})
    return env


_deployed: set[str] = set()  # the MySQL/MariaDB databases `savepets db upgrade` has run on in this process


class Server:
    """`savepets serve --port <free port>` with SAVEPETS_* settings; waits until /v1/ready says ready."""

    def __init__(self, db_url: str, data_dir: Path, **settings):
        self.db_url = db_url
        self.data_dir = Path(data_dir)
        self.env = base_env(db_url, self.data_dir, **settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir.parent / f"server-{self.port}.log"

    def start(self, timeout: float = 90) -> Server:
        return self.launch().wait_ready(timeout)

    def deploy(self) -> Server:
        """`savepets db upgrade`, the deploy step: a server on MySQL/MariaDB does not migrate its database itself
        and refuses to start on an older schema. Once per database here (a second run would find nothing to do)."""
        if self.db_url.startswith("sqlite") or self.db_url in _deployed:
            return self
        run = subprocess.run([*savepets_command(), "db", "upgrade"], env=self.env, cwd=REPO, capture_output=True,
                             text=True, timeout=300)
        if run.returncode != 0:
            raise RuntimeError(f"savepets db upgrade exited with {run.returncode}:\n{run.stdout}{run.stderr}")
        _deployed.add(self.db_url)
        return self

    def launch(self) -> Server:
        """Start the process without waiting (to start several at once on a database already migrated); a MySQL
        or MariaDB database is upgraded first, as a deploy does (deploy)."""
        self.deploy()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([*savepets_command(), "serve", "--port", str(self.port)], env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO)
        return self

    def wait_ready(self, timeout: float = 90) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/v1/ready", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not ready in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_log", None):
            self._log.close()

    def key(self, role: str, name: str = "test", org: str | None = None) -> str:
        """A key of a new device of `org` (name; made if missing; default: the default organisation), made straight
        in the server's database (what `savepets orgs add` and `savepets keys create --org` do)."""
        from core.registry.db import Database
        from core.registry.models import Organisation
        from sync.server.devices import Devices
        from sync.server.keys import KeyStore

        db = Database(self.db_url)
        try:
            if org is not None:
                with db.sessions() as s:
                    exists = s.query(Organisation).filter_by(name=org).first() is not None
                if not exists:
                    Devices(db).add_org(org, "app" if role == "mobile" else "shelter")
            return KeyStore(db).create(role, name, org=org)[1]
        finally:
            db.dispose()

    def client(self, key: str | None = None, timeout: float = 60) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)


@contextmanager
def served(kind: str, base: Path, **settings) -> Iterator[Server]:
    """A started Server on SQLite in `base` ("sqlite") or on a fresh database of the machine's MariaDB ("mariadb",
    dropped afterwards). Outside CI an unreachable MariaDB skips the test; in CI it fails it."""
    import pytest  # only the tests' fixtures come here; the load bench uses Server alone

    if kind == "sqlite":
        url = f"sqlite:///{base / 'registry.sqlite3'}"
    else:
        try:
            url = create_mysql_database()
        except Exception as exc:  # noqa: BLE001
            if os.environ.get("CI"):
                raise
            pytest.skip(f"MariaDB not reachable: {exc}")
    srv = Server(url, base / "data", **settings).start()
    try:
        yield srv
    finally:
        srv.stop()
        if kind == "mariadb":
            drop_mysql_database(url)


def snapshot(db_url: str, data_dir: Path) -> dict:
    """Row counts of everything a registration writes, and every file in the photo store."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            counts = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
                      for t in ("owners", "dogs", "nose_photos", "nose_templates", "outbox")}
    finally:
        engine.dispose()
    photos = Path(data_dir) / "photos"
    counts["files"] = sorted(str(p.relative_to(photos)) for p in photos.rglob("*") if p.is_file()) \
        if photos.exists() else []
    return counts


# ------------------------------------------------------------------------------------------- odd payloads
def png_bomb(width: int = 10_000, height: int = 10_000) -> bytes:
    """A valid grey PNG of width x height zeros: about 100 KB on disk, 100 megapixels decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    comp = zlib.compressobj(9)
    row = bytes(width + 1)
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def raw_http(port: int, head: bytes, chunks=(), timeout: float = 30) -> tuple[int, bytes]:
    """Send a request by hand (for bodies no client library sends): stop sending once the server answers.
    Returns (status, response body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head)
        for c in chunks:
            if select.select([s], [], [], 0)[0]:
                break  # the server has answered (and may have closed): stop sending
            try:
                s.sendall(c)
            except (BrokenPipeError, ConnectionResetError):
                break
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                part = s.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not part:
                break
            data += part
            if b"\r\n\r\n" in data:
                header, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in header.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), None)
                if length is not None and len(body) >= length:
                    break
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data.partition(b"\r\n\r\n")[2]
