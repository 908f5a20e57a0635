"""Camera sources and the capture thread.

A source is a camera index ("0"), a video file, or a folder of images (looped, each image held for a moment
so that auto-capture can trigger), so that tests and demos run with no camera. `CameraWorker` reads frames
in its own thread, keeps only the newest one (the GUI never gets a queue of stale frames) and runs the
engine's quality gate on a downscaled copy a few times a second, off the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
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


class SourceError(Exception):
    """The source cannot be opened or stopped delivering frames; `message` is for people (English)."""

    def __init__(self, message: str, kind: str = "open"):
        super().__init__(message)
        self.message = message
        self.kind = kind  # "open" | "lost"


class FrameSource:
    """Base: open(), read() -> BGR uint8 frame or None at a failure, close(). `fps` paces file sources."""

    fps: float = 30.0
    paced = False  # True: the worker sleeps to `fps` (files); a camera paces itself

    def open(self) -> None: ...

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
    def __init__(self, index: int, width: int = 640, height: int = 480):
        self.index, self.width, self.height = index, width, height
        self.cap: cv2.VideoCapture | None = None

    def open(self) -> None:
        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"No camera found at index {self.index}.")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        self.cap = cap

    def read(self) -> np.ndarray | None:
        ok, frame = self.cap.read() if self.cap is not None else (False, None)
        return frame if ok else None

    def describe(self) -> str:
        return f"camera {self.index}"


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
    """'0' or 0 -> camera 0; a folder -> its images; a file -> a video (or one image held forever)."""
    text = str(spec).strip()
    if text.isdigit():
        return CameraSource(int(text))
    path = Path(text).expanduser()
    if path.is_dir():
        return FolderSource(path)
    if path.is_file():
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return _SingleImageSource(path)
        return VideoSource(path)
    raise SourceError(f"No camera, folder or video at {text!r}.")


class _SingleImageSource(FolderSource):
    def __init__(self, path: Path):
        super().__init__(path.parent)
        self._path = path

    def open(self) -> None:
        self.files = [self._path]


class CameraWorker:
    """Reads frames in a plain thread and keeps only the newest one, with the newest quality verdict.

    It touches no Qt object: the GUI side (`Camera`) polls it with a QTimer, so frames never queue up in the
    event loop and the thread needs no event loop of its own.
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
        self.thread = threading.Thread(target=self.run, name="savepets-camera", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def latest(self) -> np.ndarray | None:
        with self._lock:
            return self._latest

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(timeout)

    def run(self) -> None:
        try:
            self.source.open()
        except SourceError as exc:
            self.error = (exc.kind, exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - a driver error must become a message, not a crash
            log.exception("camera source failed to open")
            self.error = ("open", f"The camera could not be started: {exc}")
            return
        self.started = True
        period = 1.0 / self.source.fps if self.source.paced and self.source.fps > 0 else 0.0
        next_t = time.perf_counter()
        last_q = 0.0
        misses = 0
        try:
            while not self._stop.is_set():
                frame = self.source.read()
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
    """Owns one CameraWorker; polls it from the GUI thread and re-emits frames, verdicts and failures there."""

    frame_ready = Signal(object)  # BGR array
    quality_ready = Signal(object)
    failed = Signal(str, str)  # kind ("open" | "lost"), English message
    running_changed = Signal(bool)

    POLL_MS = 8

    def __init__(self, quality: Callable[[np.ndarray], object] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.quality_fn = quality
        self.worker: CameraWorker | None = None
        self.description = ""
        self._seen = (0, 0, False)
        self._timer = QTimer(self)
        self._timer.setInterval(self.POLL_MS)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.thread.is_alive()

    def start(self, source: FrameSource) -> None:
        self.stop()
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
        if w.started and not started:
            self.description = w.source.describe()
            self.running_changed.emit(True)
        if w.frame_seq != frame_seq:
            frame = w.latest()
            if frame is not None:
                self.frame_ready.emit(frame)
        if w.quality_seq != quality_seq and w.quality is not None:
            self.quality_ready.emit(w.quality)
        self._seen = (w.frame_seq, w.quality_seq, w.started)
        if w.error is not None:
            self._timer.stop()
            self.failed.emit(*w.error)
            self.running_changed.emit(False)

    def latest(self) -> np.ndarray | None:
        return self.worker.latest() if self.worker is not None else None

    def stop(self) -> None:
        self._timer.stop()
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
            self.running_changed.emit(False)
