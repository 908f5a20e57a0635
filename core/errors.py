"""Errors the use cases raise. Every face (CLI, UI, HTTP) maps them to its own message or status code."""

from __future__ import annotations

from typing import Any


class SavePetsError(Exception):
    """Base class. `code` is stable and machine-readable; `message` is for people; `details` for clients."""

    code = "error"

    def __init__(self, message: str, **details: Any):
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **({"details": self.details} if self.details else {})}


class InvalidInput(SavePetsError):
    code = "invalid_input"


class InvalidPhoto(InvalidInput):
    code = "invalid_photo"


class InvalidPhone(InvalidInput):
    code = "invalid_phone"


class PhotosRejected(InvalidInput):
    """Some photos are unusable (quality) or the photos do not show the same dog."""

    code = "photos_rejected"


class AlreadyRegistered(SavePetsError):
    code = "already_registered"


class NotFound(SavePetsError):
    code = "not_found"


class Conflict(SavePetsError):
    code = "conflict"


class PermissionDenied(SavePetsError):
    """The signed-in staff member's role may not do this (core/staff.py); the API answers 403."""

    code = "forbidden"


class SignInFailed(SavePetsError):
    """Unknown or disabled account, or a wrong PIN (details: reason, tries_left)."""

    code = "sign_in_failed"


class AccountLocked(SignInFailed):
    """Too many wrong PINs: the account is locked for a while (details: seconds)."""

    code = "account_locked"
