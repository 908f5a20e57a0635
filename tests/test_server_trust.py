"""Brute force and transport against the real server process (tests/serverkit.py): wrong secrets never lock the
right key out, the client's address behind a trusted proxy (and only then), the TLS rule whoever starts the app, and
a kiosk that refuses to sync over plain http with another machine.

Other client addresses are other loopback addresses (127.0.0.2, 127.0.0.3: the client binds its end there), so that
one server on 127.0.0.1 sees several clients."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.serverkit import REPO, Server, base_env, free_port, served, snapshot
from tests.test_serve_tls import stop, wait_until

WRONG_LIMIT = 20  # settings.auth_failures_per_minute's default


def client(srv: Server, key: str | None = None, source: str = "127.0.0.1", **headers) -> httpx.Client:
    """A client of `srv` whose connections come from `source` (a loopback address)."""
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.Client(base_url=srv.url, headers=headers, timeout=60,
                        transport=httpx.HTTPTransport(local_address=source))


def wrong_secret(key: str) -> str:
    """The key's id with another secret of the same shape."""
    prefix, keyid, secret = key.split("_", 2)
    return f"{prefix}_{keyid}_{secrets.token_urlsafe(32)[:len(secret)]}"


def unknown_key() -> str:
    return f"sp_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


def until_refused(send) -> httpx.Response:
    """Wrong tries (`send()` -> response) until the first 429, which is returned. The first WRONG_LIMIT are always
    checked (401); the allowance refills one try every 60 / WRONG_LIMIT seconds while they run, so a few more may
    be checked."""
    codes: list[int] = []
    t0 = time.monotonic()
    while 429 not in codes:
        r = send()
        codes.append(r.status_code)
        assert len(codes) <= WRONG_LIMIT + 2 + (time.monotonic() - t0) * WRONG_LIMIT / 60, codes
    assert set(codes[:-1]) == {401} and len(codes) > WRONG_LIMIT, codes
    return r


def mostly_refused(send, n: int = 20) -> None:
    """n more wrong tries: all 429 but for the tries the allowance refilled meanwhile."""
    t0 = time.monotonic()
    codes = [send() for _ in range(n)]
    assert set(codes) <= {401, 429}
    assert codes.count(401) <= 1 + (time.monotonic() - t0) * WRONG_LIMIT / 60, codes


