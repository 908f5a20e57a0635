"""What an operator of `savepets serve` sees (issue 26): the start logged at INFO, an access log with timings and no
owner data, a too-large photo refused without PIL's warning on stderr, and /docs that works on an offline network.
All against a real server process (tests/serverkit.py), whose stdout and stderr go to the log file read here."""

from __future__ import annotations

import re
import warnings
from urllib.parse import urlsplit

import pytest

from core.errors import InvalidPhoto
from core.photos import decode_photo
from sync.server.keys import key_id_of
from tests.serverkit import png_bomb, served

PHONE = "010-2345-6789"
ACCESS = re.compile(r"INFO sync\.server\.access: (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) "
                    r"(?P<ms>\d+\.\d) ms key=(?P<key>\S+)$", re.M)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served("sqlite", tmp_path_factory.mktemp("polish")) as srv:
        yield srv


@pytest.fixture(scope="module")
def admin_key(server) -> str:
    return server.key("admin", "polish admin")


def access_lines(log: str) -> list[dict]:
    return [m.groupdict() for m in ACCESS.finditer(log)]


def eventually_logged(server, predicate, tries: int = 50) -> list[dict]:
    """The access lines once one satisfies `predicate` (the line is written after the response is sent)."""
    import time

    for _ in range(tries):
        lines = access_lines(server.log())
        if any(predicate(line) for line in lines):
            return lines
        time.sleep(0.1)
    raise AssertionError(f"no such access line in:\n{server.log()[-3000:]}")


# ------------------------------------------------------------------------------------------------ start-up log
def test_start_is_logged_at_info_not_warning(server):
    log = server.log()
    assert re.search(r"INFO sync\.server\.app: SavePets server ready: engine ", log), log[-3000:]
    assert not re.search(r"WARNING .*server ready", log), log[-3000:]


# ------------------------------------------------------------------------------------------------ access log
def test_access_log_line_has_method_path_status_time_and_key_id(server, admin_key):
    with server.client(admin_key) as c:
        assert c.get("/v1/dogs", params={"phone": PHONE}).status_code == 200
    key = key_id_of(admin_key)
    lines = eventually_logged(server, lambda line: line["path"] == "/v1/dogs" and line["key"] == key)
    line = next(line for line in lines if line["path"] == "/v1/dogs" and line["key"] == key)
    assert line["method"] == "GET" and line["status"] == "200" and float(line["ms"]) >= 0
    log = server.log()
    assert not any(needle in log for needle in (PHONE, PHONE.replace("-", ""), "6789", "phone=", "?")), \
        log[-3000:]
    assert admin_key not in log  # the id only, never the secret


def test_refusals_are_logged_without_a_key_id(server):
    with server.client() as c:
        assert c.get("/v1/dogs").status_code == 401
        assert c.get("/v1/dogs", headers={"Authorization": "Bearer sp_nosuchkey_0000"}).status_code == 401
    lines = eventually_logged(server, lambda line: line["status"] == "401")
    assert all(line["key"] == "-" for line in lines if line["status"] == "401"), lines
    assert "sp_nosuchkey" not in server.log()


def test_path_in_the_log_cannot_forge_a_line(server):
    with server.client() as c:
        c.get("/v1/health%0A2099-01-01 00:00:00 INFO sync.server.access: GET /forged 200 1.0 ms key=x")
    lines = eventually_logged(server, lambda line: line["path"].startswith("/v1/health\\n"))
    assert not any(line["path"] == "/forged" for line in lines)


def test_access_log_can_be_switched_off(tmp_path):
    with served("sqlite", tmp_path, access_log="0") as srv, srv.client() as c:
        assert c.get("/v1/health").status_code == 200
        assert c.get("/v1/dogs").status_code == 401
        srv.stop()  # flushes: everything it would log is in the file now
        log = srv.log()
    assert "SavePets server ready" in log, log[-3000:]
    assert "sync.server.access" not in log, log[-3000:]


# ------------------------------------------------------------------------------------------------ large photos
@pytest.mark.parametrize("side", [7000, 10_000])  # 49 MP: PIL warns (over 40); 100 MP: PIL refuses (over 80)
def test_too_large_photo_is_a_clean_422_without_pil_warning(server, admin_key, side):
    with server.client(admin_key) as c:
        r = c.post("/v1/lookup", files={"photo": ("big.png", png_bomb(side, side), "image/png")})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_photo"
    assert f"too large ({side}x{side})" in error["message"] and "40 megapixels" in error["message"], error
    log = server.log()
    assert "DecompressionBomb" not in log and "Warning" not in log and "Traceback" not in log, log[-3000:]


def test_decode_photo_refuses_before_pil_can_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning at all fails this
        with pytest.raises(InvalidPhoto, match=r"too large \(7000x7000\); at most 40 megapixels"):
            decode_photo(png_bomb(7000, 7000), "big.png")


# ------------------------------------------------------------------------------------------------ offline /docs
ASSET_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",), ".png": ("image/png",)}


def test_docs_need_no_other_host(server):
    with server.client() as c:
        page = c.get("/docs")
        assert page.status_code == 200 and "swagger" in page.text.lower()
        for url in re.findall(r"https?://[^\s\"'<>]+", page.text):
            assert urlsplit(url).netloc == urlsplit(server.url).netloc, f"another host in /docs: {url}"
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        assert {a.rsplit(".", 1)[-1] for a in assets} >= {"js", "css", "png"}, assets
        for asset in assets:
            r = c.get(asset)
            assert r.status_code == 200, asset
            kind = r.headers["content-type"].split(";")[0]
            assert kind in ASSET_TYPES["." + asset.rsplit(".", 1)[-1]], (asset, kind)
            assert len(r.content) > 500, asset
        assert c.get("/openapi.json").status_code == 200
    assert "validatorUrl" in page.text  # Swagger UI would fetch a badge from validator.swagger.io otherwise
