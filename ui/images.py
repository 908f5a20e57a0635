"""Pictures between OpenCV and Qt: BGR arrays and encoded photo bytes to QImage / QPixmap."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap


def bgr_to_qimage(frame: np.ndarray) -> QImage:
    frame = np.ascontiguousarray(frame)
    h, w = frame.shape[:2]
    img = QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_BGR888)
    img._keep = frame  # the QImage borrows the array's memory
    return img


def pixmap_from_bytes(data: bytes, side: int | None = None) -> QPixmap:
    pm = QPixmap()
    pm.loadFromData(data)
    if side and not pm.isNull():
        pm = pm.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return pm


def pixmap_from_bgr(frame: np.ndarray, side: int | None = None) -> QPixmap:
    pm = QPixmap.fromImage(bgr_to_qimage(frame))
    if side:
        pm = pm.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return pm
