"""The kiosk's side of sync over HTTP: the core's sync run (core/replication/kiosk.py) through an HTTP link, in a
background loop, with a status for the GUI.

    client = SyncClient(sp)                 # server_url and api_key from settings
    report = client.sync_once()             # push, then pull; raises nothing, see client.status
    client.start(interval=60)               # background thread; client.request_sync() to hurry it
    client.on_status.append(callback)       # called with a SyncStatus after every change of state

The server address must be https:// (owners' names and phone numbers travel in it); plain http:// only to this
machine (127.0.0.1, ::1, localhost). Anything else is refused before any request (`InsecureServerUrl`, a
ValueError with a message for people; core.settings.server_url_problem(url) is the rule, for the settings page too).

`HttpLink` turns the core's link calls into requests and their JSON answers into the core's typed models, with
retries and backoff; everything else (what an answer means, what is written, when the cursor moves) is the core's.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from core.registry.models import utcnow
from core.replication import kiosk
from core.replication.kiosk import KioskSync, Link, Offline, SyncReport
from core.replication.messages import AnyChange, PullPage, PushAnswer
from core.settings import server_url_problem
from core.usecases import SavePets
from sync.protocol import MAX_PHOTO_BATCH_BYTES, PREFIX

log = logging.getLogger(__name__)

__all__ = ["HttpLink", "InsecureServerUrl", "Offline", "SyncClient", "SyncError", "SyncReport", "SyncStatus",
           "server_url_problem"]


class InsecureServerUrl(ValueError):
    """A server address the kiosk must not sync with: plain http to another machine, or not a web address."""


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
    def message(self) -> str:  # the GUI's sync area shows it (ui/sync_status.py SyncStatus)
        return self.last_error or ""


class SyncError(Exception):
    """The server refused a request (4xx other than 429): retrying as is would not help. `status` and `body` (the
    JSON error, when there was one) say what the server answered."""

    def __init__(self, message: str, status: int = 0, body: dict | None = None):
        super().__init__(message)
        self.status, self.body = status, body or {}


class _Transient(Exception):
    pass


class HttpLink(Link):
    """The core's link to the server (core.replication.kiosk.Link) over HTTP: each call one or a few requests, each
    with retries and backoff on what may pass (connection lost or cut, timeout, 5xx, 429); after the retries it
    raises Offline. A refusal (4xx) raises SyncError. A server address that is not https:// (http:// to this machine
    aside) raises InsecureServerUrl here, before any request."""

    def __init__(self, server_url: str, api_key: str | None = None, *, timeout: tuple[float, float] = (3.05, 30.0),
                 retries: int = 4, max_wait_s: float = 8.0, session: requests.Session | None = None):
        problem = server_url_problem(server_url)
        if problem:
            raise InsecureServerUrl(problem)
        self.server_url = server_url.strip().rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.max_wait_s = max_wait_s
        self.http = session or requests.Session()
        if api_key:
            self.http.headers["Authorization"] = f"Bearer {api_key}"
        self.http.headers["User-Agent"] = "savepets-kiosk-sync"

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
                raise SyncError(f"HTTP {resp.status_code} from {path}: {_error_text(resp)}", resp.status_code,
                                _error_body(resp))
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

    def push(self, device_id: str, sent_at: datetime, changes: list[AnyChange]) -> PushAnswer:
        body = {"device_id": device_id, "sent_at": sent_at.isoformat(),
                "changes": [c.model_dump(mode="json") for c in changes]}
        try:
            return PushAnswer.model_validate(self._json("POST", "/push", json=body))
        except SyncError as exc:  # refused as a whole: the core drops the changes named and pushes the rest
            err = exc.body.get("error") or {}
            if exc.status == 403 and err.get("code") == "push_refused":
                refused = {r["change_id"]: r.get("reason", "") for r in (err.get("details") or {}).get("refused", [])
                           if isinstance(r, dict) and r.get("change_id")}
                raise kiosk.Refused(str(exc), refused) from exc
            raise

    def pull(self, since: int, limit: int) -> PullPage:
        return PullPage.model_validate(self._json("GET", "/pull", params={"since": since, "limit": limit}))

    def missing_photos(self, shas: list[str]) -> list[str]:
        missing: list[str] = []
        for i in range(0, len(shas), 5000):
            missing += self._json("POST", "/photos/missing", json={"sha256": shas[i:i + 5000]})["missing"]
        return missing

    def upload_photos(self, shas: list[str], read: Callable[[str], bytes]) -> int:
        batch, size, sent = [], 0, 0
        for sha in shas:
            data = read(sha)
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

    def fetch_photos(self, shas: list[str]) -> dict[str, bytes]:
        answer = self._json("POST", "/photos/fetch", json={"sha256": shas})
        return {p["sha256"]: base64.b64decode(p["data"]) for p in answer["photos"]}

    def push_audit(self, device_id: str, entries: list[dict]) -> int | None:
        try:
            return self._json("POST", "/audit", json={"device_id": device_id, "entries": entries})["stored"]
        except SyncError as exc:
            if str(exc).startswith("HTTP 404 "):  # a server older than the audit trail: keep them for later
                log.warning("sync: the server takes no audit entries yet (%s)", exc)
                return None
            raise

    def request_contact(self, key: str, reason: str):
        """POST /v1/dogs/{key}/contact: an owner's name and phone in full (a core OwnerOut), for staff of any
        organisation, online only; the server keeps each call on its audit trail with `reason` (5 to 200
        characters). One try, no retry (a person waits for it): no answer or a 5xx raises Offline; a refusal raises
        SyncError with the status, and for 429 (too many contacts from this device in an hour) the seconds to wait
        from Retry-After in body["retry_after"]. Nothing is written here: the caller shows it and forgets it."""
        from urllib.parse import quote

        from core.schemas import OwnerOut

        path = f"/dogs/{quote(key, safe='')}/contact"
        try:
            resp = self.http.post(f"{self.server_url}/v1{path}", json={"reason": reason}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise Offline(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code >= 500:
            raise Offline(f"HTTP {resp.status_code} from {path}")
        if resp.status_code >= 400:
            body = _error_body(resp)
            wait = (resp.headers.get("Retry-After") or "").strip()
            if wait.isdigit():
                body = {**body, "retry_after": int(wait)}
            raise SyncError(f"HTTP {resp.status_code} from {path}: {_error_text(resp)}", resp.status_code, body)
        try:
            return OwnerOut.model_validate(resp.json())
        except ValueError as exc:
            raise Offline(f"incomplete answer from {path}") from exc

    def close(self) -> None:
        self.http.close()


class SyncClient:
    """The kiosk's sync: the core's run (KioskSync) through `link` (by default HTTP to the configured server), once
    or in a background loop, with its status."""

    def __init__(self, sp: SavePets, server_url: str | None = None, api_key: str | None = None, *,
                 timeout: tuple[float, float] = (3.05, 30.0), push_batch: int = 100, pull_limit: int = 500,
                 audit_batch: int = 500, fetch_photos: bool = True, retries: int = 4, max_wait_s: float = 8.0,
                 clock: Callable[[], datetime] = utcnow, session: requests.Session | None = None,
                 link: Link | None = None):
        self.sp = sp
        if link is None:
            url = (server_url or sp.settings.server_url or "").rstrip("/")
            if not url:
                raise ValueError("No server to sync with: set server_url (SAVEPETS_SERVER_URL) first.")
            link = HttpLink(url, api_key or sp.settings.api_key, timeout=timeout, retries=retries,
                            max_wait_s=max_wait_s, session=session)
        self.link = link
        self.server_url = getattr(link, "server_url", None)
        self.sync = KioskSync(sp, link, push_batch=push_batch, pull_limit=pull_limit, audit_batch=audit_batch,
                             fetch_photos=fetch_photos, clock=clock, on_step=self._step)
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
        return kiosk.pending(self.sp)

    @property
    def cursor(self) -> int:
        return kiosk.cursor(self.sp)

    def _step(self, what: str, n: int) -> None:
        self._set_status(**{"pending" if what == "pushed" else "cursor": n})

    def _local_change(self, _dog_id: str) -> None:
        self._set_status(pending=self._pending())
        self._wake.set()

    # ------------------------------------------------------------------------------------ the steps
    def push(self, report: SyncReport | None = None) -> SyncReport:
        return self.sync.push(report)

    def push_audit(self, report: SyncReport | None = None) -> SyncReport:
        return self.sync.push_audit(report)

    def pull(self, report: SyncReport | None = None) -> SyncReport:
        return self.sync.pull(report)

    # ------------------------------------------------------------------------------------ one sync, loop
    def sync_once(self) -> SyncReport:
        """Push, then pull. Never raises: the outcome is in the report and in `status`."""
        report = SyncReport()
        t0 = time.perf_counter()
        with self._run_lock:
            self._set_status(state="syncing", pending=self._pending())
            try:
                self.sync.run(report)
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
        close = getattr(self.link, "close", None)
        if close is not None:
            close()


def _error_body(resp: requests.Response) -> dict:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_text(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300]
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return err.get("message", str(err))
    return str(body.get("detail", body))[:300] if isinstance(body, dict) else str(body)[:300]