def error_of(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return body["error"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """The real server on the machine's MariaDB (what the attacks are played against)."""
    with served("mariadb", tmp_path_factory.mktemp("trust"), trusted_proxies="127.0.0.3") as server:
        yield server


# ------------------------------------------------------------------------------------------- wrong secrets
def test_wrong_secrets_lock_wrong_tries_but_never_the_right_key(srv):
    used, fresh, other = srv.key("kiosk", "used"), srv.key("kiosk", "fresh"), srv.key("kiosk", "other")
    before = snapshot(srv.db_url, srv.data_dir)
    with client(srv, used) as c:  # the kiosk has been using its key
        assert c.get("/v1/dogs").status_code == 200

    # an attacker on 127.0.0.1 tries secrets against that key's id: 20 are checked, then refused unchecked
    with client(srv, source="127.0.0.1") as attacker:
        def guess() -> httpx.Response:
            return attacker.get("/v1/dogs", headers={"Authorization": f"Bearer {wrong_secret(used)}"})

        r = until_refused(guess)
        assert error_of(r, 429)["code"] == "rate_limited" and 1 <= int(r.headers["retry-after"]) <= 60
        mostly_refused(lambda: guess().status_code)  # and so on, however many more
    # the right key still gets in, from the attacker's own address and from another
    for source in ("127.0.0.1", "127.0.0.2"):
        with client(srv, used, source) as c:
            assert c.get("/v1/dogs").status_code == 200, source
    # another key, never used yet, from the locked address: checked and let in
    with client(srv, other, "127.0.0.1") as c:
        assert c.get("/v1/dogs").status_code == 200
    # the key id is locked for wrong tries from everywhere: guesses from another address are refused too ...
    with client(srv, source="127.0.0.2") as c:
        mostly_refused(lambda: c.get("/v1/dogs", headers={"Authorization": f"Bearer {wrong_secret(used)}"})
                       .status_code, 5)

    # ... and a key never used before the attack gets in too (an attacker on 127.0.0.5 this time)
    with client(srv, source="127.0.0.5") as attacker:
        until_refused(lambda: attacker.get("/v1/dogs", headers={"Authorization": f"Bearer {wrong_secret(fresh)}"}))
    for source in ("127.0.0.5", "127.0.0.1"):
        with client(srv, fresh, source) as c:
            assert c.get("/v1/dogs").status_code == 200, source
    assert snapshot(srv.db_url, srv.data_dir) == before  # nothing was written by any of it


def test_auth_guard_bounds_the_checks_and_remembers_right_keys():
    """What the guard lets through to argon2 (in process; the server test above shows the answers)."""
    from sync.server.limits import AuthGuard

    guard = AuthGuard(per_minute=20)
    right = "sp_0123456789ab_" + "R" * 43
    checked = 0
    for i in range(1000):  # a flood of wrong secrets for one key id, from 100 addresses
        wrong = f"sp_0123456789ab_{i:043d}"
        address = f"10.0.{i % 100}.1"
        admission = guard.admit(address, "0123456789ab", wrong)
        if admission.check:
            checked += 1
            guard.failed(address, "0123456789ab", wrong)
    assert checked == 20 + 10  # the key id's 20 a minute, then 10 locked checks a minute: argon2 stays bounded
    assert not guard.admit("10.0.0.1", "0123456789ab", right).check  # a right key never seen waits ...
    guard.passed(right)  # ... unless it was checked once here
    assert guard.admit("10.0.0.1", "0123456789ab", right).check
    assert guard.admit("10.9.9.9", "0123456789ab", right).check


def test_request_rate_counts_per_key_and_per_address(tmp_path):
    srv = Server(f"sqlite:///{tmp_path / 'rate.sqlite3'}", tmp_path / "data", rate_limit_per_minute=5).start()
    try:
        first, second = srv.key("kiosk"), srv.key("kiosk")
        with client(srv, first) as c:
            codes = [c.get("/v1/dogs").status_code for _ in range(6)]
            assert codes == [200] * 5 + [429]
        with client(srv, first, "127.0.0.2") as c:  # the key's own limit holds from another address
            assert error_of(c.get("/v1/dogs"), 429)["code"] == "rate_limited"
        with client(srv, second, "127.0.0.1") as c:  # and the address's with another key
            assert c.get("/v1/dogs").status_code == 429
        with client(srv, second, "127.0.0.3") as c:  # another key from another address
            assert c.get("/v1/dogs").status_code == 200
    finally:
        srv.stop()


# ------------------------------------------------------------------------------------------- proxies
def test_forwarded_for_from_an_untrusted_peer_is_ignored(srv):
    """srv trusts 127.0.0.3 as its proxy. From another peer (127.0.0.4) a made-up X-Forwarded-For changes nothing:
    its wrong keys all count against 127.0.0.4 and lock it out after 20, whatever address each request claims."""
    claims = (f"198.51.100.{i}" for i in range(1000))
    with client(srv, source="127.0.0.4") as c:
        def guess() -> httpx.Response:
            return c.get("/v1/dogs", headers={"Authorization": f"Bearer {unknown_key()}", "X-Forwarded-Proto": "https",
                                              "X-Forwarded-For": next(claims)})

        until_refused(guess)
        mostly_refused(lambda: guess().status_code, 5)


def test_a_trusted_proxy_names_the_client(srv):
    """Through the proxy (127.0.0.3) each forwarded client counts on its own, by the rightmost untrusted hop: what
    the client wrote into the header itself (the left part) is not believed."""
    via_proxy = {"X-Forwarded-Proto": "https"}
    claims = (f"198.51.100.{i}" for i in range(1000))
    with client(srv, source="127.0.0.3") as proxy:
        until_refused(lambda: proxy.get("/v1/dogs", headers={
            **via_proxy, "Authorization": f"Bearer {unknown_key()}",
            "X-Forwarded-For": f"{next(claims)}, 203.0.113.7"}))  # all 203.0.113.7, whatever is in front
        # another client behind the same proxy is not locked out
        r = proxy.get("/v1/dogs", headers={**via_proxy, "Authorization": f"Bearer {unknown_key()}",
                                           "X-Forwarded-For": "203.0.113.8"})
        assert r.status_code == 401
        # a chain of trusted proxies is walked through to the client
        mostly_refused(lambda: proxy.get("/v1/dogs", headers={**via_proxy, "Authorization": f"Bearer {unknown_key()}",
                                                              "X-Forwarded-For": "203.0.113.7, 127.0.0.3"}).status_code,
                       3)


def test_plain_http_through_the_proxy_is_refused(srv):
    key = srv.key("admin")
    before = snapshot(srv.db_url, srv.data_dir)
    with client(srv, key, "127.0.0.3") as proxy:
        for proto in ({}, {"X-Forwarded-Proto": "http"}, {"X-Forwarded-Proto": "http, https"}):
            r = proxy.get("/v1/dogs", headers={**proto, "X-Forwarded-For": "203.0.113.9"})
            err = error_of(r, 403)
            assert err["code"] == "https_required" and "https" in err["message"]
            r = proxy.post("/v1/dogs", headers={**proto, "X-Forwarded-For": "203.0.113.9"},
                           data={"phone": "010-5990-1234", "name": "초코"})
            assert error_of(r, 403)["code"] == "https_required"
        assert proxy.get("/v1/dogs", headers={"X-Forwarded-For": "203.0.113.9",
                                              "X-Forwarded-Proto": "https"}).status_code == 200
        # a client on the proxy's own machine may use plain http
        assert proxy.get("/v1/dogs", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    # an untrusted peer cannot claim https for another machine: it is itself, loopback, and served
    with client(srv, key, "127.0.0.1") as c:
        assert c.get("/v1/dogs", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    assert snapshot(srv.db_url, srv.data_dir) == before


# ------------------------------------------------------------------------------------------- TLS rule in the app
def non_loopback_address() -> str | None:
    """An address of this machine that is not loopback (to reach a server on 0.0.0.0 from 'another machine')."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except socket.gaierror:
        infos = []
    for info in infos:
        if not info[4][0].startswith("127."):
            return info[4][0]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: only the route is looked up
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def uvicorn_factory(tmp_path, port: int, **settings) -> subprocess.Popen:
    env = base_env(f"sqlite:///{tmp_path / 'factory.sqlite3'}", tmp_path / "data", **settings)
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "sync.server.app:create_app",
                             "--host", "0.0.0.0", "--port", str(port), "--log-level", "warning"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_create_app_refuses_a_network_address_without_tls(tmp_path):
    from core.settings import Settings
    from sync.server.app import TransportRefused, create_app

    for host in ("0.0.0.0", "::", "192.0.2.10"):
        with pytest.raises(TransportRefused, match=f"Refusing to listen on {host} without TLS"):
            create_app(Settings(data_dir=tmp_path / "data", host=host))
    assert not (tmp_path / "data").exists()  # refused before anything was opened
    assert create_app(Settings(data_dir=tmp_path / "data", host="0.0.0.0", insecure=True)) is not None
    assert create_app(Settings(data_dir=tmp_path / "data")) is not None  # 127.0.0.1


def test_uvicorn_factory_on_all_interfaces_without_tls_is_refused(tmp_path):
    proc = uvicorn_factory(tmp_path, free_port(), host="0.0.0.0")
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "Refusing to listen on 0.0.0.0 without TLS" in " ".join(output.split()), output
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("insecure", [False, True])
def test_plain_http_from_another_machine_is_refused_per_request(tmp_path, insecure):
    """uvicorn bound to 0.0.0.0 while the settings say 127.0.0.1 (create_app cannot see uvicorn's --host): each
    plain-http request from a non-loopback address is refused, unless insecure."""
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")
    port = free_port()
    proc = uvicorn_factory(tmp_path, port, **({"insecure": "1"} if insecure else {}))
    try:
        wait_until(proc, lambda: httpx.get(f"http://127.0.0.1:{port}/v1/ready", timeout=2).status_code == 200, 120)
        r = httpx.get(f"http://{address}:{port}/v1/health", timeout=10)
        if insecure:
            assert r.status_code == 200
        else:
            assert error_of(r, 403)["code"] == "https_required"
            assert httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=10).status_code == 200
    finally:
        stop(proc)


# ------------------------------------------------------------------------------------------- the sync client
@pytest.mark.parametrize("url", ["http://192.0.2.10:8000", "http://savepets.example.org", "http://[2001:db8::1]:80",
                                 "http://127.0.0.1.example.org:8000"])
def test_sync_client_refuses_plain_http_to_another_machine(standin_service, url):
    from sync.client import HttpLink, InsecureServerUrl, SyncClient

    with pytest.raises(InsecureServerUrl, match="over plain http"):
        HttpLink(url, "sp_0123456789ab_x")
    with pytest.raises(InsecureServerUrl, match="Use its https:// address"):
        SyncClient(standin_service, server_url=url, api_key="sp_0123456789ab_x")
    with pytest.raises(InsecureServerUrl, match="not a web address"):
        HttpLink("savepets.example.org:8000")
    for ok in ("https://savepets.example.org:8443", "http://127.0.0.1:8000", "http://localhost:8000",
               "http://[::1]:8000"):
        HttpLink(ok).close()


def test_sync_command_says_why_it_refuses_plain_http(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAVEPETS_")}
    env.update({"SAVEPETS_CONFIG": str(REPO / "tests" / "no-such-config.toml"), "SAVEPETS_ENGINE": "standin",
                "SAVEPETS_DATA_DIR": str(tmp_path / "data"), "SAVEPETS_KEY_FILE": os.environ["SAVEPETS_KEY_FILE"]})
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "--server", "http://192.0.2.10:8000",
                           "--api-key", "sp_0123456789ab_x"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    text = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode == 2, text
    assert "Refusing to sync with http://192.0.2.10:8000 over plain http" in text and "https://" in text


def test_settings_page_says_why_and_saves_nothing(qtbot, tmp_path):
    from core.settings import Settings
    from ui.settings_page import SettingsPage

    saved: list[dict] = []
    page = SettingsPage(Settings(data_dir=tmp_path / "data"),
                        save=lambda values: saved.append(values) or tmp_path / "config.toml")
    qtbot.addWidget(page)
    page.server_url.setText("http://192.0.2.10:8000")
    page.save()
    assert saved == [] and page.message.text().startswith("Not saved: the server address must start with https://")
    page.server_url.setText("savepets.example.org:8443")
    page.save()
    assert saved == [] and "is not a web address" in page.message.text()
    for ok in ("https://savepets.example.org:8443", "http://127.0.0.1:8000", ""):
        page.server_url.setText(ok)
        page.save()
        assert saved[-1]["server_url"] == (ok or None) and page.message.text().startswith("Saved to")
