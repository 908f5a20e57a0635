"""The kiosk's side of sync: push the outbox, pull the other kiosks' changes, keep photos in step.

    client = SyncClient(sp)                 # server_url and api_key from settings
    report = client.sync_once()             # push, then pull; raises nothing, see client.status
    client.start(interval=60)               # background thread; client.request_sync() to hurry it
    client.on_status.append(callback)       # called with a SyncStatus after every change of state

Everything stays correct if the connection drops anywhere: pushes are idempotent (change_id), the pull cursor
advances only in the transaction that applies the page, and photos are content-addressed (sha256).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import requests
from sqlalchemy import select
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from core import audit
from core.registry.models import Dog, Meta, NosePhoto, utcnow
from core.replication import (
    CURSOR_KEY,
    adopt_remap,
    apply_pulled_page,
    live_photo_shas,
    mark_pushed_many,
    outgoing_changes,
    pending_count,
)
from core.usecases import SavePets
from sync.protocol import MAX_PHOTO_BATCH_BYTES, PREFIX

log = logging.getLogger(__name__)

PHOTOS_PENDING_KEY = "sync_photos_pending"
REJECTED_KEY = "sync_rejected"


@dataclass(frozen=True)
class SyncStatus:
    """What the kiosk GUI shows. state: online | offline | syncing | error."""

    state: str = "offline"
    pending: int = 0  # local changes (entities) not yet on the server
    last_sync: datetime | None = None  # end of the last sync that completed
    last_error: str | None = None
    pushed: int = 0  # in the last completed sync
    pulled: int = 0
    cursor: int = 0  # the server seq this kiosk has pulled up to
    server_url: str | None = None

    @property
    def message(self) -> str:  # the GUI's sync area shows it (ui/widgets.py SyncStatus)
        return self.last_error or ""


@dataclass
class SyncReport:
    pushed: int = 0  # changes the server applied
    duplicates: int = 0  # changes the server had applied already (resends)
    rejected: int = 0
    remapped: int = 0  # owners merged or registration numbers changed by the server
    photos_up: int = 0
    audit_up: int = 0  # audit entries the server stored
    pulled: int = 0  # changes applied from the server
    photos_down: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"pushed {self.pushed} (+{self.duplicates} already there, {self.rejected} rejected, "
                f"{self.remapped} renumbered/merged), {self.photos_up} photos up, {self.audit_up} audit entries up; "
                f"pulled {self.pulled}, "
                f"{self.photos_down} photos down; {self.seconds:.1f} s")


class SyncError(Exception):
    """The server refused a request (4xx other than 429): retrying as is would not help."""


class Offline(Exception):
    """The server could not be reached or kept failing (connection, timeout, 5xx, 429) after the retries."""


class _Transient(Exception):
    pass


class SyncClient:
    def __init__(self, sp: SavePets, server_url: str | None = None, api_key: str | None = None, *,
                 timeout: tuple[float, float] = (3.05, 30.0), push_batch: int = 100, pull_limit: int = 500,
                 audit_batch: int = 500,
                 fetch_photos: bool = True, retries: int = 4, max_wait_s: float = 8.0,
                 clock: Callable[[], datetime] = utcnow, session: requests.Session | None = None):
        self.sp = sp
        self.server_url = (server_url or sp.settings.server_url or "").rstrip("/")
        if not self.server_url:
            raise ValueError("No server to sync with: set server_url (SAVEPETS_SERVER_URL) first.")
        self.timeout = timeout
        self.push_batch = push_batch
        self.pull_limit = pull_limit
        self.audit_batch = audit_batch
        self.fetch_photos = fetch_photos
        self.retries = retries
        self.max_wait_s = max_wait_s
        self.clock = clock
        self.http = session or requests.Session()
        key = api_key or sp.settings.api_key
        if key:
            self.http.headers["Authorization"] = f"Bearer {key}"
        self.http.headers["User-Agent"] = "savepets-kiosk-sync"
        self.on_status: list[Callable[[SyncStatus], None]] = []
        self._status = SyncStatus(server_url=self.server_url, cursor=self.cursor, pending=self._pending())
        self._run_lock = threading.Lock()  # one sync at a time
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        sp.on_change.append(self._local_change)

    # ------------------------------------------------------------------------------------ status
    @property
    def status(self) -> SyncStatus:
        return self._status

    def _set_status(self, **changes) -> None:
        self._status = replace(self._status, **changes)
        for cb in list(self.on_status):
            try:
                cb(self._status)
            except Exception:  # a GUI callback must not stop sync
                log.exception("sync status listener failed")

    def _pending(self) -> int:
        with self.sp.db.sessions() as s:
            return pending_count(s)

    @property
    def cursor(self) -> int:
        return int(self.sp.db.meta(CURSOR_KEY, "0"))

    def _local_change(self, _dog_id: str) -> None:
        self._set_status(pending=self._pending())
        self._wake.set()

    # ------------------------------------------------------------------------------------ HTTP
    def _call(self, method: str, path: str, parse: bool = False, **kwargs):
        """One request with retries and backoff on what may pass (connection lost or cut, timeout, 5xx, 429).
        With parse, the JSON answer (a cut-off body counts as a lost connection)."""
        url = f"{self.server_url}{PREFIX}{path}"

        def once():
            try:
                resp = self.http.request(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                raise _Transient(f"{type(exc).__name__}: {exc}") from exc
            if resp.status_code == 429 or resp.status_code >= 500:
                wait = resp.headers.get("Retry-After")
                if resp.status_code == 429 and wait and wait.isdigit():
                    time.sleep(min(float(wait), self.max_wait_s))
                raise _Transient(f"HTTP {resp.status_code} from {path}")
            if resp.status_code >= 400:
                raise SyncError(f"HTTP {resp.status_code} from {path}: {_error_text(resp)}")
            if not parse:
                return resp
            try:
                return resp.json()
            except ValueError as exc:
                raise _Transient(f"incomplete answer from {path}") from exc

        try:
            for attempt in Retrying(stop=stop_after_attempt(self.retries), reraise=True,
                                    wait=wait_exponential_jitter(multiplier=0.2, max=self.max_wait_s),
                                    retry=retry_if_exception_type(_Transient)):
                with attempt:
                    return once()
        except _Transient as exc:
            raise Offline(str(exc)) from exc
        raise AssertionError("unreachable")

    def _json(self, method: str, path: str, **kwargs) -> dict:
        return self._call(method, path, parse=True, **kwargs)

    # ------------------------------------------------------------------------------------ push
    def push(self, report: SyncReport | None = None) -> SyncReport:
        report = report or SyncReport()
        stuck: dict[str, int] = {}
        while True:
            with self.sp.db.sessions() as s:
                changes = outgoing_changes(s, self.push_batch)
            if not changes:
                return report
            real = [c for c in changes if c.op != "skip"]
            report.photos_up += self._upload_photos({sha for c in real for sha in live_photo_shas(c.payload["state"])})
            results = {}
            if real:
                body = {"device_id": self.sp.device_id, "sent_at": self.clock().isoformat(),
                        "changes": [{"change_id": c.change_id, "entity": c.entity, "entity_id": c.entity_id,
                                     "op": c.op, "state": c.payload["state"], "clocks": c.payload["clocks"]}
                                    for c in real]}
                answer = self._json("POST", "/push", json=body)
                results = {r["change_id"]: r for r in answer["results"]}
            progress = False
            with self.sp._write_lock, self.sp.db.session() as s:
                now = utcnow()
                done = []
                for c in changes:
                    r = results.get(c.change_id, {"status": "applied"} if c.op == "skip" else None)
                    if r is None:
                        continue
                    status = r["status"]
                    if status in ("applied", "duplicate"):
                        if r.get("remap"):
                            adopt_remap(s, r["remap"])
                            report.remapped += sum(len(v) for v in r["remap"].values())
                        done.append(c)
                        progress = True
                        if c.op != "skip":
                            if status == "applied":
                                report.pushed += 1
                            else:
                                report.duplicates += 1
                    elif status == "rejected":
                        log.error("sync: the server rejected %s %s: %s", c.entity, c.entity_id, r.get("message"))
                        report.rejected += 1
                        report.errors.append(f"{c.entity} {c.entity_id}: {r.get('message')}")
                        rejected = s.get(Meta, REJECTED_KEY)
                        lines = (rejected.value + "\n" if rejected else "") + f"{c.change_id} {r.get('message')}"
                        s.merge(Meta(key=REJECTED_KEY, value=lines[-20000:]))
                        done.append(c)  # kept in the log above; retrying the same state would not help
                        progress = True
                    elif status == "missing_photos":
                        stuck[c.change_id] = stuck.get(c.change_id, 0) + 1
                        if stuck[c.change_id] <= 2:
                            progress = True  # upload them and push again
                            report.photos_up += self._upload_photos(set(r.get("missing") or []))
                mark_pushed_many(s, done, now)
            self._set_status(pending=self._pending())
            if not progress:
                raise SyncError("the server keeps asking for photos this kiosk does not have")

    def _upload_photos(self, shas: set[str]) -> int:
        if not shas:
            return 0
        missing: list[str] = []
        ordered = sorted(shas)
        for i in range(0, len(ordered), 5000):
            missing += self._json("POST", "/photos/missing", json={"sha256": ordered[i:i + 5000]})["missing"]
        batch, size, sent = [], 0, 0
        for sha in missing:
            if not self.sp.store.exists(sha):
                log.warning("sync: photo %s is not in this kiosk's store", sha)
                continue
            data = self.sp.store.get(sha)
            if batch and (size + len(data) > MAX_PHOTO_BATCH_BYTES // 2 or len(batch) >= 200):
                self._json("POST", "/photos", json={"photos": batch})
                sent += len(batch)
                batch, size = [], 0
            batch.append({"sha256": sha, "data": base64.b64encode(data).decode("ascii")})
            size += len(data)
        if batch:
            self._json("POST", "/photos", json={"photos": batch})
            sent += len(batch)
        return sent

    # ------------------------------------------------------------------------------------ audit trail
    def push_audit(self, report: SyncReport | None = None) -> SyncReport:
        """This kiosk's audit entries the server does not have yet, oldest first, in batches. An entry is marked
        sent only after the server's answer, and the server skips entries it has: a crash or a lost answer
        anywhere sends them again, never loses or doubles one."""
        report = report or SyncReport()
        while True:
            with self.sp.db.sessions() as s:
                entries = audit.pending_events(s, self.audit_batch)
            if not entries:
                return report
            try:
                answer = self._json("POST", "/audit", json={"device_id": self.sp.device_id, "entries": entries})
            except SyncError as exc:
                if str(exc).startswith("HTTP 404 "):  # a server older than the audit trail: keep them for later
                    log.warning("sync: the server takes no audit entries yet (%s); they stay here", exc)
                    return report
                raise
            with self.sp._write_lock, self.sp.db.session() as s:
                audit.mark_synced(s, [e["id"] for e in entries])
            report.audit_up += answer["stored"]

    # ------------------------------------------------------------------------------------ pull
    def pull(self, report: SyncReport | None = None) -> SyncReport:
        report = report or SyncReport()
        cursor = self.cursor
        touched_any = False
        while True:
            page = self._json("GET", "/pull", params={"since": cursor, "limit": self.pull_limit})
            with self.sp._write_lock, self.sp.db.session() as s:
                touched, applied = apply_pulled_page(s, page["changes"])
                # the cursor moves in the same transaction as the data: a crash here loses neither
                s.merge(Meta(key=CURSOR_KEY, value=str(page["cursor"])))
                if applied and self.fetch_photos:
                    s.merge(Meta(key=PHOTOS_PENDING_KEY, value="1"))
            cursor = page["cursor"]
            report.pulled += applied
            touched_any = touched_any or bool(touched)
            self._set_status(cursor=cursor)
            if not page["has_more"]:
                break
        if self.fetch_photos and self.sp.db.meta(PHOTOS_PENDING_KEY) == "1":
            report.photos_down += self._download_photos()
            self.sp.db.set_meta(PHOTOS_PENDING_KEY, "0")
            self.sp.ensure_templates()  # templates of this kiosk's engine for pulled photos that lack one
        if touched_any or report.photos_down:
            self.sp.refresh_gallery()
        self.sp.after_erasures()  # photo files of dogs removed by an owner's erasure (core/owner_rights.py)
        return report

    def _download_photos(self) -> int:
        with self.sp.db.sessions() as s:
            shas = set(s.scalars(select(NosePhoto.sha256).join(Dog, Dog.id == NosePhoto.dog_id)
                                 .where(NosePhoto.deleted_at.is_(None), Dog.deleted_at.is_(None))))
        todo = sorted(sha for sha in shas if not self.sp.store.exists(sha))
        got = 0
        while todo:
            answer = self._json("POST", "/photos/fetch", json={"sha256": todo[:2000]})
            if not answer["photos"]:
                log.warning("sync: the server has none of %d photos asked for", len(todo[:2000]))
                todo = todo[2000:]
                continue
            sent = set()
            for p in answer["photos"]:
                data = base64.b64decode(p["data"])
                if hashlib.sha256(data).hexdigest() == p["sha256"]:  # never keep a damaged photo
                    self.sp.store.put(data)
                    got += 1
                sent.add(p["sha256"])
            todo = [sha for sha in todo if sha not in sent]
        return got

    # ------------------------------------------------------------------------------------ one sync, loop
    def sync_once(self) -> SyncReport:
        """Push, then pull. Never raises: the outcome is in the report and in `status`."""
        report = SyncReport()
        t0 = time.perf_counter()
        with self._run_lock:
            self._set_status(state="syncing", pending=self._pending())
            try:
                self.push(report)
                self.push_audit(report)
                self.pull(report)
            except Offline as exc:
                report.errors.append(str(exc))
                self._set_status(state="offline", last_error=str(exc), pending=self._pending())
            except Exception as exc:  # noqa: BLE001 - the loop must survive anything and say what happened
                log.exception("sync failed")
                report.errors.append(f"{type(exc).__name__}: {exc}")
                self._set_status(state="error", last_error=f"{type(exc).__name__}: {exc}",
                                 pending=self._pending())
            else:
                self._set_status(state="online", last_sync=utcnow(), last_error=None, pushed=report.pushed,
                                 pulled=report.pulled, pending=self._pending(), cursor=self.cursor)
        report.seconds = time.perf_counter() - t0
        return report

    def start(self, interval: float = 60.0) -> threading.Thread:
        """Sync now and then every `interval` seconds (sooner after a local change) in a daemon thread."""
        if self._thread is not None and self._thread.is_alive():
            return self._thread
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                self.sync_once()
                wait = interval if self._status.state == "online" else min(interval, 15.0)
                self._wake.wait(wait)
                self._wake.clear()

        self._thread = threading.Thread(target=loop, name="savepets-sync", daemon=True)
        self._thread.start()
        return self._thread

    def request_sync(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()
        if self._local_change in self.sp.on_change:
            self.sp.on_change.remove(self._local_change)
        self.http.close()


def _error_text(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300]
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return err.get("message", str(err))
    return str(body.get("detail", body))[:300] if isinstance(body, dict) else str(body)[:300]
