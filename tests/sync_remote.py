"""The server a sync test talks to, two ways: a real `savepets serve` process over HTTP (`HttpRemote`), or the server's
core entry points (core/replication/server.py) on a server registry opened in the test's own process (`CoreRemote`,
through `CoreLink`: two registries and the core calls, no HTTP). The fault tests run against both."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import requests
from pydantic import TypeAdapter
from sqlalchemy.exc import InterfaceError, OperationalError

from core.audit import AuditEntry
from core.errors import SavePetsError
from core.replication import server
from core.replication.kiosk import Offline, Refused
from core.replication.messages import Change, DogChange, FlagChange, PullPage, PushAnswer
from core.replication.trust import PushRefused
from sync.client import SyncClient, SyncError
from sync.protocol import MAX_PHOTO_BATCH_BYTES, MAX_PHOTOS_PER_BATCH, PushRequest
from tests.sync_harness import ServerProcess, make_key

HTTP_ONLY = ("retries", "max_wait_s", "timeout", "session")
# What a server may suffer that the kiosk cannot tell from a lost connection (over HTTP: a 5xx, retried, then Offline):
# its database gone or unreachable (OperationalError, InterfaceError: the connection, a lock, the disk), its disk
# failing (OSError). Anything else raised by the server's code is a bug, and fails the test instead of reading as
# "offline" (a test that expects the kiosk to ride out a fault would otherwise pass on an AttributeError).
SERVER_FAULTS = (OperationalError, InterfaceError, OSError)
_changes = TypeAdapter(list[Change])


class HttpRemote:
    kind = "http"

    def __init__(self, srv: ServerProcess, key: str, owned: bool = False):
        self.srv, self.key, self.owned = srv, key, owned  # owned: stopped by close()

    @property
    def db_url(self) -> str:
        return self.srv.db_url

    @property
    def photo_root(self) -> Path:
        return self.srv.data_dir / "photos"

    def client(self, sp, url: str | None = None, **kw) -> SyncClient:
        """A sync client with few retries and short waits, so that a fault ends a sync quickly instead of hiding
        in backoff. `url`: another way to the server (a proxy)."""
        kw.setdefault("retries", 3)
        kw.setdefault("max_wait_s", 0.5)
        kw.setdefault("timeout", (2.0, 10.0))
        return SyncClient(sp, url or self.srv.url, self.key, **kw)

    def push_raw(self, body: dict) -> list[dict]:
        """A push request as a client would send it; the answers as JSON."""
        r = requests.post(f"{self.srv.url}/v1/sync/push", json=body, headers={"Authorization": f"Bearer {self.key}"},
                          timeout=30)
        r.raise_for_status()
        return r.json()["results"]

    def down(self) -> None:
        """SIGKILL: no graceful shutdown, like a power cut."""
        self.srv.kill()

    def up(self) -> None:
        if self.srv.proc is None or self.srv.proc.poll() is not None:
            self.srv.start()

    def close(self) -> None:
        if self.owned:
            self.srv.stop()


class CoreRemote:
    """A server registry in this process, reached through the core's server entry points."""

    kind = "core"

    def __init__(self, db_url: str, data_dir: Path):
        self.db_url, self.data_dir = db_url, Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.sp = None
        self.up()

    @property
    def photo_root(self) -> Path:
        return self.data_dir / "photos"

    def client(self, sp, url: str | None = None, fault: Callable[[str, str], None] | None = None,
               **kw) -> SyncClient:
        for k in HTTP_ONLY:
            kw.pop(k, None)
        return SyncClient(sp, link=CoreLink(self, fault), **kw)

    def push_raw(self, body: dict) -> list[dict]:
        req = PushRequest.model_validate(body)
        return server.receive_push(self.sp, req.device_id, req.sent_at, req.changes).model_dump(mode="json")["results"]

    def down(self) -> None:
        """The server goes away (its registry closed); links answer Offline until `up`."""
        if self.sp is not None:
            self.sp.close()
        self.sp = None

    def up(self) -> None:
        from core.recognition.standin import StandInEngine
        from core.settings import Settings
        from core.usecases import SavePets

        if self.sp is None:
            self.sp = SavePets(Settings(data_dir=self.data_dir, db_url=self.db_url, engine="standin"),
                               engine=StandInEngine())

    def close(self) -> None:
        self.down()


