"""Camera sources and the capture thread.

A source is a camera by name (Linux: a /dev/v4l/by-id or by-path link, or the device's V4L2 name from
/sys/class/video4linux/*/name; resolved to its index each time it is opened, since the index can change when a
camera is plugged back in), a camera index ("0"), a video file, or a folder of images (looped, each image held for a
moment so that auto-capture can trigger), so that tests and demos run with no camera. `CameraWorker` reads frames
in its own thread, keeps only the newest one (the GUI never gets a queue of stale frames) and runs the
engine's quality gate on a downscaled copy a few times a second, off the GUI thread.

`Camera` is the GUI side, with a watchdog: a read (or an open) that blocks for longer than `stall_s` (many drivers
block instead of failing when a camera is unplugged), or a camera that stops sending pictures, is reported as
"reconnecting" and the camera is opened again by its name every `retry_s` until pictures come. The blocked thread
is left behind (a blocked driver call cannot be interrupted); nothing on the GUI thread ever waits for it.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from core.photos import limit_size
from core.recognition.data import IMAGE_SUFFIXES

log = logging.getLogger(__name__)


VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".mjpg", ".mjpeg"}
QUALITY_SIDE = 320  # the live gate runs on a copy this large (longest side)
QUALITY_INTERVAL_S = 0.15  # at most ~7 gate runs a second
STALL_S = 4.0  # a read that blocks this long with no frame: the camera is not responding (watchdog)
OPEN_STALL_S = 12.0  # an open that blocks this long (opening a camera may take a few seconds)
RETRY_S = 2.0  # while reconnecting, the next try this long after the last one failed
MAX_LEFT_BEHIND = 4  # blocked threads left behind at most; no new try while this many are still blocked

# Linux: where cameras are named (module attributes, so that tests can point them at a folder of their own)
V4L_SYS = Path("/sys/class/video4linux")
V4L_DEV = Path("/dev/v4l")


class SourceError(Exception):
    """The source cannot be opened or stopped delivering frames; `message` is for people (English)."""

    def __init__(self, message: str, kind: str = "open"):
        super().__init__(message)
        self.message = message
        self.kind = kind  # "open" | "lost"


# ------------------------------------------------------------------------------------------ cameras by name
@dataclass(frozen=True)
class CameraInfo:
    """A camera found on this machine. `spec` is what the settings store: its /dev/v4l/by-id link (stable when the
    camera moves to another port), else its by-path link, else its V4L2 name."""

    index: int
    name: str
    spec: str


def _video_number(path: str | os.PathLike) -> int | None:
    m = re.fullmatch(r"video(\d+)", Path(path).name)
    return int(m.group(1)) if m else None


def _links() -> dict[int, list[str]]:
    """index -> its /dev/v4l/by-id links first, then its by-path links."""
    out: dict[int, list[str]] = {}
    for kind in ("by-id", "by-path"):
        folder = V4L_DEV / kind
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for link in entries:
            n = _video_number(os.path.realpath(link))
            if n is not None:
                out.setdefault(n, []).append(str(link))
    return out


def list_cameras() -> list[CameraInfo]:
    """The cameras of this machine (Linux; elsewhere none: cameras are chosen by number there). A device with more
    nodes than one (a capture node and a metadata node) is listed once, by its first node (sysfs `index` 0)."""
    try:
        nodes = [d for d in V4L_SYS.iterdir() if _video_number(d) is not None]
    except OSError:
        return []
    links = _links()
    out = []
    for d in sorted(nodes, key=_video_number):
        n = _video_number(d)
        try:
            if int((d / "index").read_text().strip() or 0) != 0:
                continue  # the device's second node (metadata), not a picture
        except (OSError, ValueError):
            pass
        try:
            name = (d / "name").read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            name = ""
        spec = (links.get(n) or [name or str(n)])[0]
        out.append(CameraInfo(index=n, name=name or f"video{n}", spec=spec))
    return out


def camera_for_index(index: int) -> CameraInfo | None:
    return next((c for c in list_cameras() if c.index == index), None)


def is_device_path(text: str) -> bool:
    return text.startswith("/dev/") or text.startswith(str(V4L_DEV) + "/")


def resolve_camera(name: str) -> int:
    """The index a camera's name points at now: a /dev link or node (/dev/v4l/by-id/…, /dev/video2) or a V4L2 device
    name. Raises SourceError when no such camera is connected."""
    if is_device_path(name):
        n = _video_number(os.path.realpath(name)) if os.path.exists(name) else None
        if n is None:
            raise SourceError(f"The camera {name} is not connected.")
        return n
    found = next((c for c in list_cameras() if c.name == name), None)
    if found is None:
        raise SourceError(f"No camera named {name!r} is connected.")
    return found.index


class FrameSource:
    """Base: open(), read() -> BGR uint8 frame or None at a failure, close(). `fps` paces file sources.

    A source that can be opened again after it stalled or was lost (a camera) returns a fresh copy of itself from
    `again()`; the others return None and stay failed."""

    fps: float = 30.0
    paced = False  # True: the worker sleeps to `fps` (files); a camera paces itself

    def open(self) -> None: ...

    def again(self) -> FrameSource | None:
        return None

    def read(self) -> np.ndarray | None:
        raise NotImplementedError

    def close(self) -> None: ...

    def describe(self) -> str:
        return type(self).__name__


class CaptureSource(FrameSource):
    """A source read through cv2.VideoCapture (a camera or a video file)."""

    cap: cv2.VideoCapture | None = None

    def close(self) -> None:
        if self.cap is not None:
            self.cap.release()
            self.cap = None


class CameraSource(CaptureSource):
    """A camera by `name` (resolved to its index at every open) or by `index`. A camera opened by index learns its
    name at the first open, so that it is opened again by name (`again`) when its index has changed."""

    def __init__(self, index: int | None = None, width: int = 640, height: int = 480, name: str | None = None):
        if index is None and not name:
            raise ValueError("a camera needs an index or a name")
        self.index, self.width, self.height, self.name = index, width, height, name or None
        self.label = ""  # the device's V4L2 name once opened (for people)
        self.opened_index: int | None = None
        self.cap: cv2.VideoCapture | None = None

    def open(self) -> None:
        index = resolve_camera(self.name) if self.name else self.index
        info = camera_for_index(index)
        if self.name is None and info is not None:
            self.name = info.spec  # the camera has a name: open it again by that
        self.label = info.name if info is not None else (self.name or "")
        cap = cv2.VideoCapture(index)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"No camera found at index {index}." if self.name is None
                              else f"The camera {self.name} could not be opened (index {index}).")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        self.opened_index = index
        self.cap = cap

    def read(self) -> np.ndarray | None:
        ok, frame = self.cap.read() if self.cap is not None else (False, None)
        return frame if ok else None

    def again(self) -> CameraSource:
        return CameraSource(None if self.name else self.index, self.width, self.height, name=self.name)

    def describe(self) -> str:
        return self.label or (f"camera {self.index}" if self.name is None else self.name)


class VideoSource(CaptureSource):
    """A video file, looped."""

    paced = True

    def __init__(self, path: Path, loop: bool = True):
        self.path, self.loop = Path(path), loop
        self.cap: cv2.VideoCapture | None = None

    def open(self) -> None:
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"Cannot open the video {self.path.name}.")
        self.fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        self.cap = cap

    def read(self) -> np.ndarray | None:
        if self.cap is None:
            return None
        ok, frame = self.cap.read()
        if not ok and self.loop:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self.cap.read()
        return frame if ok else None

    def describe(self) -> str:
        return f"video {self.path.name}"


class FolderSource(FrameSource):
    """Images of a folder in name order, looped; each shown for `hold_s` seconds at `fps` frames a second.

    `size` (w, h) letterboxes every image onto a frame of that size, like a camera would deliver.
    """

    paced = True

    def __init__(self, folder: Path, hold_s: float = 1.5, fps: float = 25.0, size: tuple[int, int] | None = None,
                 loop: bool = True):
        self.folder, self.hold_s, self.fps, self.size, self.loop = Path(folder), hold_s, fps, size, loop
        self.files: list[Path] = []
        self._images: dict[int, np.ndarray] = {}
        self._frame_no = 0

    def open(self) -> None:
        if not self.folder.is_dir():
            raise SourceError(f"No such folder: {self.folder}.")
        self.files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise SourceError(f"The folder {self.folder.name} holds no images.")
        self._frame_no = 0

    @property
    def frames_per_image(self) -> int:
        return max(1, round(self.hold_s * self.fps))

    def _image(self, i: int) -> np.ndarray | None:
        if i not in self._images:
            img = cv2.imread(str(self.files[i]), cv2.IMREAD_COLOR)
            if img is not None and self.size:
                img = letterbox(img, self.size)
            if len(self._images) > 64:
                self._images.clear()
            self._images[i] = img
        return self._images[i]

    def read(self) -> np.ndarray | None:
        n = self._frame_no // self.frames_per_image
        if n >= len(self.files):
            if not self.loop:
                return None
            self._frame_no, n = 0, 0
        self._frame_no += 1
        img = self._image(n)
        return None if img is None else img.copy()

    def describe(self) -> str:
        return f"folder {self.folder.name} ({len(self.files)} images)"


class ArraySource(FrameSource):
    """Frames from memory (tests, screenshots)."""

    paced = True

    def __init__(self, frames: list[np.ndarray], fps: float = 25.0, hold_s: float = 1.0):
        self.frames, self.fps, self.hold_s = frames, fps, hold_s
        self._i = 0

    def read(self) -> np.ndarray | None:
        per = max(1, round(self.hold_s * self.fps))
        img = self.frames[(self._i // per) % len(self.frames)]
        self._i += 1
        return img.copy()

    def describe(self) -> str:
        return f"demo ({len(self.frames)} pictures)"


def letterbox(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    ih, iw = img.shape[:2]
    scale = min(w / iw, h / ih)
    nw, nh = max(1, round(iw * scale)), max(1, round(ih * scale))
    out = np.zeros((h, w, 3), np.uint8)
    x, y = (w - nw) // 2, (h - nh) // 2
    out[y:y + nh, x:x + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return out


def open_source(spec: str | int | Path) -> FrameSource:
    """'0' or 0 -> camera 0; /dev/v4l/by-id/… or /dev/videoN -> that camera (by name); a folder -> its images; a
    file -> a video (or one image held forever); the V4L2 name of a connected camera -> that camera (by name)."""
    text = str(spec).strip()
    if text.isdigit():
        return CameraSource(int(text))
    if is_device_path(text) and not Path(text).is_dir():
        return CameraSource(name=text)  # resolved when opened: not connected now is "no camera", and retried
    path = Path(text).expanduser()
    if path.is_dir():
        return FolderSource(path)
    if path.is_file():
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return _SingleImageSource(path)
        return VideoSource(path)
    if text and any(c.name == text for c in list_cameras()):
        return CameraSource(name=text)
    raise SourceError(f"No camera, folder or video at {text!r}.")


def camera_spec(text: str) -> str:
    """What the settings store for the camera typed or chosen: a camera number is stored as that camera's name when
    it has one (its index can change when it is plugged in again); anything else as it is."""
    text = text.strip() or "0"
    if text.isdigit():
        info = camera_for_index(int(text))
        if info is not None:
            return info.spec
    return text


class _SingleImageSource(FolderSource):
    def __init__(self, path: Path):
        super().__init__(path.parent)
        self._path = path

    def open(self) -> None:
        self.files = [self._path]


class CameraWorker:
    """Reads frames in a plain thread and keeps only the newest one, with the newest quality verdict.

    It touches no Qt object: the GUI side (`Camera`) polls it with a QTimer, so frames never queue up in the
    event loop and the thread needs no event loop of its own. While the source's open() or read() runs,
    `blocked_in` names it and `blocked_since` says since when: the watchdog's evidence of a driver that blocks.
    """

    def __init__(self, source: FrameSource, quality: Callable[[np.ndarray], object] | None = None,
                 quality_interval_s: float = QUALITY_INTERVAL_S):
        self.source = source
        self.quality_fn = quality
        self.quality_interval_s = quality_interval_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._latest: np.ndarray | None = None
        self.frame_seq = 0  # bumped for every new frame
        self.quality = None
        self.quality_seq = 0
        self.error: tuple[str, str] | None = None  # (kind, English message) once it failed
        self.started = False
        self.frames = 0
        self.quality_ms: list[float] = []
        self.blocked_in: str | None = None  # "open" | "read" while the source's call runs
        self.blocked_since = 0.0  # time.monotonic() when it began
        self.thread = threading.Thread(target=self.run, name="savepets-camera", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def latest(self) -> np.ndarray | None:
        with self._lock:
            return self._latest

    def blocked_for(self) -> float:
        """Seconds the source's current open() or read() has been running (0 between calls)."""
        since = self.blocked_since
        return time.monotonic() - since if self.blocked_in is not None else 0.0

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self, timeout: float = 1.0) -> None:
        """Ask the thread to end; wait for it only while it is not stuck in the driver (a blocked read may never
        return: the thread is left to end by itself, and closes its source then)."""
        self._stop.set()
        if (self.thread.is_alive() and threading.current_thread() is not self.thread
                and self.blocked_for() < 0.5):
            self.thread.join(timeout)

    def _call(self, what: str, fn: Callable[[], object]) -> object:
        self.blocked_since = time.monotonic()
        self.blocked_in = what
        try:
            return fn()
        finally:
            self.blocked_in = None

    def run(self) -> None:
        try:
            self._call("open", self.source.open)
        except SourceError as exc:
            self.error = (exc.kind, exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - a driver error must become a message, not a crash
            log.exception("camera source failed to open")
            self.error = ("open", f"The camera could not be started: {exc}")
            return
        if self._stop.is_set():  # given up on while it was opening
            self.source.close()
            return
        self.started = True
        period = 1.0 / self.source.fps if self.source.paced and self.source.fps > 0 else 0.0
        next_t = time.perf_counter()
        last_q = 0.0
        misses = 0
        try:
            while not self._stop.is_set():
                frame = self._call("read", self.source.read)
                if self._stop.is_set():
                    break  # stopped (or left behind by the watchdog) while it read: nothing more is delivered
                if frame is None:
                    misses += 1
                    if misses >= 10:  # ~ a camera unplugged mid-session
                        self.error = ("lost", "The camera stopped sending pictures (unplugged?).")
                        return
                    self._stop.wait(0.05)
                    continue
                misses = 0
                self.frames += 1
                with self._lock:
                    self._latest = frame
                    self.frame_seq += 1
                now = time.perf_counter()
                if self.quality_fn is not None and now - last_q >= self.quality_interval_s:
                    last_q = now
                    try:
                        q = self.quality_fn(limit_size(frame, QUALITY_SIDE))
                    except Exception:  # noqa: BLE001
                        log.exception("quality gate failed on a preview frame")
                        q = None
                    if q is not None:
                        self.quality_ms.append((time.perf_counter() - now) * 1000)
                        self.quality = q
                        self.quality_seq += 1
                if period:
                    next_t += period
                    delay = next_t - time.perf_counter()
                    if delay > 0:
                        self._stop.wait(delay)
                    else:
                        next_t = time.perf_counter()
        except Exception as exc:  # noqa: BLE001
            log.exception("camera failed")
            self.error = ("lost", f"The camera failed: {exc}")
        finally:
            self.source.close()


class Camera(QObject):
    """Owns one CameraWorker; polls it from the GUI thread and re-emits frames, verdicts and failures there.

    The watchdog: a read that has blocked for `stall_s` (an open: `open_stall_s`), or a camera that stopped sending
    pictures, makes `failed("reconnecting", why)`; the blocked worker is left behind (never waited for) and the
    source is opened again (`FrameSource.again()`: a camera by its name) every `retry_s` until a frame comes, which
    makes `running_changed(True)`. A source that cannot be opened again fails as before ("lost").
    """

    frame_ready = Signal(object)  # BGR array
    quality_ready = Signal(object)
    failed = Signal(str, str)  # kind ("open" | "lost" | "reconnecting"), English message
    running_changed = Signal(bool)
    source_changed = Signal()  # start() with a source: the old source's pictures are gone

    POLL_MS = 8

    def __init__(self, quality: Callable[[np.ndarray], object] | None = None, parent: QObject | None = None,
                 stall_s: float | None = None, open_stall_s: float | None = None, retry_s: float | None = None):
        super().__init__(parent)
        self.quality_fn = quality
        # the module's values when not given (read here, so that a test can set them for a whole kiosk)
        self.stall_s = STALL_S if stall_s is None else stall_s
        self.open_stall_s = OPEN_STALL_S if open_stall_s is None else open_stall_s
        self.retry_s = RETRY_S if retry_s is None else retry_s
        self.worker: CameraWorker | None = None
        self.source: FrameSource | None = None
        self.description = ""  # the source, in the UI's language (the status line)
        self.reconnecting = False
        self.reconnects = 0  # tries to open the source again, since the last start()
        self.left_behind: list[CameraWorker] = []  # workers stuck in the driver, given up on
        self._next: FrameSource | None = None
        self._seen = (0, 0, False)
        self._timer = QTimer(self)
        self._timer.setInterval(self.POLL_MS)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._poll)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._reconnect)

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.thread.is_alive()

    def start(self, source: FrameSource) -> None:
        self.stop()
        self.source = source
        self.description = ""
        self.reconnects = 0
        self.source_changed.emit()
        self._launch(source)

    def _launch(self, source: FrameSource) -> None:
        self.worker = CameraWorker(source, self.quality_fn)
        self._seen = (0, 0, False)
        self.worker.start()
        self._timer.start()

    def _poll(self) -> None:
        w = self.worker
        if w is None:
            self._timer.stop()
            return
        frame_seq, quality_seq, started = self._seen
        if w.started and not started and not self.reconnecting:
            self.description = self.source_words(w.source)
            self.running_changed.emit(True)
        if w.frame_seq != frame_seq:
            frame = w.latest()
            if frame is not None:
                if self.reconnecting:  # pictures again: the camera is back
                    self.reconnecting = False
                    self.description = self.source_words(w.source)
                    log.info("camera reconnected: %s", w.source.describe())
                    self.running_changed.emit(True)
                self.frame_ready.emit(frame)
        if w.quality_seq != quality_seq and w.quality is not None:
            self.quality_ready.emit(w.quality)
        self._seen = (w.frame_seq, w.quality_seq, w.started)
        if w.error is not None:
            self._timer.stop()
            kind, message = w.error
            if kind == "lost" or (kind == "open" and self.reconnecting):
                if self._give_up_on(w, message):
                    return
            self.failed.emit(kind, message)
            self.running_changed.emit(False)
            return
        limit = self.stall_s if w.blocked_in == "read" else self.open_stall_s
        if w.blocked_in is not None and w.blocked_for() > limit:
            self._timer.stop()
            message = (f"The camera has not answered for {w.blocked_for():.0f} s "
                       f"({'opening' if w.blocked_in == 'open' else 'reading'}; unplugged?).")
            log.warning("camera watchdog: %s", message)
            w.stop()  # never waits: it is blocked
            self.left_behind.append(w)
            self.worker = None
            if not self._give_up_on(w, message):
                self.failed.emit("lost", message)
                self.running_changed.emit(False)

    def _give_up_on(self, w: CameraWorker, message: str) -> bool:
        """Open `w`'s source again in a while (by name), saying so the first time; False when it cannot be."""
        nxt = w.source.again()
        if nxt is None:
            return False
        self._next = nxt
        if not self.reconnecting:
            self.reconnecting = True
            self.failed.emit("reconnecting", message)
            self.running_changed.emit(False)
        self._retry.start(int(self.retry_s * 1000))
        return True

    def _reconnect(self) -> None:
        if not self.reconnecting or self._next is None:
            return
        self.left_behind = [w for w in self.left_behind if w.thread.is_alive()]
        if len(self.left_behind) >= MAX_LEFT_BEHIND:  # a driver that blocks every open: no pile of threads
            self._retry.start(int(self.retry_s * 1000))
            return
        self.reconnects += 1
        log.info("camera: opening %s again (try %d)", self._next.describe(), self.reconnects)
        self._launch(self._next)

    def source_words(self, source: FrameSource) -> str:
        """The source for the status line, in the UI's language."""
        if isinstance(source, CameraSource):
            if source.label:
                return source.label
            if source.name:
                return Path(source.name).name
            return self.tr("no. %1").replace("%1", str(source.index))
        if isinstance(source, _SingleImageSource):
            return self.tr("photo %1").replace("%1", source._path.name)
        if isinstance(source, FolderSource):
            n = len(source.files)
            words = self.tr("folder %1 (1 image)") if n == 1 else self.tr("folder %1 (%2 images)")
            return words.replace("%1", source.folder.name).replace("%2", str(n))
        if isinstance(source, VideoSource):
            return self.tr("video %1").replace("%1", source.path.name)
        if isinstance(source, ArraySource):
            n = len(source.frames)
            words = self.tr("demo (1 picture)") if n == 1 else self.tr("demo (%1 pictures)")
            return words.replace("%1", str(n))
        return source.describe()

    def latest(self) -> np.ndarray | None:
        return self.worker.latest() if self.worker is not None else None

    def stop(self) -> None:
        self._timer.stop()
        self._retry.stop()
        was = self.worker is not None or self.reconnecting
        if self.worker is not None:
            self.worker.stop()
            if self.worker.thread.is_alive():
                self.left_behind.append(self.worker)
            self.worker = None
        self.reconnecting, self._next = False, None
        if was:
            self.running_changed.emit(False)
