"""Words for codes that come from the core (quality reasons, decisions, statuses), in the UI's language.

The English words are marked with QT_TRANSLATE_NOOP so that pyside6-lupdate finds them, and translated
when shown (the language can change while the kiosk runs).
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from core.recognition.base import Decision

_WORDS = {
    # quality gate reasons (core.recognition.base.QUALITY_REASONS) and registration photo problems
    "blurry": QT_TRANSLATE_NOOP("Texts", "Too blurry: hold still"),
    "dark": QT_TRANSLATE_NOOP("Texts", "Too dark: add light"),
    "bright": QT_TRANSLATE_NOOP("Texts", "Too bright: avoid direct light"),
    "glare": QT_TRANSLATE_NOOP("Texts", "Glare on the nose: change the angle"),
    "small": QT_TRANSLATE_NOOP("Texts", "Move closer to the nose"),
    "no_texture": QT_TRANSLATE_NOOP("Texts", "Fill the guide with the nose"),
    "already_registered": QT_TRANSLATE_NOOP("Texts", "Already registered"),
    "duplicate_photo": QT_TRANSLATE_NOOP("Texts", "Same photo as another one"),
    "disagrees": QT_TRANSLATE_NOOP("Texts", "Does not look like the same nose as the others"),
    "invalid": QT_TRANSLATE_NOOP("Texts", "Not a usable image"),
    "good": QT_TRANSLATE_NOOP("Texts", "Good: hold still"),
    # look-up decisions
    "certain": QT_TRANSLATE_NOOP("Texts", "Certain"),
    "uncertain": QT_TRANSLATE_NOOP("Texts", "Possible match — check by eye"),
    "no_match": QT_TRANSLATE_NOOP("Texts", "Not registered"),
    # why a look-up decided so (core.schemas.LOOKUP_REASONS)
    "sure_match": QT_TRANSLATE_NOOP("Texts", "One registered dog clearly matches."),
    "close_second": QT_TRANSLATE_NOOP("Texts", "Several registered dogs look alike. Compare the noses and choose."),
    "weak_match": QT_TRANSLATE_NOOP("Texts", "A registered dog looks alike, but not enough to be sure: compare."),
    "no_similar_dog": QT_TRANSLATE_NOOP("Texts", "No registered dog is alike enough to be this dog."),
    "empty_registry": QT_TRANSLATE_NOOP("Texts", "The registry has no dogs yet."),
    # dog status and sex
    "home": QT_TRANSLATE_NOOP("Texts", "At home"),
    "lost": QT_TRANSLATE_NOOP("Texts", "Lost"),
    "found": QT_TRANSLATE_NOOP("Texts", "Found (in care)"),
    "deceased": QT_TRANSLATE_NOOP("Texts", "Deceased"),
    "male": QT_TRANSLATE_NOOP("Texts", "Male"),
    "female": QT_TRANSLATE_NOOP("Texts", "Female"),
    "unknown": QT_TRANSLATE_NOOP("Texts", "Unknown"),
    "invalid_photo": QT_TRANSLATE_NOOP("Texts", "Not a usable photo file (JPEG or PNG expected)."),
    # what a staff member's role may not do (core.errors.PermissionDenied, details.action; core/staff.py)
    "denied_contacts": QT_TRANSLATE_NOOP("Texts", "Your role may not see owners' contact details. An administrator "
                                                  "decides this in Settings."),
    "denied_edit": QT_TRANSLATE_NOOP("Texts", "Your role may not change dogs' or owners' details. An administrator "
                                              "decides this in Settings."),
    "denied_status": QT_TRANSLATE_NOOP("Texts", "Your role may not change a dog's status. An administrator decides "
                                                "this in Settings."),
    "denied_delete": QT_TRANSLATE_NOOP("Texts", "Your role may not remove registrations. An administrator decides "
                                                "this in Settings."),
    "denied_manage": QT_TRANSLATE_NOOP("Texts", "Only an administrator may do this."),
    "denied_member": QT_TRANSLATE_NOOP("Texts", "Sign in first: the kiosk is locked."),
    "denied_other_org": QT_TRANSLATE_NOOP("Texts", "This dog is registered with another organisation: you may mark "
                                                   "it lost or found, but only that organisation changes or removes "
                                                   "it."),
    # staff roles
    "staff": QT_TRANSLATE_NOOP("Texts", "Staff"),
    "admin": QT_TRANSLATE_NOOP("Texts", "Administrator"),
}


def words(code) -> str:
    code = getattr(code, "value", code)
    return QCoreApplication.translate("Texts", _WORDS[code]) if code in _WORDS else str(code)


def quality_reason(code: str) -> str:
    return words(code)


def quality_words(reasons) -> str:
    return " · ".join(words(r) for r in reasons) if reasons else words("good")


def decision_words(decision) -> str:
    """The engine's decision at its operating threshold, in words (the number alone misleads people)."""
    try:
        d = Decision(decision)
    except ValueError:  # a code this version does not know: shown as it is
        return str(decision)
    return words("certain" if d == Decision.MATCH else "uncertain" if d == Decision.UNCERTAIN else "no_match")


def reason_words(reason: str) -> str:
    """Why a look-up decided what it did (a code of core.schemas.LOOKUP_REASONS), in words."""
    return words(reason)


def status_words(status) -> str:
    return words(status)


def sex_words(sex) -> str:
    return words(sex)


def photo_error_words(exc) -> str:
    """A photo that cannot be read or used, in the UI's language (the core's English detail in brackets)."""
    code = getattr(exc, "code", "")
    problems = getattr(exc, "details", {}).get("problems") if hasattr(exc, "details") else None
    if code == "photos_rejected" and problems:
        return quality_words(problems[0]["reasons"])
    if code == "invalid_photo":
        return words("invalid_photo") + f"\n({exc.message})"
    return getattr(exc, "message", None) or str(exc)


def denied_words(exc) -> str:
    """A core PermissionDenied in the UI's language: what the member's role may not do, and who decides."""
    details = getattr(exc, "details", None) or {}
    action = details.get("action")
    if action == "other_org":
        return words("denied_other_org")
    if details.get("role") is None and action != "manage":
        return words("denied_member")
    return words(f"denied_{action}") if f"denied_{action}" in _WORDS else getattr(exc, "message", str(exc))


def role_words(role: str) -> str:
    return words(role)


def phone_words(phone: str) -> str:
    """'+821012345678' -> '010-1234-5678'; a masked or unusual number is shown as it is."""
    from core.phone import display_phone

    try:
        return display_phone(phone) if phone.startswith("+") else phone
    except Exception:  # noqa: BLE001 - phonenumbers rejects what it cannot parse; show it as stored
        return phone


# Qt's own words that its Korean catalogue (qtbase_ko.qm) lacks: Qt 6 added an accelerator to these two labels of the
# file dialog, and the catalogue still has them without ("Look in:"), so the dialog said "Look in:" in Korean. Our
# catalogue carries them in Qt's context; kiosk/app.py installs it after Qt's, which is asked first and has no answer.
QT_CATALOGUE_GAPS = (
    QT_TRANSLATE_NOOP("QFileDialog", "&Look in:"),
    QT_TRANSLATE_NOOP("QFileDialog", "Files of &type:"),
)


def unbroken_date_format(text: str) -> str:
    """YYYY-MM-DD kept on one line when the text wraps (a word joiner after each hyphen: never "YYYY-MM-" / "DD")."""
    return text.replace("YYYY-MM-DD", "YYYY-\u2060MM-\u2060DD")