class CoreLink:
    """A kiosk's link (core.replication.kiosk.Link) to a CoreRemote: the server's entry points called directly, the
    messages passed through their JSON form as on the wire. The server's answers map as over HTTP: a refusal (a core
    error, a 4xx there) raises SyncError, a push refused as a whole kiosk.Refused, and only a fault of the server's
    database or disk (SERVER_FAULTS) reads as Offline; any other exception is a bug and propagates. `fault(call,
    phase)` may raise Offline to lose a call's request ("request": the server never hears it) or its answer
    ("answer": the server did it, the kiosk never hears)."""

    def __init__(self, remote: CoreRemote, fault: Callable[[str, str], None] | None = None):
        self.remote = remote
        self.fault = fault or (lambda _call, _phase: None)
        self.calls: Counter = Counter()

    def _serve(self, call: str, fn):
        self.calls[call] += 1
        self.fault(call, "request")
        sp = self.remote.sp
        if sp is None:
            raise Offline("the server is down")
        try:
            out = fn(sp)
        except SERVER_FAULTS as exc:  # the server's database or disk failed: over HTTP a 5xx, retried, then Offline
            raise Offline(f"the server failed: {type(exc).__name__}: {exc}") from exc
        except PushRefused as exc:  # HTTP 403 push_refused
            refused = {r["change_id"]: r.get("reason", "") for r in (exc.details or {}).get("refused", [])}
            raise Refused(str(exc), refused) from exc
        except SavePetsError as exc:  # a refusal (HTTP 4xx): retrying as is would not help
            raise SyncError(f"refused: {exc}", 400, {"error": exc.to_dict()}) from exc
        self.fault(call, "answer")
        return out

    def push(self, device_id: str, sent_at: datetime, changes: list[DogChange | FlagChange]) -> PushAnswer:
        wire = _changes.validate_json(_changes.dump_json(changes))
        answer = self._serve("push", lambda sp: server.receive_push(sp, device_id, sent_at, wire))
        return PushAnswer.model_validate_json(answer.model_dump_json())

    def pull(self, since: int, limit: int) -> PullPage:
        page = self._serve("pull", lambda sp: server.serve_pull(sp, since, limit))
        return PullPage.model_validate_json(page.model_dump_json())

    def missing_photos(self, shas: list[str]) -> list[str]:
        return self._serve("missing_photos", lambda sp: server.missing_photos(sp, shas))

    def upload_photos(self, shas: list[str], read: Callable[[str], bytes]) -> int:
        photos = {sha: read(sha) for sha in shas}
        self._serve("upload_photos", lambda sp: [server.receive_photo(sp, sha, data) for sha, data in photos.items()])
        return len(photos)

    def fetch_photos(self, shas: list[str]) -> dict[str, bytes]:
        return self._serve("fetch_photos", lambda sp: server.photos_for(sp, shas, MAX_PHOTO_BATCH_BYTES,
                                                                         MAX_PHOTOS_PER_BATCH))

    def push_audit(self, device_id: str, entries: list[dict]) -> int | None:
        parsed = [AuditEntry.model_validate(e) for e in entries]
        return self._serve("push_audit", lambda sp: server.receive_audit(sp, device_id, parsed))


def open_remote(kind: str, backend: str, request, folder: Path) -> HttpRemote | CoreRemote:
    """A server for one test: `kind` http (the module's `savepets serve` on SQLite, or a process of its own on a
    fresh MariaDB database) or core (a fresh registry in this process, SQLite or MariaDB)."""
    if kind == "http" and backend == "sqlite":
        srv, key = request.getfixturevalue("server")
        return HttpRemote(srv, key)
    url = request.getfixturevalue("mariadb_url") if backend == "mariadb" else \
        f"sqlite:///{folder / 'server' / 'registry.sqlite3'}"
    if kind == "http":
        key = make_key(url)
        return HttpRemote(ServerProcess(url, folder / "server").start(), key, owned=True)
    return CoreRemote(url, folder / "server")
