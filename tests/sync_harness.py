"""Helpers for the sync tests and the sync bench: a real `savepets serve` subprocess on loopback, kiosks
(each its own SQLite registry and photo folder), and a TCP proxy that can cut connections."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_key(db_url: str, role: str = "kiosk", name: str = "test kiosk") -> str:
    from core.registry.db import Database
    from sync.server.keys import KeyStore

    db = Database(db_url)
    try:
        return KeyStore(db).create(role, name)[1]
    finally:
        db.dispose()


class ServerProcess:
    """`savepets serve` in a subprocess (stand-in engine), restartable on the same port and database.

    pause_at_push=N: the process stops inside its N-th push, applied and not committed (tests/server_child.py), for a
    kill that lands at a known point; `wait_paused` waits for it. Set it to None before a restart to serve normally."""

    def __init__(self, db_url: str, data_dir: Path, port: int | None = None, pause_at_push: int | None = None):
        self.db_url, self.data_dir = db_url, Path(data_dir)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log = self.data_dir / "server.log"
        self.pause_at_push = pause_at_push
        self.paused_flag = self.data_dir / "paused-in-push"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "SAVEPETS_ENGINE": "standin", "SAVEPETS_RATE_LIMIT_PER_MINUTE": "1000000",
               "SAVEPETS_CONFIG": str(REPO / "tests" / "no-such-config.toml"), "PYTHONUNBUFFERED": "1"}
        env.pop("SAVEPETS_SERVER_URL", None)
        module = "kiosk.cli"
        self.paused_flag.unlink(missing_ok=True)
        if self.pause_at_push is not None:
            from tests.server_child import PAUSE_FILE_ENV, PAUSE_PUSH_ENV

            module = "tests.server_child"
            env.update({PAUSE_PUSH_ENV: str(self.pause_at_push), PAUSE_FILE_ENV: str(self.paused_flag)})
        cmd = [sys.executable, "-m", module, "serve", "--port", str(self.port), "--db", self.db_url,
               "--data-dir", str(self.data_dir), "--engine", "standin"]
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-3000:]}")

    def wait_paused(self, timeout: float = 60.0) -> str:
        """Wait until the process stopped in its pause_at_push-th push; what it said about it."""
        deadline = time.monotonic() + timeout
        while not self.paused_flag.exists():
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"server exited before its pause: {self.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the server never reached push {self.pause_at_push}")
            time.sleep(0.02)
        return self.paused_flag.read_text()

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, like a power cut."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None


class CutProxy:
    """A TCP proxy on loopback. `cut_after` (bytes of the server's answer) closes the connection part-way
    through a response; `cut_requests_after` closes it after that many bytes of the request; None: pass."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self.cut_after: int | None = None
        self.cut_requests_after: int | None = None
        self.cuts = 0
        self.cuts_left: int | None = None  # None: cut every time; n: only the next n times
        self.match: bytes | None = None  # cut only connections whose request starts like this (b"POST /v1/sync/push")
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.listen(64)
        self._stop = False
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=30)
        except OSError:
            client.close()
            return
        done = threading.Event()
        head = bytearray()

        def pipe(src, dst, limit_attr):
            sent = 0
            try:
                while not done.is_set():
                    data = src.recv(65536)
                    if not data:
                        break
                    if limit_attr == "cut_requests_after" and len(head) < 64:
                        head.extend(data[:64])
                    limit = getattr(self, limit_attr)
                    wanted = self.match is None or bytes(head).startswith(self.match)
                    if limit is not None and wanted and sent + len(data) > limit and self._take_cut():
                        dst.sendall(data[: max(0, limit - sent)])
                        break
                    dst.sendall(data)
                    sent += len(data)
            except OSError:
                pass
            finally:
                done.set()
                for sock in (client, upstream):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        t = threading.Thread(target=pipe, args=(client, upstream, "cut_requests_after"), daemon=True)
        t.start()
        pipe(upstream, client, "cut_after")
        t.join(5)
        client.close()
        upstream.close()

    def _take_cut(self) -> bool:
        with self._lock:
            if self.cuts_left is not None:
                if self.cuts_left <= 0:
                    return False
                self.cuts_left -= 1
            self.cuts += 1
            return True

    def close(self) -> None:
        self._stop = True
        self._sock.close()


def make_kiosk(folder: Path, server_url: str | None = None, api_key: str | None = None):
    """A kiosk: its own SQLite registry and photo folder, the stand-in engine."""
    from core.recognition.standin import StandInEngine
    from core.settings import Settings
    from core.usecases import SavePets

    settings = Settings(data_dir=folder, engine="standin", server_url=server_url, api_key=api_key)
    return SavePets(settings, engine=StandInEngine())
