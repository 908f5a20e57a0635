"""The privacy rule on screen: an owner's contact is shown only through the core's audited reveal_contact."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QPushButton


class ContactReveal:
    """Shows an owner's contact only through the core's `reveal_contact` (one audited showing): at once for a member
    who may always see contacts (administrators), on a tap of `button` for one who may reveal them one at a time, never
    for one who may not. Dogs in results come with the contact masked (core.schemas.OwnerOut.concealed)."""

    def __init__(self, controller, button: QPushButton, show: Callable[[object, object], None],
                 failed: Callable[[BaseException], None] | None = None):
        self.controller = controller
        self.button = button
        self.show = show  # (dog, owner in full)
        self.failed = failed
        self.dog = None
        self.revealed: dict[str, object] = {}  # dog id -> owner, shown again without asking until forget()
        button.clicked.connect(lambda: self.reveal())
        button.hide()

    def forget(self) -> None:
        """The kiosk locked, or the page was reset: contacts shown so far are asked for again."""
        self.revealed.clear()
        self.dog = None
        self.button.hide()

    def set_dog(self, dog) -> None:
        self.dog = dog
        if dog is not None and dog.id in self.revealed:
            self.button.hide()
            self.show(dog, self.revealed[dog.id])
            return
        concealed = dog is not None and dog.owner.is_concealed
        mode = getattr(self.controller.access, "contacts", "none") if concealed else "none"
        self.button.setVisible(mode == "reveal")
        self.button.setEnabled(True)
        if mode == "always":
            self.reveal(on_request=False)  # on the trail as shown with the dog, not as asked for

    def reveal(self, on_request: bool = True) -> None:
        dog = self.dog
        if dog is None or not self.controller.loaded:
            return
        self.button.setEnabled(False)

        def done(owner, dog=dog):
            if self.dog is dog:  # another dog shown meanwhile: this contact is not for it
                self.revealed[dog.id] = owner
                self.button.hide()
                self.show(dog, owner)

        def error(exc, dog=dog):
            if self.dog is dog:
                self.button.setEnabled(True)
                if self.failed is not None:
                    self.failed(exc)

        self.controller.reveal_contact(dog.id, done, on_error=error, on_request=on_request)
