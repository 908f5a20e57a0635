"""The mobile web app at /app (issue 25), over HTTP against a real `savepets serve`: the files, their compression and
headers, what ships in the package, and the public routes the page needs (a session key, the photo check).
The flows in a real browser: tests/test_webapp_browser.py."""

from __future__ import annotations

import fnmatch
import json
import tomllib

import cv2
import numpy as np
import pytest

from tests.serverkit import REPO, served

WEB = REPO / "web"
SHELL = ["", "style.css", "app.js", "api.js", "dom.js", "i18n.js", "camera.js", "manifest.webmanifest"]
FIRST_LOAD_BUDGET = 150 * 1024  # bytes transferred on first load: HTML, JS and CSS, compressed (issue 25)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served("sqlite", tmp_path_factory.mktemp("webapp")) as srv:
        yield srv


def jpeg(image: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", image)[1].tobytes()


def test_app_is_served_compressed_with_its_headers(server):
    with server.client() as c:
        r = c.get("/app", follow_redirects=False)
        assert r.status_code == 308 and r.headers["location"] == "/app/"
        total = 0
        for name in SHELL:
            r = c.get(f"/app/{name}", headers={"Accept-Encoding": "gzip"})
            assert r.status_code == 200, name
            assert r.headers.get("content-encoding") == "gzip", name
            assert "default-src 'self'" in r.headers["content-security-policy"]
            assert r.headers["cache-control"] == "no-cache"
            total += int(r.headers["content-length"])
        assert total <= FIRST_LOAD_BUDGET, f"first load {total} bytes compressed"
        assert c.get("/app/app.js").headers["content-type"].startswith("text/javascript")
        assert c.get("/app/manifest.webmanifest").headers["content-type"] == "application/manifest+json"
        sw = c.get("/app/sw.js")
        assert sw.status_code == 200 and sw.headers["service-worker-allowed"] == "/app/"
        assert c.get("/app/icons/icon-192.png").headers["content-type"] == "image/png"
        assert c.get("/app/__init__.py").status_code == 404  # the package's Python file is not an asset
        page = c.get("/app/").text
        assert 'rel="manifest"' in page and "<script" in page and "https://" not in page  # nothing from a CDN
        assert "/app" not in json.dumps(c.get("/openapi.json").json()["paths"])  # the files are not API routes


def test_manifest_icons_and_service_worker_name_real_files():
    manifest = json.loads((WEB / "manifest.webmanifest").read_text())
    assert manifest["display"] == "standalone" and manifest["start_url"] == "./"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes and any(i["purpose"] == "maskable" for i in manifest["icons"])
    for icon in manifest["icons"]:
        image = cv2.imread(str(WEB / icon["src"]), cv2.IMREAD_UNCHANGED)
        assert image is not None and f"{image.shape[1]}x{image.shape[0]}" == icon["sizes"]
    sw = (WEB / "sw.js").read_text()
    for name in ("index.html", "style.css", "app.js", "api.js", "dom.js", "i18n.js", "camera.js"):
        assert f'"{name}"' in sw, f"the service worker does not keep {name}"
    for js in WEB.glob("*.js"):  # modules import each other by relative path only: no CDN, no bare names
        for line in js.read_text().splitlines():
            if line.startswith("import "):
                assert "from \"./" in line, f"{js.name}: {line}"


def test_every_asset_ships_in_the_package():
    """pip install . ships web/: the package is found and each file matches the package-data patterns."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "web*" in config["packages"]["find"]["include"]
    patterns = config["package-data"]["web"]
    files = [p.relative_to(WEB).as_posix() for p in WEB.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert "index.html" in files and "sw.js" in files
    for name in files:
        if name.endswith(".py"):
            continue
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), f"{name} would not be installed"


def test_a_public_session_is_a_mobile_key_of_the_app_organisation(server):
    with server.client() as anon:
        r = anon.post("/v1/public/session")
        assert r.status_code == 201, r.text
        got = r.json()
        assert got["role"] == "mobile" and got["key"].startswith("sp_")
    with server.client(got["key"]) as app:
        me = app.get("/v1/devices/me").json()
        assert me["role"] == "mobile" and me["org_id"] == got["org_id"] and me["device_id"] == got["device_id"]
        assert app.get("/v1/me/phone").json() == {"verified": False}
        assert app.get("/v1/dogs", params={"q": "a"}).status_code == 403  # the public searches nobody's dogs
    with server.client() as anon:  # a second session: another device of the same organisation
        other = anon.post("/v1/public/session").json()
    assert other["org_id"] == got["org_id"] and other["device_id"] != got["device_id"]
    with server.client(server.key("admin", "Operator")) as admin:  # each session is on the audit trail
        items = admin.get("/v1/audit", params={"action": "app_session"}).json()["entries"]
        details = {e["detail"] for e in items}
        assert {f"device={got['device_id']}", f"device={other['device_id']}"} <= details
        assert all(e["actor_role"] == "mobile" for e in items)


def test_new_sessions_are_limited_per_address(tmp_path):
    with served("sqlite", tmp_path) as srv, srv.client() as anon:
        codes = [anon.post("/v1/public/session").status_code for _ in range(21)]
        assert codes[:20] == [201] * 20
        assert codes[20] == 429
        r = anon.post("/v1/public/session")
        assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) > 0


def test_photo_check_says_what_is_wrong_in_words(server, nose_data):
    with server.client() as anon:
        key = anon.post("/v1/public/session").json()["key"]
    good = (nose_data / "1772" / "0.jpg").read_bytes()
    dark = jpeg(np.full((300, 300, 3), 8, np.uint8))
    with server.client(key) as app:
        r = app.post("/v1/photos/check", files={"photo": ("nose.jpg", good, "image/jpeg")})
        assert r.status_code == 200 and r.json()["ok"] is True and r.json()["reasons"] == []
        r = app.post("/v1/photos/check", files={"photo": ("dark.jpg", dark, "image/jpeg")})
        assert r.status_code == 200 and not r.json()["ok"] and "dark" in r.json()["reasons"]
        assert "dark" in r.json()["message"]
        r = app.post("/v1/photos/check", files={"photo": ("notes.txt", b"hello", "text/plain")})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_photo"
        assert "not an image" in r.json()["error"]["message"]
    with server.client() as anon:
        assert anon.post("/v1/photos/check", files={"photo": ("n.jpg", good, "image/jpeg")}).status_code == 401


def test_gzip_is_only_for_the_app(server):
    """The API's answers are as before (no compression added to them by the app's mount)."""
    with server.client() as c:
        r = c.get("/v1/health", headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and "content-encoding" not in r.headers
        raw = c.get("/app/app.js", headers={"Accept-Encoding": "gzip"})
        assert raw.headers["content-encoding"] == "gzip"
        assert raw.text == (WEB / "app.js").read_text()  # httpx undoes the gzip: the same file
