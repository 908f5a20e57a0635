"""The mobile web app (issue 25) in a real browser: Debian's Chromium, headless, driven by Playwright, against a real
`savepets serve` on loopback (the stand-in engine: the flows are tested here, not recognition), with a fake camera
that plays a real nose photo (--use-file-for-fake-video-capture: a .y4m made from ../shared/data/nose-pbc2022 at
test time).

Covered: the public found flow (a registered dog, a stranger), the owner's lost flow with the one-time code (read
from the loopback server's log, where LogNotifier writes it), the public registration, the staff enrollment, look-up
with candidates, compare view and the dog's card, the staff registration, and bad inputs each with a clear message
(a non-image, a refused photo, a wrong code, a wrong enrollment code, the server unreachable, offline).

SAVEPETS_SCREENSHOTS=1 writes the phone-size screenshots of docs/screenshots/app-*.png (Korean and English), with
drawn noses (docs/screenshots/synthetic_nose.py) in place of the real photos: none of those goes into the repository.
Outside CI a machine without Chromium skips these tests; in CI it is installed with apt-get.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from tests.serverkit import REPO, Server

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
SHOTS = REPO / "docs" / "screenshots"
SCREENSHOTS = bool(os.environ.get("SAVEPETS_SCREENSHOTS"))
OWNER_PHONE = "010-2345-6789"
REGISTERED, STRANGER, STAFF_DOG, PUBLIC_DOG = "1772", "1780", "1774", "1775"


def chromium_or_skip() -> str:
    """Debian's Chromium (and a Korean font for the screenshots): installed in CI if missing, else skipped."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if not os.environ.get("CI"):
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-nanum); CI installs it")
    for attempt in range(2):
        if attempt:
            subprocess.run(["apt-get", "update"], capture_output=True, timeout=600)
        proc = subprocess.run(["apt-get", "install", "-y", "chromium", "fonts-nanum"], capture_output=True,
                              text=True, timeout=900)
        if proc.returncode == 0 and Path(CHROMIUM).exists():
            return CHROMIUM
    pytest.fail(f"CI: Chromium is needed and could not be installed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def y4m(photo: Path | np.ndarray, out: Path, side: int = 480, frames: int = 10) -> Path:
    """A short raw video (YUV4MPEG2, 4:2:0) that shows `photo` filling the frame: Chromium's fake camera plays it."""
    image = cv2.imread(str(photo)) if isinstance(photo, Path) else photo
    image = cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC)
    yuv = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420).tobytes()
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{side} H{side} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + yuv)
    return out


