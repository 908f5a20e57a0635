"""The printable registration card: QR code of the registration number, the dog's photo, the owner's contact.

Rendered with QPainter onto a QImage (credit-card proportions at 300 dpi), then printed with QPrintDialog
(QtPrintSupport ships in PySide6-Essentials) or saved as PNG or PDF.
"""

from __future__ import annotations

import io
from pathlib import Path

import qrcode
from PySide6.QtCore import QCoreApplication, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen

from ui import texts

CARD_W, CARD_H = 1011, 638  # 85.6 x 54 mm at 300 dpi


def qr_image(text: str, box: int = 10) -> QImage:
    qr = qrcode.QRCode(border=2, box_size=box, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    img = QImage()
    img.loadFromData(buf.getvalue(), "PNG")
    return img


def render_card(dog, photo: bytes | None = None) -> QImage:
    img = QImage(CARD_W, CARD_H, QImage.Format.Format_RGB32)
    img.setDotsPerMeterX(11811)  # 300 dpi
    img.setDotsPerMeterY(11811)
    img.fill(QColor("white"))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    p.fillRect(QRectF(0, 0, CARD_W, 110), QColor("#2f6f6a"))
    f = QFont()
    f.setPixelSize(44)
    f.setBold(True)
    p.setFont(f)
    p.setPen(QColor("white"))
    p.drawText(QRectF(36, 0, CARD_W - 72, 110), Qt.AlignmentFlag.AlignVCenter,
               "SavePets · " + QCoreApplication.translate("Card", "Dog registration card"))
    # photo
    photo_rect = QRectF(36, 140, 300, 300)
    p.setPen(QPen(QColor("#c9d3d2"), 3))
    p.drawRect(photo_rect)
    if photo:
        ph = QImage()
        ph.loadFromData(photo)
        if not ph.isNull():
            ph = ph.scaled(300, 300, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                           Qt.TransformationMode.SmoothTransformation)
            src = QRectF((ph.width() - 300) / 2, (ph.height() - 300) / 2, 300, 300)
            p.drawImage(photo_rect, ph, src)
    # QR
    qr = qr_image(dog.registration_number)
    qr_rect = QRectF(CARD_W - 36 - 260, 140, 260, 260)
    p.drawImage(qr_rect, qr)
    f.setPixelSize(22)
    f.setBold(False)
    p.setFont(f)
    p.setPen(QColor("#4a5560"))
    p.drawText(QRectF(qr_rect.left(), qr_rect.bottom() + 4, qr_rect.width(), 30), Qt.AlignmentFlag.AlignHCenter,
               QCoreApplication.translate("Card", "Scan to look up"))
    # text
    x, w = 370, CARD_W - 370 - 320
    f.setPixelSize(56)
    f.setBold(True)
    p.setFont(f)
    p.setPen(QColor("#1d2127"))
    p.drawText(QRectF(x, 140, w, 70), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, dog.name)
    f.setPixelSize(24)
    f.setBold(False)
    phone = texts.phone_words(dog.owner.phone)
    rows = [(QCoreApplication.translate("Card", "Registration number"), dog.registration_number),
            (QCoreApplication.translate("Card", "Breed"), dog.breed or "–"),
            (QCoreApplication.translate("Card", "Owner"), dog.owner.name or "–"),
            (QCoreApplication.translate("Card", "Contact"), phone),
            (QCoreApplication.translate("Card", "Registered"), dog.registered_at.astimezone().strftime("%Y-%m-%d"))]
    y = 218
    for key, value in rows:
        f.setPixelSize(22)
        f.setBold(False)
        p.setFont(f)
        p.setPen(QColor("#6b7682"))
        p.drawText(QRectF(x, y, w, 28), Qt.AlignmentFlag.AlignLeft, key)
        f.setPixelSize(30)
        f.setBold(True)
        p.setFont(f)
        p.setPen(QColor("#1d2127"))
        p.drawText(QRectF(x, y + 25, w + 20, 38), Qt.AlignmentFlag.AlignLeft, value)
        y += 66
    f.setPixelSize(20)
    f.setBold(False)
    p.setFont(f)
    p.setPen(QColor("#6b7682"))
    p.drawText(QRectF(36, CARD_H - 60, CARD_W - 72, 40), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
               QCoreApplication.translate(
                   "Card", "If found, please call the owner or bring the dog to a shelter or vet with SavePets."))
    p.end()
    return img


def save_card(image: QImage, path: str | Path) -> Path:
    """PNG (or any image suffix) as is; .pdf as a card-sized page."""
    path = Path(path)
    if path.suffix.lower() == ".pdf":
        writer = QPdfWriter(str(path))
        writer.setResolution(300)
        writer.setPageSize(QPageSize(QSizeF(85.6, 54.0), QPageSize.Unit.Millimeter))
        writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
        p = QPainter(writer)
        target = p.viewport()
        p.drawImage(QRectF(target), image)
        p.end()
    elif not image.save(str(path)):
        raise OSError(f"could not write {path}")
    return path


def print_card(image: QImage, parent=None) -> bool:
    """Ask for a printer and print; False when cancelled or when no printing support is installed."""
    try:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter
    except ImportError:
        return False
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QSizeF(85.6, 54.0), QPageSize.Unit.Millimeter))
    dialog = QPrintDialog(printer, parent)
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return False
    p = QPainter(printer)
    r = p.viewport()
    size = image.size().scaled(r.size(), Qt.AspectRatioMode.KeepAspectRatio)
    p.setViewport(r.x(), r.y(), size.width(), size.height())
    p.setWindow(image.rect())
    p.drawImage(0, 0, image)
    p.end()
    return True
