"""Register, a wizard of steps: nose photos (ui/register_photos) -> owner and dog (ui/register_form) -> done, with the
card (ui/register_done); or the dog already registered (ui/register_already). This page moves between them and hands
the registration to the controller."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from ui.controller import error_message
from ui.register_already import AlreadyStep
from ui.register_done import DoneStep
from ui.register_form import DetailsStep
from ui.register_photos import PHOTOS, PhotoStep

__all__ = ["PHOTOS", "RegisterPage"]


class RegisterPage(QWidget):
    registered = Signal(object)  # RegisterResult

    def __init__(self, controller, camera=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.photo_step = PhotoStep(controller, camera)
        self.already_step = AlreadyStep(controller)
        self.details = DetailsStep(controller)
        self.done = DoneStep()
        self.photo_step.next_requested.connect(lambda: self.go("details"))
        self.photo_step.start_over.connect(self.reset)
        self.photo_step.already_found.connect(self.show_already)
        self.already_step.start_over.connect(self.reset)
        self.details.back.connect(lambda: self.go("photos"))
        self.details.submitted.connect(self._register)
        self.done.another.connect(self.reset)
        # the steps' widgets, by the names the page always had (tests and screenshots drive them)
        self.capture, self.slots = self.photo_step.capture, self.photo_step.slots
        self.photo_status, self.next_button = self.photo_step.photo_status, self.photo_step.next_button
        self.already_card = self.already_step.card
        d = self.details
        self.phone, self.owner_name, self.dog_name, self.breed = d.phone, d.owner_name, d.dog_name, d.breed
        self.birth, self.sex, self.neutered, self.notes = d.birth, d.sex, d.neutered, d.notes
        self.fields, self.owner_note, self.form_error = d.fields, d.owner_note, d.form_error
        self.submit_button = d.submit_button
        self.number_label, self.review_note = self.done.number_label, self.done.review_note
        self.card_note, self.card_preview = self.done.card_note, self.done.card_preview
        self.steps = QStackedWidget()
        for step in (self.photo_step, self.already_step, self.details, self.done):
            self.steps.addWidget(step)
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.steps, 1)
        self.go("photos")

    # ================================================================ navigation
    STEP_INDEX = {"photos": 0, "already": 1, "details": 2, "done": 3}

    @property
    def step(self) -> str:
        i = self.steps.currentIndex()
        return next(k for k, v in self.STEP_INDEX.items() if v == i)

    def go(self, step: str) -> None:
        self.steps.setCurrentIndex(self.STEP_INDEX[step])
        self.title.setText({
            "photos": self.tr("Register a dog — 1. Nose photos"),
            "already": self.tr("Register a dog — already registered"),
            "details": self.tr("Register a dog — 2. Owner and dog"),
            "done": self.tr("Register a dog — 3. Done"),
        }[step])
        self.capture.view.paused = step != "photos"
        if step == "details":
            self.details.show_photos(self.photos)

    def reset(self) -> None:
        self.already_step.reset()
        self.done.result = None
        self.photo_step.reset()
        self.details.reset()
        self.go("photos")

    def start_with(self, photos) -> None:
        """Start a registration with the photos already taken (a Photo or a list: a look-up that found nothing)."""
        self.reset()
        self.photo_step.start_with(photos)

    # ================================================================ what the steps hold
    @property
    def photos(self) -> list:
        return self.photo_step.photos

    @property
    def good_photos(self) -> int:
        return self.photo_step.good_photos

    @property
    def result(self):
        return self.done.result

    @property
    def already(self):
        return self.already_step.candidate

    @property
    def card_image(self):
        return self.done.card_image

    def add_frame(self, frame) -> None:
        self.photo_step.add_frame(frame)

    def add_file(self, path: str) -> None:
        self.photo_step.add_file(path)

    def select_slot(self, i: int) -> None:
        self.photo_step.select_slot(i)

    def find_owner(self) -> None:
        self.details.find_owner()

    def submit(self) -> None:
        self.details.submit()

    def save_card(self, path: str) -> str:
        return self.done.save_card(path)

    def show_already(self, candidate) -> None:
        self.already_step.show_candidate(candidate)
        self.go("already")

    # ================================================================ registering
    def _register(self, owner, dog) -> None:
        photos = list(self.photos)
        self.submit_button.setEnabled(False)
        self.controller.register(owner, dog, photos, self._registered, self._register_failed,
                                 busy=self.tr("Registering…"))

    def _register_failed(self, exc) -> None:
        from core.errors import AlreadyRegistered, PhotosRejected
        from core.schemas import CandidateOut

        self.submit_button.setEnabled(True)
        if isinstance(exc, AlreadyRegistered) and exc.details.get("match"):
            self.show_already(CandidateOut.model_validate(exc.details["match"]))
        elif isinstance(exc, PhotosRejected) and exc.details.get("problems"):
            self.photo_step.reject(exc.details["problems"])
            self.go("photos")
        else:
            self.details.show_error(error_message(exc))

    def _registered(self, result) -> None:
        self.submit_button.setEnabled(True)
        self.done.show_result(result, self.photos[0].data if self.photos[0] else None)
        self.go("done")
        self.registered.emit(result)
