"""The outbox of notifications (core/notifications.py) with real parts: a real SMTP server (aiosmtpd), a real HTTP
receiver (http.server on loopback) standing for an SMS gateway, the real MariaDB for two senders at once, and a real
server process for the app's one-time codes. No mocks."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from core import notifications
from core.audit import trail
from core.notify import LogTransport, SmtpTransport, make_transports
from core.registry.db import Database
from core.registry.models import Meta, Notification
from core.settings import Settings
from sync.server.webhook import WebhookTransport, server_transports
from tests.serverkit import free_port

DOG = "0f1e2d3c-0000-4000-8000-000000000001"
PHONE = "+821043218765"
WHEN = datetime(2026, 12, 3, 5, 30, tzinfo=UTC)  # 14:30 in Seoul


# ------------------------------------------------------------------------------------------------ real receivers
class Gateway:
    """An SMS gateway's webhook on loopback: records each request; `status` is what it answers; down until started."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/sms"
        self.requests: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def start(self) -> Gateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with gateway._lock:
                    gateway.requests.append({"json": data, "key": self.headers.get("Idempotency-Key"),
                                             "auth": self.headers.get("Authorization"), "path": self.path})
                time.sleep(gateway.delay)
                self.send_response(gateway.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> list[str]:
        with self._lock:
            return [r["json"]["id"] for r in self.requests]


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.stop()


@pytest.fixture
def db(tmp_path):
    d = Database(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    yield d
    d.dispose()


def queue(db, key: str, *, channel: str = "sms", recipient: str = PHONE, language: str = "ko",
          kind: str = "reunion_confirmed", dog_id: str | None = DOG, **texts) -> str:
    fields = {"dog_name": "초코", "place": "서울 마포구 망원동", "when": WHEN, "org_name": "마포 동물보호소",
              "ref": "AB12CD34"}
    subject, body = notifications.reunion_message(kind, language, **{**fields, **texts})
    with db.session() as s:
        assert notifications.enqueue(s, dedupe_key=key, kind=kind, channel=channel, recipient=recipient,
                                     language=language, subject=subject, body=body, dog_id=dog_id)
        return s.scalar(select(Notification.id).where(Notification.dedupe_key == key))


def row(db, notification_id: str) -> Notification:
    with db.sessions() as s:
        return s.get(Notification, notification_id)


def assert_audit_clean(db, *secrets: str) -> list:
    entries = trail(db, limit=1000)
    text = json.dumps([e.model_dump(mode="json") for e in entries], ensure_ascii=False)
    for secret in (PHONE, "43218765", "01043218765", *secrets):
        assert secret not in text, f"{secret!r} on the audit trail: {text[:800]}"
    return entries


# ------------------------------------------------------------------------------------------------ texts
def test_reunion_messages_name_what_happened_whom_to_contact_and_the_reference():
    subject, body = notifications.reunion_message("reunion_confirmed", "ko", dog_name="초코", place="망원동",
                                                  when=WHEN, org_name="마포 동물보호소", ref="AB12CD34")
    assert "초코" in subject and "찾았습니다" in subject
    assert all(part in body for part in ("초코", "망원동", "마포 동물보호소", "AB12CD34", "2026년 12월 03일 14:30"))
    subject, body = notifications.reunion_message("reunion_possible", "en", dog_name="Choco\r\nBcc: x@y",
                                                  place="Mangwon", when=WHEN, org_name="Mapo Shelter", ref="R1")
    assert "\n" not in subject and "\r" not in subject  # a name cannot add a header
    assert "may be Choco" in body and "Mapo Shelter" in body and "R1" in body and "not confirmed" in body
    assert "03 Dec 2026, 14:30 (KST)" in body
    with pytest.raises(ValueError):
        notifications.reunion_message("lost", "en", dog_name="a", place="b", when=WHEN, org_name="c", ref="d")
    with pytest.raises(ValueError):
        notifications.code_message("fr", "123456")
    assert "code: 123456" in notifications.code_message("en", "123456")[1]
    assert "123456" in notifications.code_message("ko", "123456")[1]


def test_enqueue_rejects_what_it_does_not_know(db):
    with db.session() as s:
        for bad in ({"kind": "spam"}, {"channel": "fax"}, {"language": "de"}, {"recipient": " "}, {"body": ""},
                    {"dedupe_key": ""}):
            args = {"dedupe_key": "k", "kind": "code", "channel": "sms", "recipient": PHONE, "language": "en",
                    "subject": "s", "body": "b", **bad}
            with pytest.raises(ValueError):
                notifications.enqueue(s, **args)


# ------------------------------------------------------------------------------------------------ e-mail over SMTP
def test_reunion_messages_in_korean_and_english_reach_a_real_smtp_server(db, smtp):
    settings = Settings(notify_smtp=f"127.0.0.1:{smtp.port}", notify_from="reunite@savepets.test")
    ko = queue(db, "reunion_confirmed:r1", channel="email", recipient="owner.ko@example.org", language="ko")
    en = queue(db, "reunion_possible:r2", channel="email", recipient="owner.en@example.org", language="en",
               kind="reunion_possible", dog_name="Choco", place="Mangwon-dong, Seoul", org_name="Mapo Shelter")
    assert notifications.deliver_due(db, make_transports(settings)) == {"sent": 2, "retry": 0, "failed": 0,
                                                                        "skipped": 0}
    got = {to[0]: msg for to, msg in smtp.messages}
    assert set(got) == {"owner.ko@example.org", "owner.en@example.org"}
    korean, english = got["owner.ko@example.org"], got["owner.en@example.org"]
    assert korean["Subject"] == "[SavePets] 초코을(를) 찾았습니다" and korean["Content-Language"] == "ko"
    text = korean.get_content()
    assert "마포 동물보호소" in text and "AB12CD34" in text and "망원동" in text
    assert korean["Message-ID"] == f"<{ko}@savepets.test>"  # the same on a resend
    assert english["Subject"] == "SavePets: a dog that may be Choco was found"
    assert "Mapo Shelter" in english.get_content() and english["Message-ID"] == f"<{en}@savepets.test>"
    for nid in (ko, en):
        r = row(db, nid)
        assert r.state == "sent" and r.sent_at is not None and r.attempts == 1 and r.last_error == ""
        assert r.recipient == "" and r.body == ""  # nothing personal kept once sent
    entries = [e for e in assert_audit_clean(db, "owner.ko", "owner.en", "마포 동물보호소", "Mapo Shelter")
               if e.action == "notify_sent"]
    assert len(entries) == 2 and {e.dog_id for e in entries} == {DOG}
    assert {e.detail.split(" ")[2] for e in entries} == {"channel=email"}
    assert notifications.deliver_due(db, make_transports(settings))["sent"] == 0  # never twice


def test_sms_by_the_email_gateway_template_when_no_webhook(db, smtp):
    settings = Settings(notify_smtp=f"127.0.0.1:{smtp.port}", notify_to="{national}@sms.test")
    transports = server_transports(settings)
    assert isinstance(transports["sms"], SmtpTransport)
    queue(db, "reunion_confirmed:r3")
    assert notifications.deliver_due(db, transports)["sent"] == 1
    assert smtp.messages[0][0] == ["01043218765@sms.test"]


# ------------------------------------------------------------------------------------------------ the SMS webhook
def test_with_the_gateway_down_a_message_is_retried_and_sent_once_when_it_is_back(db, gateway):
    settings = Settings(notify_webhook_url=gateway.url, notify_webhook_token="gw-token", notify_timeout=2)
    transports = server_transports(settings)
    assert isinstance(transports["sms"], WebhookTransport)
    nid = queue(db, "reunion_confirmed:r4", language="en")
    t0 = row(db, nid).created_at + timedelta(seconds=1)

    assert notifications.deliver_due(db, transports, now=t0)["retry"] == 1  # down: nothing listens there
    r = row(db, nid)
    assert r.state == "pending" and r.attempts == 1 and r.claimed_until is None
    assert f"webhook 127.0.0.1:{gateway.port}: ConnectError" in r.last_error and PHONE not in r.last_error
    assert r.next_attempt_at == t0 + notifications.FIRST_RETRY
    assert notifications.deliver_due(db, transports, now=t0 + timedelta(seconds=10)) == {
        "sent": 0, "retry": 0, "failed": 0, "skipped": 0}  # not due yet
    assert notifications.deliver_due(db, transports, now=t0 + timedelta(seconds=31))["retry"] == 1
    r = row(db, nid)
    assert r.attempts == 2 and r.next_attempt_at == t0 + timedelta(seconds=31) + notifications.backoff(2)

    gateway.start()  # back
    assert notifications.deliver_due(db, transports, now=t0 + timedelta(seconds=200))["sent"] == 1
    assert notifications.deliver_due(db, transports, now=t0 + timedelta(hours=2))["sent"] == 0
    assert gateway.ids() == [nid]  # exactly once
    req = gateway.requests[0]
    assert req["key"] == nid and req["auth"] == "Bearer gw-token" and req["path"] == "/sms"
    assert req["json"]["to"] == PHONE and req["json"]["language"] == "en" and "AB12CD34" in req["json"]["text"]
    r = row(db, nid)
    assert r.state == "sent" and r.attempts == 3 and r.recipient == "" and r.body == ""
    assert_audit_clean(db, "AB12CD34", "gw-token")


def test_a_message_that_always_fails_ends_failed_after_its_last_try(db, gateway):
    gateway.status = 500
    gateway.start()
    transports = server_transports(Settings(notify_webhook_url=gateway.url, notify_timeout=2))
    nid = queue(db, "reunion_confirmed:r5")
    now = row(db, nid).created_at
    for _ in range(notifications.MAX_ATTEMPTS + 3):
        notifications.deliver_due(db, transports, now=now)
        r = row(db, nid)
        if r.state != "pending":
            break
        now = r.next_attempt_at
    assert r.state == "failed" and r.attempts == notifications.MAX_ATTEMPTS
    assert r.last_error == f"webhook 127.0.0.1:{gateway.port} answered 500"
    assert r.recipient == "" and r.body == "" and r.sent_at is None
    assert gateway.ids() == [nid] * notifications.MAX_ATTEMPTS  # one Idempotency-Key on every try
    assert {q["key"] for q in gateway.requests} == {nid}
    (failed,) = [e for e in assert_audit_clean(db, "AB12CD34") if e.action == "notify_failed"]
    assert failed.dog_id == DOG and "channel=sms" in failed.detail and "answered 500" in failed.detail
    assert notifications.deliver_due(db, transports, now=now + timedelta(days=3))["sent"] == 0


def test_a_message_is_given_up_a_day_after_it_was_queued(db, gateway):
    transports = server_transports(Settings(notify_webhook_url=gateway.url, notify_timeout=2))  # down
    nid = queue(db, "reunion_confirmed:r6")
    late = row(db, nid).created_at + notifications.GIVE_UP_AFTER + timedelta(minutes=1)
    assert notifications.deliver_due(db, transports, now=late)["failed"] == 1  # one last try, then no more
    assert row(db, nid).state == "failed" and row(db, nid).attempts == 1


def test_the_webhook_must_be_https_off_this_machine():
    with pytest.raises(ValueError, match="plain http"):
        WebhookTransport("http://sms.example.net/send")
    with pytest.raises(ValueError, match="not a web address"):
        WebhookTransport("sms.example.net")
    WebhookTransport("https://sms.example.net/send")


# ------------------------------------------------------------------------------------------------ unconfigured
def test_an_unconfigured_channel_waits_on_a_public_server_and_is_logged_only_on_loopback(db, caplog):
    public = make_transports(Settings(host="0.0.0.0", insecure=True))
    assert public == {}
    nid = queue(db, "reunion_confirmed:r7", channel="email", recipient="hidden.owner@example.org")
    with caplog.at_level(logging.DEBUG):
        assert notifications.deliver_due(db, public)["retry"] == 1
    r = row(db, nid)
    assert r.state == "pending" and "no transport for channel email" in r.last_error and "notify_smtp" in r.last_error
    assert "AB12CD34" not in caplog.text and "hidden.owner" not in caplog.text  # the text never in a log

    loopback = make_transports(Settings(host="127.0.0.1"))
    assert isinstance(loopback["sms"], LogTransport) and isinstance(loopback["email"], LogTransport)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="core.notify"):
        notifications.deliver_due(db, loopback, now=r.next_attempt_at)
    assert row(db, nid).state == "sent" and "AB12CD34" in caplog.text and "hidden.owner" not in caplog.text


# ------------------------------------------------------------------------------------------------ the database
def test_one_dedupe_key_one_message(db):
    assert queue(db, "reunion_confirmed:same")
    with db.session() as s:
        assert not notifications.enqueue(s, dedupe_key="reunion_confirmed:same", kind="reunion_confirmed",
                                         channel="sms", recipient=PHONE, language="ko", subject="x", body="y")
        s.add(Meta(key="still", value="here"))  # the caller's transaction goes on
    with db.sessions() as s:
        assert notifications.counts(s) == {"pending": 1, "sent": 0, "failed": 0}
        assert s.get(Meta, "still") is not None


def test_a_race_on_one_dedupe_key_on_mariadb_leaves_one_row_and_the_losers_transaction(mariadb_url):
    first, second = Database(mariadb_url), Database(mariadb_url)
    try:
        inserted, results = threading.Event(), {}

        def a():
            with first.session() as s:
                results["a"] = notifications.enqueue(s, dedupe_key="race", kind="reunion_possible", channel="sms",
                                                     recipient=PHONE, language="ko", subject="a", body="a")
                inserted.set()
                time.sleep(1.0)  # b's insert waits on this uncommitted row

        def b():
            inserted.wait(10)
            with second.session() as s:
                s.add(Meta(key="b_was_here", value="1"))
                results["b"] = notifications.enqueue(s, dedupe_key="race", kind="reunion_possible", channel="sms",
                                                     recipient=PHONE, language="ko", subject="b", body="b")

        threads = [threading.Thread(target=a), threading.Thread(target=b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert results == {"a": True, "b": False}
        with first.sessions() as s:
            rows = list(s.scalars(select(Notification)))
            assert [(r.dedupe_key, r.body) for r in rows] == [("race", "a")]
            assert s.get(Meta, "b_was_here") is not None
    finally:
        first.dispose()
        second.dispose()


def test_two_senders_on_one_mariadb_deliver_each_message_once(mariadb_url, gateway):
    gateway.delay = 0.01
    gateway.start()
    setup = Database(mariadb_url)
    ids = [queue(setup, f"reunion_confirmed:m{i}", dog_id=None) for i in range(40)]
    transports = server_transports(Settings(notify_webhook_url=gateway.url, notify_timeout=5))
    replicas = [Database(mariadb_url), Database(mariadb_url)]
    totals: list[dict] = []
    start = threading.Barrier(2)

    def sender(replica):
        start.wait()
        for _ in range(20):
            totals.append(notifications.deliver_due(replica, transports, limit=50))
            with replica.sessions() as s:
                if notifications.counts(s)["pending"] == 0:
                    return

    try:
        threads = [threading.Thread(target=sender, args=(r,)) for r in replicas]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert sorted(gateway.ids()) == sorted(ids)  # each once
        assert sum(t["sent"] for t in totals) == 40
        with setup.sessions() as s:
            assert notifications.counts(s) == {"pending": 0, "sent": 40, "failed": 0}
        assert len([e for e in assert_audit_clean(setup, "AB12CD34") if e.action == "notify_sent"]) == 40
    finally:
        for d in (setup, *replicas):
            d.dispose()


# ------------------------------------------------------------------------------------------------ the loop
def test_the_delivery_loop_sends_at_once_after_an_enqueue_commits(db, gateway):
    gateway.start()
    loop = notifications.DeliveryLoop(db, server_transports(Settings(notify_webhook_url=gateway.url)),
                                      interval=600).start()
    try:
        time.sleep(0.3)  # its first round found nothing
        nid = queue(db, "reunion_confirmed:loop")
        deadline = time.monotonic() + 10
        while not gateway.ids() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gateway.ids() == [nid]
        deadline = time.monotonic() + 5
        while loop.status()["sent"] != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert loop.status() == {"pending": 0, "sent": 1, "failed": 0}
    finally:
        loop.stop()
    assert not loop._thread.is_alive()


def test_deliver_pending_is_one_round_for_a_kiosk(db, smtp):
    queue(db, "reunion_confirmed:kiosk", channel="email", recipient="kiosk.owner@example.org")
    out = notifications.deliver_pending(db, Settings(notify_smtp=f"127.0.0.1:{smtp.port}"))
    assert out["sent"] == 1 and smtp.messages[0][0] == ["kiosk.owner@example.org"]


def test_an_expired_code_is_never_sent(db, gateway):
    gateway.start()
    transports = server_transports(Settings(notify_webhook_url=gateway.url))
    subject, body = notifications.code_message("en", "654321")
    with db.session() as s:
        notifications.enqueue(s, dedupe_key="code:dev:1", kind="code", channel="sms", recipient=PHONE,
                              language="en", subject=subject, body=body)
    created = datetime.now(UTC)
    out = notifications.deliver_due(db, transports, now=created + notifications.CODE_VALID + timedelta(seconds=1))
    assert out["failed"] == 1 and gateway.ids() == []
    with db.sessions() as s:
        (r,) = s.scalars(select(Notification))
        assert r.state == "failed" and r.body == "" and "expired" in r.last_error


# ------------------------------------------------------------------------------------------------ a real server
def wait_for(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_server_sends_the_outbox_and_the_apps_codes_through_it(tmp_path, smtp):
    from tests.serverkit import served

    with served("sqlite", tmp_path, notify_smtp=f"127.0.0.1:{smtp.port}", notify_to="{national}@sms.test",
                notify_from="codes@savepets.test", notify_interval=0.5) as srv:
        db = Database(srv.db_url, upgrade=False)
        try:
            # a reunion queued by another process (the use case, a kiosk's sync): the server's loop sends it
            nid = queue(db, "reunion_confirmed:server", channel="email", recipient="owner@example.org")
            wait_for(lambda: any("owner@example.org" in to for to, _ in smtp.messages))
            wait_for(lambda: row(db, nid).state == "sent")

            with srv.client(srv.key("mobile", "phone", org="SavePets app")) as app:
                r = app.post("/v1/me/phone", json={"phone": "010-4321-8765", "language": "ko"})
                assert r.status_code == 202, r.text
            to, msg = smtp.messages[-1]
            assert to == ["01043218765@sms.test"] and "인증번호" in msg.get_content()
            code = msg.get_content().split("code: ")[1][:6]
            with db.sessions() as s:
                (sent,) = s.scalars(select(Notification).where(Notification.kind == "code"))
                assert sent.state == "sent" and sent.body == "" and sent.recipient == ""  # the code is gone
            entries = assert_audit_clean(db, code, "owner@example.org")
            assert {"notify_sent", "phone_verify"} <= {e.action for e in entries}
            with srv.client(srv.key("admin", "ops")) as ops:
                assert ops.get("/v1/notifications").json() == {"pending": 0, "sent": 2, "failed": 0,
                                                               "channels": ["email", "sms"]}
            with srv.client(srv.key("mobile", "nosy", org="SavePets app")) as nosy:
                assert nosy.get("/v1/notifications").status_code == 403
        finally:
            db.dispose()


def test_a_code_the_gateway_cannot_take_is_503_and_void(tmp_path, gateway):
    from tests.serverkit import served

    with served("sqlite", tmp_path, notify_webhook_url=gateway.url, notify_timeout=2) as srv:
        db = Database(srv.db_url, upgrade=False)
        try:
            with srv.client(srv.key("mobile", "first", org="SavePets app")) as app:
                r = app.post("/v1/me/phone", json={"phone": "010-4321-8765"})  # the gateway is down
                assert r.status_code == 503 and r.json()["error"]["message"], r.text
            with db.sessions() as s:
                (failed,) = s.scalars(select(Notification).where(Notification.kind == "code"))
                assert failed.state == "failed" and failed.body == "" and failed.attempts == 1
            gateway.start()
            with srv.client(srv.key("mobile", "second", org="SavePets app")) as app:
                assert app.post("/v1/me/phone", json={"phone": "010-4321-8765"}).status_code == 202
            (req,) = gateway.requests
            assert req["json"]["to"] == PHONE and "code: " in req["json"]["text"] and req["json"]["language"] == "en"
            with db.sessions() as s:
                assert notifications.counts(s) == {"pending": 0, "sent": 1, "failed": 1}
        finally:
            db.dispose()
