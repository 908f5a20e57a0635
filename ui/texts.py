"""Words for codes that come from the core (quality reasons, decisions, statuses), in the UI's language."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

_T = QCoreApplication.translate


def quality_reason(code: str) -> str:
    words = {
        "blurry": _T("Texts", "Too blurry: hold still"),
        "dark": _T("Texts", "Too dark: add light"),
        "bright": _T("Texts", "Too bright: avoid direct light"),
        "glare": _T("Texts", "Glare on the nose: change the angle"),
        "small": _T("Texts", "Move closer to the nose"),
        "no_texture": _T("Texts", "Fill the guide with the nose"),
        "already_registered": _T("Texts", "Already registered"),
        "duplicate_photo": _T("Texts", "Same photo as another one"),
        "disagrees": _T("Texts", "Does not look like the same nose as the others"),
        "invalid": _T("Texts", "Not a usable image"),
    }
    return words.get(code, code)


def quality_words(reasons) -> str:
    return " · ".join(quality_reason(r) for r in reasons) if reasons else _T("Texts", "Good: hold still")


def decision_words(decision: str, probability: float | None = None) -> str:
    d = getattr(decision, "value", decision)
    if d == "match":
        return _T("Texts", "Certain") if (probability is None or probability >= 0.9) else _T("Texts", "Likely")
    if d == "uncertain":
        return _T("Texts", "Possible match — check by eye")
    return _T("Texts", "Not registered")


def status_words(status: str) -> str:
    s = getattr(status, "value", status)
    return {
        "home": _T("Texts", "At home"),
        "lost": _T("Texts", "Lost"),
        "found": _T("Texts", "Found (in care)"),
        "deceased": _T("Texts", "Deceased"),
    }.get(s, s)


def sex_words(sex: str) -> str:
    s = getattr(sex, "value", sex)
    return {"male": _T("Texts", "Male"), "female": _T("Texts", "Female"),
            "unknown": _T("Texts", "Unknown")}.get(s, s)


def field_label(name: str) -> str:
    return {
        "phone": _T("Texts", "Phone"), "name": _T("Texts", "Name"), "breed": _T("Texts", "Breed"),
        "birth_date": _T("Texts", "Birth date"), "notes": _T("Texts", "Notes"),
    }.get(name, name)


def photo_error_words(exc) -> str:
    """A photo that cannot be read or used, in the UI's language (the core's English detail in brackets)."""
    code = getattr(exc, "code", "")
    problems = getattr(exc, "details", {}).get("problems") if hasattr(exc, "details") else None
    if code == "photos_rejected" and problems:
        return quality_words(problems[0]["reasons"])
    if code == "invalid_photo":
        return _T("Texts", "Not a usable photo file (JPEG or PNG expected).") + f"\n({exc.message})"
    return getattr(exc, "message", None) or str(exc)
