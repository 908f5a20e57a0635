"""Camera preview benchmark: frames per second shown in the kiosk's capture view at 640x480, and the time of
the live quality gate per frame.

The source is a 640x480 MJPG video (what a USB webcam delivers) made from real nose photos of
../shared/data/nose-pbc2022 when present (else synthetic texture), decoded by OpenCV in the capture thread,
handed to the real CaptureView, painted offscreen, with the engine's quality gate running on a downscaled
copy in the capture thread as in the kiosk.

    python bench/bench_camera.py [--seconds 8] [--engine standin|default] [--fps 30]

Prints: shown fps with the source paced at --fps (a camera), shown fps unpaced (headroom), and the quality
gate's median / p95 ms on the preview copy and on a full 640x480 frame.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

NOSE_DATA = Path(__file__).resolve().parent.parent.parent / "shared/data/nose-pbc2022"


def make_video(path: Path, frames: int = 150, size=(640, 480)) -> str:
    from ui.camera import letterbox

    photos = sorted(NOSE_DATA.glob("*/0.jpg"))[:10] if NOSE_DATA.is_dir() else []
    images = [cv2.imread(str(p)) for p in photos] or [
        cv2.cvtColor(cv2.resize(np.random.default_rng(i).integers(0, 255, (28, 28), dtype=np.uint8), (224, 224)),
                     cv2.COLOR_GRAY2BGR) for i in range(10)]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, size)
    for i in range(frames):
        img = letterbox(images[(i // 15) % len(images)], size)
        shift = np.float32([[1, 0, (i % 15) - 7], [0, 1, 0]])  # a little motion, like a hand-held nose
        writer.write(cv2.warpAffine(img, shift, size))
    writer.release()
    return "real nose photos" if photos else "synthetic texture"


def run(video: Path, engine, seconds: float, fps: float | None) -> tuple[float, list[float], int]:
    from PySide6.QtCore import QCoreApplication

    from ui.camera import Camera, VideoSource
    from ui.capture import CaptureView

    view = CaptureView()
    view.resize(800, 600)
    view.auto_enabled = False
    view.show()
    cam = Camera(quality=engine.quality)
    cam.frame_ready.connect(view.set_frame)
    cam.quality_ready.connect(view.set_quality)
    source = VideoSource(video)
    if fps is None:
        source.paced = False
    else:
        source.fps = fps
        source.open = _fixed_fps_open(source, fps)
    cam.start(source)
    deadline = time.perf_counter() + 1.0  # warm-up
    while time.perf_counter() < deadline:
        QCoreApplication.processEvents()
    painted0, t0 = view.painted_frames, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        QCoreApplication.processEvents()
        time.sleep(0.001)
    shown = (view.painted_frames - painted0) / (time.perf_counter() - t0)
    qms = list(cam.worker.quality_ms)
    read = cam.worker.frames
    cam.stop()
    view.close()
    return shown, qms, read


def _fixed_fps_open(source, fps):
    original = type(source).open

    def open_():
        original(source)
        source.fps = fps

    return open_


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--engine", default="standin", help="standin, or default (core.recognition.factory)")
    ap.add_argument("--fps", type=float, default=30.0, help="the paced source's frame rate (a webcam: 30)")
    args = ap.parse_args()

    from core.photos import limit_size
    from kiosk.app import application
    from ui.camera import QUALITY_SIDE

    application()
    if args.engine == "standin":
        from core.recognition.standin import StandInEngine

        engine = StandInEngine()
    else:
        from core.recognition.factory import load_engine

        engine = load_engine("auto")
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "bench.avi"
        what = make_video(video)
        print(f"source: 640x480 MJPG video of {what}; engine: {engine.name} {engine.version}; "
              f"{os.cpu_count()} CPU cores")
        paced, qms, _ = run(video, engine, args.seconds, args.fps)
        print(f"preview shown at {paced:.1f} fps with the source paced at {args.fps:.0f} fps")
        unpaced, _, _ = run(video, engine, args.seconds, None)
        print(f"preview shown at {unpaced:.1f} fps with the source unpaced (headroom)")
        if qms:
            q = sorted(qms)
            side = limit_size(np.zeros((480, 640, 3), np.uint8), QUALITY_SIDE).shape[1]
            print(f"quality gate on the {side}px preview copy, in the capture thread: median "
                  f"{statistics.median(q):.2f} ms, p95 {q[int(0.95 * (len(q) - 1))]:.2f} ms"
                  f" ({len(q)} runs, throttled to ~7 per second)")
        frame = cv2.imread(str(sorted(NOSE_DATA.glob('*/0.jpg'))[0])) if NOSE_DATA.is_dir() else None
        frame = cv2.resize(frame, (640, 480)) if frame is not None else np.full((480, 640, 3), 90, np.uint8)
        times = []
        for _ in range(200):
            t = time.perf_counter()
            engine.quality(frame)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        print(f"quality gate on a full 640x480 frame: median {statistics.median(times):.2f} ms, "
              f"p95 {times[189]:.2f} ms")


if __name__ == "__main__":
    main()
