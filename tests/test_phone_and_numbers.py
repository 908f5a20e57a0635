from datetime import datetime, timezone

import pytest

from core.errors import InvalidInput, InvalidPhone
from core.numbers import name_initials, registration_number
from core.phone import display_phone, mask_phone, normalize_phone


@pytest.mark.parametrize("raw", ["010-1234-5678", "01012345678", "+82 10 1234 5678", "+82-10-1234-5678",
                                 "010 1234 5678", "(010) 1234-5678", "+821012345678"])
def test_korean_mobile_formats_map_to_one_number(raw):
    assert normalize_phone(raw) == "+821012345678"


@pytest.mark.parametrize("raw", ["", "   ", "abc", "010-1234", "12", "010-1234-5678-9999-0000", "☎☎☎",
                                 "'; DROP TABLE owners; --", "0" * 40])
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_display_and_mask():
    assert display_phone("+821012345678") == "010-1234-5678"
    assert mask_phone("+821012345678") == "010-****-5678"


@pytest.mark.parametrize("name, initials", [
    ("초코", "ㅊㅋ"),          # no final consonants
    ("곰돌", "ㄱㄷ"),          # both syllables with a final consonant
    ("빵", "ㅃ"),              # double initial + final
    ("해피 초코", "ㅎㅍㅊㅋ"),  # space between words
    ("Max", "M"),
    ("max power", "MP"),
    ("초코 Max", "ㅊㅋM"),      # mixed scripts
    ("Bella🐶", "B"),         # emoji dropped
    ("🐶 콩이", "ㅋㅇ"),
    ("R2D2", "R"),            # digits dropped, only a word's first letter
    ("ㅋㅋ", "ㅋㅋ"),          # bare jamo
])
def test_name_initials(name, initials):
    assert name_initials(name) == initials


@pytest.mark.parametrize("name", ["", "   ", "🐶🐶", "!!!"])
def test_names_without_letters_are_refused(name):
    with pytest.raises(InvalidInput):
        name_initials(name)


def test_registration_number_uses_korean_time_and_resolves_collisions():
    at = datetime(2026, 11, 26, 8, 30, tzinfo=timezone.utc)  # 17:30 in Korea
    taken: set[str] = set()
    numbers = []
    for _ in range(3):
        n = registration_number(at, "초코", "+821012345678", taken=taken.__contains__)
        taken.add(n)
        numbers.append(n)
    assert numbers == ["2611261730ㅊㅋ5678", "2611261730ㅊㅋ5678-2", "2611261730ㅊㅋ5678-3"]
