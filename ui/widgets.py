"""Moved: the widgets now live in modules named for their jobs. Kept only while ui/lookup_page.py still imports from
here; import from the modules below instead."""

from ui.capture import CapturePanel, CaptureView, quality_colour  # noqa: F401
from ui.contact_reveal import ContactReveal  # noqa: F401
from ui.dog_card import DogCard  # noqa: F401
from ui.images import bgr_to_qimage, pixmap_from_bgr, pixmap_from_bytes  # noqa: F401
from ui.photo_slots import PhotoSlots  # noqa: F401
from ui.style import AMBER, GREEN, GREY, RED, set_style_property  # noqa: F401
from ui.sync_status import SyncStatus, SyncStatusWidget  # noqa: F401
