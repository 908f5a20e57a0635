"""Registration numbers: YYMMDDHHMM (registration time, UTC+9 Korea) + initials of the dog's name + last 4
digits of the owner's phone, e.g. 2611261730ㅊㅋ5678. A second dog with the same number gets -2, -3, ..."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from core.errors import InvalidInput

KST = timezone(timedelta(hours=9))
CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_HANGUL_FIRST, _HANGUL_LAST, _PER_INITIAL = 0xAC00, 0xD7A3, 21 * 28


def name_initials(name: str) -> str:
    """초성 of each Hangul syllable, uppercase first letter of each Latin word; digits, emoji
    and punctuation dropped.

    초코 -> ㅊㅋ, 'Max Power' -> MP, '초코 Max' -> ㅊㅋM, 'Bella🐶' -> B.
    """
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise InvalidInput("The dog's name is empty.")
    out: list[str] = []
    for word in name.split():
        at_word_start = True
        for ch in word:
            code = ord(ch)
            if _HANGUL_FIRST <= code <= _HANGUL_LAST:
                out.append(CHOSEONG[(code - _HANGUL_FIRST) // _PER_INITIAL])
                at_word_start = False
            elif ch in CHOSEONG:  # a name typed as bare jamo
                out.append(ch)
                at_word_start = False
            elif ch.isascii() and ch.isalpha():
                if at_word_start:
                    out.append(ch.upper())
                at_word_start = False
            elif ch.isalpha():  # other scripts: first letter of the word
                if at_word_start:
                    out.append(ch.upper())
                at_word_start = False
    if not out:
        raise InvalidInput(f"The dog's name {name!r} has no letters to make initials from.")
    return "".join(out)


def registration_number(registered_at: datetime, dog_name: str, phone_e164: str,
                        taken: Callable[[str], bool]) -> str:
    """`taken(number)` says whether a number is in use already; the first free one is returned."""
    if registered_at.tzinfo is None:
        registered_at = registered_at.replace(tzinfo=UTC)
    base = registered_at.astimezone(KST).strftime("%y%m%d%H%M") + name_initials(dog_name) + phone_e164[-4:]
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate
