"""Owner phone numbers: one canonical form (E.164) so that every way of writing a number finds one owner."""

from __future__ import annotations

import phonenumbers

from core.errors import InvalidPhone

DEFAULT_REGION = "KR"


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """'010-1234-5678', '01012345678' and '+82 10 1234 5678' all give '+821012345678'."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhone("Phone number is empty.")
    if len(raw) > 32:
        raise InvalidPhone("Phone number is too long.")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"Not a phone number: {raw!r}.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"Not a valid phone number: {raw!r}.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """'+821012345678' -> '010-1234-5678' for Korean numbers, international format otherwise."""
    number = phonenumbers.parse(e164, None)
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 82
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, fmt)


def mask_phone(e164: str) -> str:
    """For roles that must not see owners' numbers: '010-****-5678'. An erased owner's empty phone stays empty."""
    if not e164:
        return ""
    shown = display_phone(e164)
    digits_seen = 0
    out = []
    # keep the last 4 digits and the leading group, hide the rest
    total = sum(c.isdigit() for c in shown)
    for c in shown:
        if c.isdigit():
            digits_seen += 1
            out.append(c if digits_seen <= 3 or digits_seen > total - 4 else "*")
        else:
            out.append(c)
    return "".join(out)


def last_four(e164: str) -> str:
    return e164[-4:]