class World:
    """One server for the module: a shelter's dog registered (REGISTERED, photos 0-4, owner OWNER_PHONE)."""

    def __init__(self, base: Path, nose_data: Path):
        self.base, self.nose = base, nose_data
        self.server = Server(f"sqlite:///{base / 'registry.sqlite3'}", base / "data").start()
        self.kiosk = self.server.key("kiosk", "Front desk", org="Shelter A")
        files = [("photos", (p.name, p.read_bytes(), "image/jpeg")) for p in self.shots(REGISTERED)]
        with self.server.client(self.kiosk) as c:
            r = c.post("/v1/dogs", data={"phone": OWNER_PHONE, "owner_name": "Kim Minji", "name": "Choco",
                                         "breed": "Jindo", "sex": "male"}, files=files)
            assert r.status_code == 201, r.text
            self.dog = r.json()["dog"]
        self.videos = {dog: y4m(self.nose_image(dog), base / f"{dog}.y4m") for dog in (REGISTERED, STRANGER)}

    def photo(self, dog: str, index: int) -> Path:
        return self.nose / dog / f"{index}.jpg"

    def nose_image(self, dog: str) -> np.ndarray:
        """The dog's first real photo; for the README's screenshots a drawn nose instead
        (docs/screenshots/synthetic_nose.py): no photo of the data set goes into the repository."""
        if not SCREENSHOTS:
            return cv2.imread(str(self.photo(dog, 0)))
        sys.path.insert(0, str(REPO / "docs" / "screenshots"))
        from synthetic_nose import synthetic_nose

        return synthetic_nose(int(dog), (480, 480))

    def shots(self, dog: str, n: int = 5) -> list[Path]:
        """`n` photos of one dog as the stand-in engine takes them for one nose: its first real photo with a little
        noise each (the stand-in compares 16x16 thumbnails: two real photos of one nose disagree for it)."""
        folder = self.base / f"shots-{dog}"
        folder.mkdir(exist_ok=True)
        image = self.nose_image(dog).astype(np.int16)
        paths = []
        for i in range(n):
            noise = np.random.default_rng(int(dog) * 10 + i).integers(-4, 5, image.shape)
            path = folder / f"{dog}-{i}.jpg"
            cv2.imwrite(str(path), np.clip(image + noise, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 95])
            paths.append(path)
        return paths

    @property
    def url(self) -> str:
        return self.server.url + "/app/"

    def enrollment_code(self, role: str = "vet") -> str:
        from core.registry.db import Database
        from sync.server.devices import Devices

        db = Database(self.server.db_url)
        try:
            return Devices(db).enroll("Shelter A", role, "Vet phone")[1]
        finally:
            db.dispose()

    def last_code(self, after: int) -> str:
        """The newest one-time code that LogNotifier wrote to the server's log after `after` characters."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            codes = re.findall(r"notification[^\n]*?\b(\d{6})\b", self.server.log()[after:])
            if codes:
                return codes[-1]
            time.sleep(0.1)
        raise AssertionError("no one-time code in the server's log:\n" + self.server.log()[-3000:])


@pytest.fixture(scope="module")
def world(tmp_path_factory, nose_data):
    chromium_or_skip()
    w = World(tmp_path_factory.mktemp("webapp_browser"), nose_data)
    yield w
    w.server.stop()


@pytest.fixture(scope="module")
def playwright():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture
def browser_for(playwright, world):
    """browser_for(video) -> a Chromium whose camera plays `video` (a dog of world.videos), closed after the test."""
    opened = []

    def launch(dog: str = REGISTERED):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={world.videos[dog]}"])
        opened.append(browser)
        return browser

    yield launch
    for b in opened:
        b.close()


def phone_page(browser, lang: str = "en", **context):
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True,
                              locale={"en": "en-US", "ko": "ko-KR"}[lang], **context)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    return page


def shot(page, name: str) -> None:
    """A screenshot for the README when SAVEPETS_SCREENSHOTS=1 (else nothing is written)."""
    if SCREENSHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"app-{name}.png"))


def wait_js(page, expression: str, timeout: float = 10000) -> None:
    """Wait until `expression` is true in the page (page.evaluate: Playwright's wait_for_function would eval a
    string, which the app's Content-Security-Policy refuses, as it should)."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true in {timeout} ms: {expression}")
        time.sleep(0.1)


def text_of(page, selector: str) -> str:
    return page.locator(selector).first.inner_text()


# ---------------------------------------------------------------------------------------------- public
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_home_follows_the_phones_language_and_switches(browser_for, world, lang):
    page = phone_page(browser_for(), lang)
    page.goto(world.url)
    expected = {"en": "I found a dog", "ko": "강아지를 발견했어요"}[lang]
    page.get_by_role("link", name=re.compile(expected)).wait_for()
    assert page.evaluate("document.documentElement.lang") == lang
    shot(page, f"home-{lang}")
    page.click("#lang")  # the other language, kept across a reload
    other = {"en": "강아지를 발견했어요", "ko": "I found a dog"}[lang]
    page.get_by_role("link", name=re.compile(other)).wait_for()
    page.reload()
    page.get_by_role("link", name=re.compile(other)).wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page scrolls sideways on a phone"
    assert not page.errors


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_found_a_registered_dog_the_finder_learns_it_is_registered(browser_for, world, lang):
    page = phone_page(browser_for(REGISTERED), lang)
    page.goto(world.url + "#/found")
    page.locator(".thumbs li").first.wait_for(timeout=20000)  # the camera's good frame was taken by itself
    assert "good" in page.locator(".quality").get_attribute("class")
    shot(page, f"found-camera-{lang}")
    page.fill("input[name=place]", "Mapo-gu, Hapjeong station exit 3")
    page.get_by_role("button", name={"en": "Send", "ko": "보내기"}[lang]).click()
    result = page.locator("[data-result]")
    result.wait_for(timeout=30000)
    assert result.get_attribute("data-result") == "yes"
    words = result.inner_text()
    assert {"en": "This dog is registered.", "ko": "등록된 강아지입니다."}[lang] in words
    assert "Kim" not in words and "6789" not in words  # nothing of the owner
    shot(page, f"found-result-{lang}")
    assert not page.errors


def test_found_a_stranger_says_it_is_not_registered(browser_for, world):
    page = phone_page(browser_for(STRANGER))
    page.goto(world.url + "#/found")
    page.locator(".thumbs li").first.wait_for(timeout=20000)
    page.fill("input[name=place]", "Seoul Forest")
    page.get_by_role("button", name="Send").click()
    result = page.locator("[data-result]")
    result.wait_for(timeout=30000)
    assert result.get_attribute("data-result") == "none"
    assert "not registered" in result.inner_text()


def test_found_needs_a_photo_and_a_place(browser_for, world):
    page = phone_page(browser_for(REGISTERED))
    page.goto(world.url + "#/found")
    page.uncheck(".auto input")  # no auto-capture: nothing taken yet
    page.get_by_role("button", name="Send").click()
    assert "at least one photo" in text_of(page, "form .msg.error")
    page.click(".shutter")
    page.locator(".thumbs li").first.wait_for(timeout=20000)
    page.get_by_role("button", name="Send").click()
    assert "Say where the dog is" in text_of(page, "form .msg.error")


def test_a_large_album_photo_is_downscaled_in_the_page(browser_for, world, tmp_path):
    """A 12-megapixel album photo goes up with a 1024-pixel long side (the found case keeps what was sent)."""
    big = tmp_path / "big.jpg"
    image = cv2.resize(world.nose_image(REGISTERED), (4000, 3000), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(big), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    page = phone_page(browser_for())
    page.goto(world.url + "#/found")
    page.uncheck(".auto input")
    page.set_input_files(".album input", [str(big)])
    page.locator(".thumbs li").first.wait_for(timeout=20000)
    page.fill("input[name=place]", "Big photo street")
    page.get_by_role("button", name="Send").click()
    page.locator("[data-result]").wait_for(timeout=30000)
    with world.server.client(world.server.key("admin", "Operator")) as c:  # every organisation's cases
        cases = c.get("/v1/found", params={"state": "open"})
        assert cases.status_code == 200, cases.text
        case = next(x for x in cases.json()["items"] if x["place"] == "Big photo street")
        data = c.get(case["photos"][0]["url"]).content
    stored = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert max(stored.shape[:2]) == 1024 and stored.shape[1] == 1024, stored.shape
    assert len(data) < 1024 * 1024


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_owner_verifies_the_phone_and_reports_the_dog_lost(browser_for, world, lang):
    page = phone_page(browser_for(), lang)
    page.goto(world.url + "#/lost")
    page.fill("input[name=phone]", OWNER_PHONE)
    mark = len(world.server.log())
    page.locator("form:not(.code-step) button[type=submit]").click()
    page.locator("input[name=code]").wait_for()
    code = world.last_code(mark)
    wrong = "000000" if code != "000000" else "111111"
    page.fill("input[name=code]", wrong)
    page.locator("form.code-step button[type=submit]").click()
    error = page.locator(".msg.error")
    error.wait_for()
    assert {"en": "Wrong code. 4 tries left.", "ko": "코드가 틀렸습니다. 4번 더 시도할 수 있습니다."}[lang] in \
        error.inner_text()
    shot(page, f"lost-code-{lang}")
    page.fill("input[name=code]", code)
    page.locator("form.code-step button[type=submit]").click()
    dog = page.locator(f"li.dog[data-dog='{world.dog['registration_number']}']")
    dog.wait_for(timeout=15000)
    assert "Choco" in dog.inner_text()
    dog.locator("button.btn.primary").click()
    page.fill("input[name=place]", "Han river park, Mangwon")
    shot(page, f"lost-form-{lang}")
    dog.locator("form button[type=submit]").click()
    done = page.locator("[data-result=lost]")
    done.wait_for(timeout=15000)
    assert "Choco" in done.inner_text()
    shot(page, f"lost-done-{lang}")
    with world.server.client(world.kiosk) as c:  # the dog is lost now, for staff too
        assert c.get(f"/v1/dogs/{world.dog['id']}").json()["status"] == "lost"
        lost = c.get("/v1/lost", params={"state": "open"})
        reunite = lost.status_code == 200  # the server has lost reports (issue 24)
        if reunite:
            assert any(r["dog_id"] == world.dog["id"] for r in lost.json()["items"])
    if reunite:  # the owner opens the app again: the open report, and the dog is home
        page.reload()
        home = dog.get_by_role("button", name={"en": "Choco is home", "ko": "Choco이(가) 집에 왔어요"}[lang])
        home.wait_for(timeout=15000)
        assert "Han river park" in dog.inner_text()
        home.click()
        wait_js(page, "document.querySelector('li.dog .badge').classList.contains('home')", timeout=15000)
    with world.server.client(world.kiosk) as c:
        if reunite:
            assert c.get(f"/v1/dogs/{world.dog['id']}").json()["status"] == "home"
            assert not [r for r in c.get("/v1/lost", params={"state": "open"}).json()["items"]
                        if r["dog_id"] == world.dog["id"]]
        c.put(f"/v1/dogs/{world.dog['id']}/status", json={"status": "home"})  # for the other language's run
    assert not page.errors


def test_the_public_registers_a_dog_with_five_album_photos(browser_for, world):
    page = phone_page(browser_for())
    page.goto(world.url + "#/register")
    page.fill("input[name=phone]", "010-3456-7890")
    mark = len(world.server.log())
    page.locator("form:not(.code-step) button[type=submit]").click()
    page.locator("input[name=code]").wait_for()
    page.fill("input[name=code]", world.last_code(mark))
    page.locator("form.code-step button[type=submit]").click()
    page.locator(".capture").wait_for()
    page.uncheck(".auto input")
    page.set_input_files(".album input", [str(p) for p in world.shots(PUBLIC_DOG)])
    wait_js(page, "document.querySelectorAll('.thumbs li').length === 5", timeout=20000)
    page.fill("input[name=name]", "Bori")
    page.fill("input[name=owner_name]", "Lee Jiwoo")
    page.get_by_role("button", name="Register", exact=True).click()
    done = page.locator("[data-result=registered]")
    done.wait_for(timeout=30000)
    number = done.locator(".regno strong").inner_text()
    assert number and "Bori" in done.inner_text()
    shot(page, "register-done-en")
    with world.server.client(world.kiosk) as c:
        assert c.get(f"/v1/dogs/{number}").json()["name"] == "Bori"


# ---------------------------------------------------------------------------------------------- staff
def enroll(page, world, role: str = "vet", link: bool = False) -> None:
    """Enroll the page's browser as a staff phone: the code typed, or (`link`) opened from a link or QR code."""
    if link:
        page.goto(world.url + "#/staff/enroll/" + world.enrollment_code(role))
        assert page.input_value("input[name=code]")
    else:
        page.goto(world.url + "#/staff")
        page.fill("input[name=code]", world.enrollment_code(role))
    page.get_by_role("button", name=re.compile("Enroll this phone|이 휴대폰 등록")).click()
    page.locator("a.choice[href='#/staff/lookup']").wait_for(timeout=15000)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_staff_look_up_candidates_compare_and_card(browser_for, world, lang):
    page = phone_page(browser_for(REGISTERED), lang)
    enroll(page, world)
    shot(page, f"staff-home-{lang}")
    page.click("a.choice[href='#/staff/lookup']")
    answer = page.locator(".verdict-box")
    answer.wait_for(timeout=30000)
    assert answer.get_attribute("data-decision") == "match"
    candidate = page.locator(f"button.candidate[data-dog='{world.dog['registration_number']}']")
    assert "Choco" in candidate.inner_text()
    timings = page.evaluate("window.savepets.timings")
    assert timings and timings[-1]["kind"] == "lookup"
    print(f"shutter to answer ({lang}): {timings[-1]['ms']:.0f} ms;", "server:",
          re.findall(r"(POST /v1/(?:photos/check|lookup) \d+ [\d.]+ ms)", world.server.log())[-3:])
    page.click(".shutter")  # a second photo of the same dog: the answer again, from both photos
    wait_js(page, "window.savepets.timings.length >= 2", timeout=20000)
    page.locator(".verdict-box").wait_for()
    assert page.locator(".verdict-box").get_attribute("data-decision") == "match"
    assert page.locator(".thumbs li").count() == 2
    wait_js(page, "[...document.querySelectorAll('.candidates img')].every(i => i.complete && i.src)")
    shot(page, f"lookup-{lang}")
    candidate.click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    wait_js(page, "document.querySelectorAll('.compare img')[1].naturalWidth > 0")
    zoom = dialog.locator(".zoom").nth(1)
    box = zoom.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def pointer(kind: str, pid: int, x: float, y: float) -> None:
        zoom.dispatch_event(kind, {"pointerId": pid, "pointerType": "touch", "isPrimary": pid == 1,
                                   "clientX": x, "clientY": y, "bubbles": True})

    pointer("pointerdown", 1, cx - 20, cy)  # a pinch: two fingers apart from 40 px to 160 px
    pointer("pointerdown", 2, cx + 20, cy)
    pointer("pointermove", 1, cx - 80, cy)
    pointer("pointermove", 2, cx + 80, cy)
    pointer("pointerup", 1, cx - 80, cy)
    pointer("pointerup", 2, cx + 80, cy)
    scale = page.evaluate("() => new DOMMatrix(getComputedStyle(document.querySelectorAll('.zoom img')[1])"
                          ".transform).a")
    assert 3.5 < scale <= 6, scale
    shot(page, f"compare-{lang}")
    dialog.get_by_role("link").click()
    page.locator(".dog-name").wait_for(timeout=15000)
    assert page.locator(".dog-name").inner_text() == "Choco"
    assert "6789" in page.locator(".owner").inner_text() and "2345" not in page.locator(".owner").inner_text()
    wait_js(page, "[...document.querySelectorAll('.photos img')].every(i => i.naturalWidth > 0)")
    shot(page, f"card-{lang}")
    page.get_by_role("button", name=re.compile("Show contact|연락처 보기")).click()
    page.locator("form input[name=reason]").wait_for()
    page.locator(".owner form button[type=submit]").click()
    page.locator("a.phone").wait_for(timeout=15000)
    assert "2345" in page.locator("a.phone").inner_text()  # revealed, on the audit trail
    assert not page.errors


def test_staff_take_in_a_dog_that_is_not_registered(browser_for, world):
    page = phone_page(browser_for(STRANGER))
    enroll(page, world)
    page.click("a.choice[href='#/staff/lookup']")
    answer = page.locator(".verdict-box")
    answer.wait_for(timeout=30000)
    assert answer.get_attribute("data-decision") == "no_match"
    page.get_by_role("button", name="Take in as a stray").click()
    page.get_by_role("button", name="Take in as a stray").click()  # the form's: no place yet
    assert "Say where the dog is" in text_of(page, ".intake .msg.error")
    page.fill("input[name=intake_place]", "Found at the clinic's door")
    page.get_by_role("button", name="Take in as a stray").click()
    page.locator("[data-result=intake]").wait_for(timeout=30000)
    shot(page, "intake-en")
    with world.server.client(world.kiosk) as c:
        cases = c.get("/v1/found", params={"state": "open"})
        if cases.status_code == 200:
            assert any(x["place"] == "Found at the clinic's door" for x in cases.json()["items"])
    assert not page.errors


def test_staff_registers_a_dog_and_opens_its_card(browser_for, world):
    page = phone_page(browser_for())
    enroll(page, world, "kiosk", link=True)
    assert "enroll" not in page.url  # the code does not stay in the address bar
    page.click("a.choice[href='#/staff/register']")
    page.uncheck(".auto input")
    page.set_input_files(".album input", [str(p) for p in world.shots(STAFF_DOG)])
    wait_js(page, "document.querySelectorAll('.thumbs li').length === 5", timeout=20000)
    page.get_by_role("button", name="Register", exact=True).click()
    assert "valid phone number" in text_of(page, "form .msg.error")
    page.fill("input[name=phone]", "1234-5678")  # digits enough for the page, not a phone for the server
    page.fill("input[name=name]", "Dubu")
    page.get_by_role("button", name="Register", exact=True).click()
    page.locator("form .msg.error").wait_for(timeout=15000)
    assert "Enter a valid phone number" in text_of(page, "form .msg.error")
    page.fill("input[name=phone]", "010-4567-8901")
    page.fill("input[name=name]", "Dubu")
    shot(page, "register-form-en")
    page.get_by_role("button", name="Register", exact=True).click()
    done = page.locator("[data-result=registered]")
    done.wait_for(timeout=30000)
    done.get_by_role("link", name="Open the dog's card").click()
    page.locator(".dog-name").wait_for(timeout=15000)
    assert page.locator(".dog-name").inner_text() == "Dubu"
    page.get_by_role("button", name="Mark found").click()
    wait_js(page, "document.querySelector('.badge') && document.querySelector('.badge').className"
                           ".includes('found')", timeout=15000)


def test_staff_confirm_a_possible_reunion_and_see_lost_and_found(browser_for, world):
    """Reunite (issue 24's API): a dog reported lost and a stray taken in with its nose become a possible reunion;
    the staff phone lists both cases, shows the pair and confirms it."""
    dog_key = "1782"
    shots = world.shots(dog_key, 6)
    with world.server.client(world.kiosk) as c:
        files = [("photos", (p.name, p.read_bytes(), "image/jpeg")) for p in shots[:5]]
        made = c.post("/v1/dogs", data={"phone": "010-5678-1234", "name": "Nuri"}, files=files)
        assert made.status_code == 201, made.text
        dog = made.json()["dog"]
        lost = c.post("/v1/lost", json={"dog": dog["id"], "lost_at": "2026-01-02T10:00:00Z", "place": "Mangwon"})
        assert lost.status_code == 201, lost.text
        found = c.post("/v1/found", data={"found_at": "2026-01-03T09:00:00Z", "place": "Hapjeong shelter gate"},
                       files=[("photos", (shots[5].name, shots[5].read_bytes(), "image/jpeg"))])
        assert found.status_code == 201, found.text
    page = phone_page(browser_for())
    enroll(page, world)
    page.click("a.choice[href='#/staff/cases']")
    page.get_by_text("Nuri · ").first.wait_for(timeout=15000)
    assert "Hapjeong shelter gate" in page.locator("main").inner_text()
    page.go_back()
    page.click("a.choice[href='#/staff/reunite']")
    item = page.locator("li.reunion", has_text="Nuri")
    item.wait_for(timeout=15000)
    wait_js(page, "[...document.querySelectorAll('li.reunion img')].every(i => i.naturalWidth > 0)")
    shot(page, "reunite-en")
    item.get_by_role("button", name="Same dog: confirm").click()
    page.get_by_text("Confirmed: the owner is told.").wait_for(timeout=15000)
    with world.server.client(world.kiosk) as c:
        states = {r["dog"]["id"]: r["state"] for r in c.get("/v1/reunions", params={"state": "confirmed"})
                  .json()["items"]}
        assert states.get(dog["id"]) == "confirmed"
    assert not page.errors


def test_owner_reports_lost_a_finder_finds_it_and_staff_confirm_all_in_browsers(playwright, world):
    """Issue 25's "done when", end to end in three browsers: the owner reports the dog lost from a phone, a finder
    photographs it in the street (registered, its owner told, nothing of the owner shown), and the shelter's phone
    confirms the possible reunion."""
    dog_key, owner_phone = "1783", "010-6543-2109"
    with world.server.client(world.kiosk) as c:
        files = [("photos", (p.name, p.read_bytes(), "image/jpeg")) for p in world.shots(dog_key)]
        made = c.post("/v1/dogs", data={"phone": owner_phone, "name": "Haru"}, files=files)
        assert made.status_code == 201, made.text
    video = y4m(world.nose_image(dog_key), world.base / f"{dog_key}.y4m")
    browsers = [playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"]) for _ in range(3)]
    try:
        owner, finder, vet = (phone_page(b) for b in browsers)
        owner.goto(world.url + "#/lost")  # the owner
        owner.fill("input[name=phone]", owner_phone)
        mark = len(world.server.log())
        owner.locator("form:not(.code-step) button[type=submit]").click()
        owner.locator("input[name=code]").wait_for()
        owner.fill("input[name=code]", world.last_code(mark))
        owner.locator("form.code-step button[type=submit]").click()
        card = owner.locator("li.dog", has_text="Haru")
        card.wait_for(timeout=15000)
        card.locator("button.btn.primary").click()
        owner.fill("input[name=place]", "Yeonnam-dong park")
        card.locator("form button[type=submit]").click()
        owner.locator("[data-result=lost]").wait_for(timeout=15000)

        finder.goto(world.url + "#/found")  # the finder
        finder.locator(".thumbs li").first.wait_for(timeout=20000)
        finder.fill("input[name=place]", "Hongdae playground")
        finder.get_by_role("button", name="Send").click()
        result = finder.locator("[data-result]")
        result.wait_for(timeout=30000)
        assert result.get_attribute("data-result") == "yes", result.inner_text()
        assert "Its owner is being told" in result.inner_text()
        assert "Haru" not in result.inner_text() and "2109" not in result.inner_text()

        enroll(vet, world)  # the shelter
        vet.click("a.choice[href='#/staff/reunite']")
        item = vet.locator("li.reunion", has_text="Haru")
        item.wait_for(timeout=15000)
        assert "Reported lost" in item.inner_text()
        item.get_by_role("button", name="Same dog: confirm").click()
        vet.get_by_text("Confirmed: the owner is told.").wait_for(timeout=15000)
        for page in (owner, finder, vet):
            assert not page.errors
    finally:
        for b in browsers:
            b.close()
    with world.server.client(world.kiosk) as c:
        confirmed = c.get("/v1/reunions", params={"state": "confirmed"}).json()["items"]
        assert any(r["dog"]["name"] == "Haru" and r["source"] == "lost" for r in confirmed)


def test_a_staff_phone_asks_for_a_members_pin_where_the_server_has_staff(playwright, tmp_path):
    """A server with staff accounts: the enrolled phone opens on the PIN sign-in (a wrong PIN says how many tries are
    left), then the staff pages, each call with the member's session (kept in sessionStorage, never localStorage), so
    that the dog's card and its contact shown are on the audit trail under the member's name; Lock ends the session
    on the server too, and so does the idle time. Each try is on the audit trail."""
    from core.registry.db import Database
    from core.staff import StaffAccounts
    from sync.server.devices import Devices
    from tests.imaging import dog_photo_bytes

    chromium_or_skip()
    srv = Server(f"sqlite:///{tmp_path / 'r.sqlite3'}", tmp_path / "data").start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM)
    try:
        desk = srv.key("kiosk", "Desk", org="Shelter A")
        files = [("photos", (f"{i}.jpg", dog_photo_bytes(1772, i), "image/jpeg")) for i in range(5)]
        with srv.client(desk) as c:
            r = c.post("/v1/dogs", data={"phone": OWNER_PHONE, "owner_name": "Kim Minji", "name": "Choco"},
                       files=files)
            assert r.status_code == 201, r.text
            dog = r.json()["dog"]
        db = Database(srv.db_url)
        StaffAccounts(db).add("Kim Admin", "13579", role="admin", first=True)
        code = Devices(db).enroll("Shelter A", "vet", "Vet phone")[1]
        db.dispose()
        page = phone_page(browser)
        sessions: list[str | None] = []  # the session header of each API call the page makes
        page.on("request", lambda r: sessions.append(r.headers.get("x-savepets-session"))
                if "/v1/" in r.url and "/v1/staff/" not in r.url else None)
        page.goto(srv.url + "/app/#/staff/enroll/" + code)
        page.get_by_role("button", name="Enroll this phone").click()
        page.locator("input[name=pin]").wait_for(timeout=15000)
        assert page.locator("main").get_attribute("data-view") == "staff-signin"
        page.fill("input[name=member]", "Kim Admin")
        page.fill("input[name=pin]", "11111")
        page.get_by_role("button", name="Sign in").click()
        error = page.locator(".msg.error")
        error.wait_for(timeout=15000)
        assert "Wrong PIN: 4 more tries" in error.inner_text()
        shot(page, "staff-pin-en")
        page.goto(srv.url + "/app/#/staff/lookup")  # every staff page waits for the PIN
        page.locator("input[name=pin]").wait_for()
        page.fill("input[name=member]", "Kim Admin")
        page.fill("input[name=pin]", "13579")
        sessions.clear()  # (the enrollment's call had no key yet)
        page.get_by_role("button", name="Sign in").click()
        page.locator(".capture").wait_for(timeout=15000)  # the look-up it was asked for
        stored = page.evaluate("() => JSON.parse(sessionStorage.getItem('savepets.member'))")
        token = stored["session"]
        assert token.startswith("sps_") and stored["idle_minutes"] == 5
        assert token not in page.evaluate("() => JSON.stringify({...localStorage})")  # this tab only
        key = page.evaluate("() => JSON.parse(localStorage.getItem('savepets.staff')).key")
        page.goto(srv.url + f"/app/#/staff/dog/{dog['id']}")  # the card as the member: the owner masked
        page.locator(".dog-name").wait_for(timeout=15000)
        assert "2345" not in page.locator(".owner").inner_text()
        page.get_by_role("button", name="Show contact").click()
        page.locator(".owner form button[type=submit]").click()
        page.locator("a.phone").wait_for(timeout=15000)
        assert "2345" in page.locator("a.phone").inner_text()
        assert sessions and all(h == token for h in sessions), sessions  # every call as the member
        page.goto(srv.url + "/app/#/staff")
        page.get_by_text("Signed in: Kim Admin").wait_for()
        page.get_by_role("button", name="Lock").click()
        page.locator("input[name=pin]").wait_for()
        with srv.client(key) as phone:
            r = phone.get("/v1/staff/session", headers={"X-SavePets-Session": token})
            assert r.status_code == 401, r.text  # Lock ended it on the server too
        page.fill("input[name=member]", "Kim Admin")  # signed in again, then idle past the idle time
        page.fill("input[name=pin]", "13579")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Signed in: Kim Admin").wait_for(timeout=15000)
        idle = page.evaluate("() => JSON.parse(sessionStorage.getItem('savepets.member')).session")
        page.evaluate("() => { const m = JSON.parse(sessionStorage.getItem('savepets.member'));"
                      " m.at -= 6 * 60 * 1000; sessionStorage.setItem('savepets.member', JSON.stringify(m)); }")
        page.locator("input[name=pin]").wait_for(timeout=20000)  # the phone locked itself (checked every 15 s)
        with srv.client(key) as phone:
            wait_until = time.monotonic() + 10
            while phone.get("/v1/staff/session", headers={"X-SavePets-Session": idle}).status_code != 401:
                assert time.monotonic() < wait_until, "the idle phone's session did not end on the server"
                time.sleep(0.2)
        with srv.client(srv.key("admin", "Operator")) as admin:
            for action in ("sign_in", "sign_in_failed", "contact_view", "lock"):
                entries = admin.get("/v1/audit", params={"action": action}).json()["entries"]
                assert any(e["actor_name"] == "Kim Admin" and e["actor_kind"] == "staff" for e in entries), action
            views = admin.get("/v1/audit", params={"action": "contact_view", "dog": dog["id"]}).json()["entries"]
            assert [e["actor_name"] for e in views if "via=contact" in e["detail"]] == ["Kim Admin"]
            locks = admin.get("/v1/audit", params={"action": "lock"}).json()["entries"]
            assert {e["detail"].split()[0] for e in locks} == {"on_demand", "idle"}
        assert not page.errors
    finally:
        browser.close()
        srv.stop()


# ---------------------------------------------------------------------------------------------- bad inputs
def test_bad_files_and_refused_photos_are_said_clearly(browser_for, world, tmp_path):
    page = phone_page(browser_for())
    page.goto(world.url + "#/found")
    page.uncheck(".auto input")
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    dark = tmp_path / "dark.jpg"
    cv2.imwrite(str(dark), np.full((400, 400, 3), 6, np.uint8))
    page.set_input_files(".album input", [str(text)])
    error = page.locator(".photo-error")
    error.wait_for()
    assert "“notes.txt” is not a photo" in error.inner_text()
    page.set_input_files(".album input", [str(dark)])
    wait_js(page, "document.querySelector('.photo-error').innerText.includes('dark.jpg')")
    assert "Photo not used: Too dark: add light" in error.inner_text()
    assert page.locator(".thumbs li").count() == 0
    shot(page, "refused-en")


def test_a_registration_the_server_refuses_says_which_photos(browser_for, world):
    """Five usable photos of five different noses: the server refuses them (they disagree); the page says which in
    words and marks those photos to be taken again."""
    page = phone_page(browser_for())
    enroll(page, world, "kiosk")
    page.click("a.choice[href='#/staff/register']")
    page.uncheck(".auto input")
    mixed = [world.shots(dog, 1)[0] for dog in (REGISTERED, STRANGER, STAFF_DOG, PUBLIC_DOG, "1784")]
    page.set_input_files(".album input", [str(p) for p in mixed])
    wait_js(page, "document.querySelectorAll('.thumbs li').length === 5", timeout=20000)
    page.fill("input[name=phone]", "010-7777-8888")
    page.fill("input[name=name]", "Mixed")
    page.get_by_role("button", name="Register", exact=True).click()
    error = page.locator("form .msg.error")
    error.wait_for(timeout=30000)
    assert "Does not look like the same nose as the others" in error.inner_text()
    assert re.search(r"Photo \d: ", error.inner_text())
    assert page.locator(".thumbs li.refused").count() >= 1


def test_wrong_enrollment_code_is_refused_clearly(browser_for, world):
    page = phone_page(browser_for(), "ko")
    page.goto(world.url + "#/staff")
    page.fill("input[name=code]", "AAAA-BBBB-CCCC-DDDD")
    page.locator("form button[type=submit]").click()
    error = page.locator(".msg.error")
    error.wait_for()
    assert "유효하지 않은 코드" in error.inner_text()


def test_server_unreachable_and_offline_are_said(browser_for, world):
    browser = browser_for(REGISTERED)
    page = phone_page(browser)
    page.goto(world.url + "#/found")
    page.locator(".thumbs li").first.wait_for(timeout=20000)
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # the app shell is kept
    page.route("**/v1/**", lambda route: route.abort())  # the server stops answering
    page.fill("input[name=place]", "Somewhere")
    page.get_by_role("button", name="Send").click()
    error = page.locator("form .msg.error")
    error.wait_for(timeout=15000)
    assert "cannot be reached" in error.inner_text()
    assert "cannot be reached" in page.locator("#banner").inner_text()
    shot(page, "unreachable-en")
    page.unroute("**/v1/**")
    # offline: the app shell comes from the service worker and says it is offline
    page.reload()  # controlled by the worker from here on
    page.context.set_offline(True)
    page.goto(world.url)
    banner = page.locator("#banner")
    banner.wait_for(timeout=10000)
    assert "offline" in banner.inner_text()
    page.get_by_role("link", name=re.compile("I found a dog")).wait_for()
    shot(page, "offline-en")
    page.context.set_offline(False)


def test_no_camera_leaves_the_album(playwright, world):
    """A browser with no camera (or none allowed) says so and keeps the album."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM)
    try:
        page = phone_page(browser)
        page.goto(world.url + "#/found")
        msg = page.locator(".cam-msg")
        wait_js(page, "document.querySelector('.capture').classList.contains('no-camera')", timeout=15000)
        assert "Use “From album”" in msg.inner_text()
        assert page.locator(".shutter").is_disabled()
    finally:
        browser.close()


def test_first_load_is_small(world):
    """The bytes a phone downloads on first load (HTML, JS, CSS, manifest, the header's icon), gzip as sent."""
    names = ["", "style.css", "app.js", "api.js", "dom.js", "i18n.js", "camera.js", "manifest.webmanifest",
             "icons/icon-192.png"]
    sizes = {}
    with httpx.Client(base_url=world.url, headers={"Accept-Encoding": "gzip"}) as c:
        for name in names:
            r = c.get(name)
            assert r.status_code == 200
            sizes[name or "index.html"] = int(r.headers["content-length"])
    total = sum(sizes.values())
    print("first load:", json.dumps(sizes), f"total {total / 1024:.1f} KB")
    assert total <= 150 * 1024


def test_shutter_to_answer_with_the_real_engine(playwright, tmp_path, nose_data):
    """The time from the shutter to the look-up's answer on the page, for one photo, with the default (learned)
    engine on loopback: a dog registered from 5 real photos, the camera playing its 6th. Printed; the issue's
    target is 1.5 s on 2 cores (asserted loosely here: the machine is shared with other tests)."""
    from core.recognition.learned import weights_installed

    chromium_or_skip()
    if not weights_installed():
        pytest.skip("the learned engine's weights are not installed (resources/models)")
    srv = Server(f"sqlite:///{tmp_path / 'r.sqlite3'}", tmp_path / "data", engine="auto").start(timeout=300)
    try:
        kiosk = srv.key("kiosk", "Desk", org="Shelter A")
        with srv.client(kiosk, timeout=300) as c:
            for dog in (REGISTERED, STAFF_DOG, PUBLIC_DOG, STRANGER):
                files = [("photos", (f"{i}.jpg", (nose_data / dog / f"{i}.jpg").read_bytes(), "image/jpeg"))
                         for i in range(5)]
                r = c.post("/v1/dogs", data={"phone": OWNER_PHONE, "name": f"Dog {dog}"}, files=files)
                if r.status_code == 201:
                    break
            assert r.status_code == 201, r.text
        from core.registry.db import Database
        from sync.server.devices import Devices

        db = Database(srv.db_url)
        code = Devices(db).enroll("Shelter A", "vet", "Vet phone")[1]
        db.dispose()
        video = y4m(nose_data / dog / "5.jpg", tmp_path / "sixth.y4m")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"])
        try:
            page = phone_page(browser)
            page.goto(srv.url + "/app/#/staff")
            page.fill("input[name=code]", code)
            page.get_by_role("button", name="Enroll this phone").click()
            page.locator("a.choice[href='#/staff/lookup']").click()
            page.locator(".verdict-box").wait_for(timeout=60000)
            decision = page.locator(".verdict-box").get_attribute("data-decision")
            first = page.evaluate("window.savepets.timings")[-1]["ms"]
            page.click(".thumbs .remove")  # the photo again, on a warm engine: taken by itself, looked up alone
            wait_js(page, "window.savepets.timings.length >= 2", timeout=60000)
            ms = page.evaluate("window.savepets.timings")[-1]["ms"]
            print(f"real engine: shutter to answer {first:.0f} ms (first), {ms:.0f} ms (again), decision {decision};",
                  re.findall(r"(POST /v1/(?:photos/check|lookup) \d+ [\d.]+ ms)", srv.log())[-4:])
            assert ms < 5000
        finally:
            browser.close()
    finally:
        srv.stop()
